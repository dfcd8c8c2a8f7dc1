"""Talking to an instrument over any port pyserial can open.

``serial.serial_for_url`` gives one code path for ``/dev/ttyUSB0``, ``COM3``,
``socket://host:port`` (serial-to-Ethernet converters), ``rfc2217://host:port`` and
``loop://`` (tests). ``Port`` frames the byte stream and survives an unplugged cable by
reopening the port; ``InstrumentSession`` adds the request/answer logic: retries, waiting
for a stable weight, listening for lines a device pushes by itself.
"""

from __future__ import annotations

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
        """Reopen after an I/O error; raise PortLost when the port stays away."""
        self.close()
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

    def discard_input(self) -> None:
        """Drop stale bytes so the next frame read answers the next request."""
        self.open()
        self._buf.clear()
        try:
            self._serial.reset_input_buffer()
        except _IO_ERRORS as exc:
            self._reconnect(exc)

    def read_frame(self, timeout: float | None = None) -> bytes:
        """Next frame, terminator included. NoResponse on silence, FrameError on a partial
        or endless frame, Reconnected / PortLost when the port dropped."""
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
                if self._buf:
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
                self.port.discard_input()
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
                frame = self.port.read_frame(remaining)
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
                self.port.discard_input()
                self.port.write(request)
                frame = self.port.read_frame(timeout)
                return self.driver.parse_reply(command, frame)
            except (NoResponse, FrameError, Reconnected):
                failures += 1
                if failures > self.retries:
                    raise

    def serial_number(self) -> str | None:
        """The device's serial number if its protocol can tell it (MT-SICS ``I4``)."""
        if "I4" not in self.driver.commands:
            return None
        return self.ask("I4")
