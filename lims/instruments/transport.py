"""Talking to an instrument over any port pyserial can open.

``serial.serial_for_url`` gives one code path for ``/dev/ttyUSB0``, ``COM3``,
``socket://host:port`` (serial-to-Ethernet converters), ``rfc2217://host:port`` and
``loop://`` (tests). ``Port`` frames the byte stream and survives an unplugged cable by
reopening the port; ``InstrumentSession`` adds the request/answer logic: retries, waiting
for a stable weight, listening for lines a device pushes by itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import serial

from lims.instruments.drivers.base import Driver
from lims.instruments.errors import (
    DeviceErrorReply,
    FrameError,
    InstrumentError,
    NoResponse,
    PortLost,
    PortUnavailable,
    UnstableReading,
    UnsupportedCommand,
)
from lims.instruments.reading import Reading
from lims.instruments.settings import PortSettings

_PARITY = {
    "N": serial.PARITY_NONE,
    "E": serial.PARITY_EVEN,
    "O": serial.PARITY_ODD,
    "M": serial.PARITY_MARK,
    "S": serial.PARITY_SPACE,
}
_IO_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger("lims.instruments.transport")

#: how long a partial frame found before a command may take to complete: a pushed line
#: (PRINT key) arriving as the command is sent is waited for, not cut in half
PARTIAL_FRAME_GRACE_S = 0.3


class Reconnected(InstrumentError):
    """The port dropped and was reopened: whatever was in flight is lost, ask again."""

    kind = "reconnected"
    retriable = True

    def __init__(self, url: str) -> None:
        super().__init__(f"port {url} dropped and was reopened", f"端口 {url} 断开后已重新连接")


class Port:
    def __init__(
        self,
        url: str,
        settings: PortSettings | None = None,
        *,
        reconnect_attempts: int = 3,
        reconnect_delay: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.settings = settings or PortSettings()
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_delay = reconnect_delay
        self._sleep = sleep
        self._serial: serial.SerialBase | None = None
        self._buf = bytearray()
        self._last_rx = 0.0  # monotonic time bytes last arrived
        self.reconnects = 0

    # open / close ---------------------------------------------------------------------
    def _make(self) -> serial.SerialBase:
        s = self.settings
        ser = serial.serial_for_url(self.url, do_not_open=True)
        ser.baudrate = s.baudrate
        ser.bytesize = s.bytesize
        ser.parity = _PARITY[s.parity]
        ser.stopbits = s.stopbits
        ser.xonxoff = s.xonxoff
        ser.rtscts = s.rtscts
        ser.timeout = 0.05
        ser.write_timeout = s.write_timeout
        ser.open()
        return ser

    def open(self) -> Port:
        if self._serial is None:
            try:
                self._serial = self._make()
            except (*_IO_ERRORS, ValueError) as exc:
                raise PortUnavailable(self.url, str(exc)) from exc
        return self

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except _IO_ERRORS:
                pass  # closing a vanished port: nothing left to release
            self._serial = None
        self._buf.clear()

    def __enter__(self) -> Port:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def _reconnect(self, cause: Exception) -> None:
        """Reopen after an I/O error; raise PortLost when the port stays away. Complete
        frames already received survive the reconnect; only an incomplete one is dropped."""
        term = self.settings.terminator
        complete = bytes(self._buf[: self._buf.rfind(term) + len(term)]) \
            if self._buf.rfind(term) >= 0 else b""
        self.close()
        self._buf.extend(complete)
        last = cause
        for _ in range(self.reconnect_attempts):
            self._sleep(self.reconnect_delay)
            try:
                self._serial = self._make()
            except (*_IO_ERRORS, ValueError) as exc:
                last = exc
                continue
            self.reconnects += 1
            raise Reconnected(self.url) from cause
        raise PortLost(self.url, str(last)) from cause

    # I/O --------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        self.open()
        try:
            self._serial.write(data)
            self._serial.flush()
        except _IO_ERRORS as exc:
            self._reconnect(exc)

    def take_frames(self, grace: float = 0.0) -> tuple[list[bytes], bytes]:
        """Every complete frame received so far, without waiting for more, and the partial
        bytes after the last one (removed from the buffer). A partial frame is first given
        ``grace`` seconds to complete, so that a line the device is pushing right now is not
        cut in half."""
        self.open()
        deadline = time.monotonic() + grace
        while True:
            try:
                while (waiting := self._serial.in_waiting) and \
                        len(self._buf) <= 8 * self.settings.max_frame:
                    self._buf.extend(self._serial.read(waiting))
                    self._last_rx = time.monotonic()
            except _IO_ERRORS as exc:
                self._reconnect(exc)
            partial = bool(self._buf) and not self._buf.endswith(self.settings.terminator)
            if not partial or time.monotonic() >= deadline:
                break
            time.sleep(0.005)
        frames = self.buffered_frames()
        leftover = bytes(self._buf)
        self._buf.clear()
        return frames, leftover

    def buffered_frames(self) -> list[bytes]:
        """The complete frames already read from the port (no I/O); a partial one stays."""
        term = self.settings.terminator
        frames: list[bytes] = []
        while (idx := self._buf.find(term)) >= 0:
            frames.append(bytes(self._buf[: idx + len(term)]))
            del self._buf[: idx + len(term)]
        return frames

    def read_frame(self, timeout: float | None = None, *, keep_partial: bool = False) -> bytes:
        """Next frame, terminator included. NoResponse on silence, FrameError on a partial
        or endless frame, Reconnected / PortLost when the port dropped. With ``keep_partial``
        (listening for pushed lines) a frame still arriving when the time is up is kept for
        the next read and NoResponse is raised, unless it has stopped arriving for longer than
        PARTIAL_FRAME_GRACE_S (then it is broken: FrameError)."""
        self.open()
        timeout = self.settings.timeout if timeout is None else timeout
        term = self.settings.terminator
        deadline = time.monotonic() + timeout
        while True:
            idx = self._buf.find(term)
            if idx >= 0:
                frame = bytes(self._buf[: idx + len(term)])
                del self._buf[: idx + len(term)]
                return frame
            if len(self._buf) > self.settings.max_frame:
                junk = bytes(self._buf)
                self._buf.clear()
                raise FrameError(
                    f"no frame terminator within {self.settings.max_frame} bytes",
                    f"{self.settings.max_frame} 字节内未见帧结束符（乱码或波特率不符）",
                    raw=junk,
                )
            if time.monotonic() >= deadline:
                still_arriving = time.monotonic() - self._last_rx < PARTIAL_FRAME_GRACE_S
                if self._buf and not (keep_partial and still_arriving):
                    partial = bytes(self._buf)
                    self._buf.clear()
                    raise FrameError(
                        f"partial frame: no terminator after {timeout:g} s",
                        f"数据帧不完整：{timeout:g} 秒内未收到结束符",
                        raw=partial,
                    )
                raise NoResponse(timeout)
            try:
                chunk = self._serial.read(max(1, self._serial.in_waiting))
            except _IO_ERRORS as exc:
                self._reconnect(exc)
            if chunk:
                self._last_rx = time.monotonic()
                self._buf.extend(chunk)


class InstrumentSession:
    """One driver on one port."""

    def __init__(
        self,
        driver: Driver,
        port: Port,
        *,
        retries: int = 2,
        poll_interval: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.driver = driver
        self.port = port
        self.retries = retries
        self.poll_interval = poll_interval
        self._sleep = sleep
        #: receives every frame the device sent by itself (PRINT key) that turns up around a
        #: command exchange; without one such frames are logged with their bytes and dropped
        self.on_unsolicited: Callable[[bytes], None] | None = None

    @classmethod
    def connect(cls, driver: Driver, url: str, settings: PortSettings | None = None, **kw):
        return cls(driver, Port(url, settings or driver.default_settings).open(), **kw)

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> InstrumentSession:
        self.port.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def drain(self, grace: float | None = None) -> int:
        """Hand every complete frame received to ``on_unsolicited`` and return how many.

        Without ``grace`` (after an exchange) only what is already buffered is handed on, with
        no I/O, and a partial frame stays for the next read. With ``grace`` (before a command)
        the port is read too, a partial frame gets that long to complete and is then
        discarded, logged with its bytes, so that it cannot run into the command's reply."""
        if grace is None:
            frames, leftover = self.port.buffered_frames(), b""
        else:
            frames, leftover = self.port.take_frames(grace)
        for frame in frames:
            if self.on_unsolicited is not None:
                self.on_unsolicited(frame)
            else:
                log.warning("%s: unsolicited frame discarded: %r", self.port.url, frame)
        if leftover:
            log.warning("%s: partial input discarded before a command: %r", self.port.url,
                        leftover)
        return len(frames)

    def read(
        self, command: str | None = None, *, timeout: float = 10.0, require_stable: bool = True
    ) -> Reading:
        """Ask for a reading and return it; with ``require_stable`` poll until the value is
        stable or ``timeout`` has passed (then UnstableReading). Readers cannot be asked:
        this waits for the next line they push."""
        if self.driver.kind == "reader":
            return self.receive(timeout=timeout)
        command = command or self.driver.stable_command
        if command not in self.driver.reading_commands:
            raise UnsupportedCommand(
                self.driver.name, command, sorted(self.driver.reading_commands)
            )
        request = self.driver.encode(command)
        start = time.monotonic()
        deadline = start + timeout
        failures = 0
        last_error: InstrumentError | None = None
        last_unstable: Reading | None = None
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                self.drain(PARTIAL_FRAME_GRACE_S)
                self.port.write(request)
                frame = self.port.read_frame(min(remaining, self.port.settings.timeout))
                reading = self.driver.parse(frame)
            except DeviceErrorReply as exc:
                if not exc.retriable:
                    raise
                last_error = exc  # busy: ask again until the deadline
                self._sleep(self.poll_interval)
                continue
            except (NoResponse, FrameError, Reconnected) as exc:
                failures += 1
                last_error = exc
                if failures > self.retries:
                    raise
                continue
            if reading.stable or not require_stable:
                self.drain()
                return reading
            last_unstable = reading
            self._sleep(self.poll_interval)
        if last_unstable is not None:
            raise UnstableReading(
                timeout,
                last_value=f"{last_unstable.value} {last_unstable.unit}".strip(),
                raw=last_unstable.raw,
            )
        if last_error is not None:
            raise last_error
        raise NoResponse(timeout)

    def receive(self, *, timeout: float = 10.0, require_stable: bool = True) -> Reading:
        """The next reading the device pushes by itself (PRINT key, reader result, SIR).

        Unstable pushed values are skipped when ``require_stable``; faults are raised."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                frame = self.port.read_frame(remaining, keep_partial=True)
            except Reconnected:
                continue
            reading = self.driver.parse(frame)
            if reading.stable or not require_stable:
                return reading
        raise NoResponse(timeout, "a line pushed by the instrument")

    def ask(self, command: str, *, timeout: float | None = None) -> str:
        """A non-reading command (serial number ``I4``, zero ``Z``, tare ``T``) -> its answer."""
        request = self.driver.encode(command)
        failures = 0
        while True:
            try:
                self.drain(PARTIAL_FRAME_GRACE_S)
                self.port.write(request)
                frame = self.port.read_frame(timeout)
                answer = self.driver.parse_reply(command, frame)
                self.drain()
                return answer
            except (NoResponse, FrameError, Reconnected):
                failures += 1
                if failures > self.retries:
                    raise

    def serial_number(self) -> str | None:
        """The device's serial number if its protocol can tell it (MT-SICS ``I4``)."""
        if "I4" not in self.driver.commands:
            return None
        return self.ask("I4")
