"""The simulator engine: serves a device personality over a pty or a TCP socket."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from abc import ABC

from lims.instruments.simulators.script import REACTIVE, ScriptError, Step, parse_script


class Device(ABC):
    """How one device formats its frames and answers commands."""

    driver_name: str
    kind = "balance"
    terminator = b"\r\n"
    #: requests answered after the load settles (consume unstable steps silently)
    waiting_commands: frozenset[str] = frozenset()
    #: requests answered at once with the current step
    immediate_commands: frozenset[str] = frozenset()
    streaming_commands: frozenset[str] = frozenset()
    default_script = "stable 100.00 g"
    #: proactive steps that send data
    push_steps: frozenset[str] = frozenset({"print", "line"})

    def allowed_steps(self) -> set[str]:
        common = {"sleep", "silence", "disconnect", "unplug", "garbage", "partial"}
        if self.kind == "balance":
            return common | REACTIVE | self.push_steps
        return common | self.push_steps

    def weight(self, value: str, unit: str, stable: bool) -> bytes:
        raise NotImplementedError

    def overload(self) -> bytes:
        raise NotImplementedError

    def underload(self) -> bytes:
        raise NotImplementedError

    def busy(self) -> bytes:
        raise NotImplementedError

    def error(self, *code: str) -> bytes:
        raise NotImplementedError

    def other(self, command: str, sim: Simulator) -> bytes | None:
        """Answer to a non-weight command (None: stay silent)."""
        return None

    def command_name(self, data: bytes) -> str:
        return data.decode("latin-1").strip()

    def push(self, step: Step) -> bytes:
        """Frame for a proactive step that sends data (print, reader results)."""
        if step.kind == "print":
            return self.weight(step.args[0], step.args[1], True)
        if step.kind == "line":
            return step.args[0].encode("utf-8") + self.terminator
        raise ValueError(f"{self.driver_name} simulator cannot push {step.kind!r}")

    def garbage(self) -> bytes:
        return b"\xfe\x80q#\x07\xff)\x9c" + self.terminator

    def partial(self) -> bytes:
        frame = self.weight("100.00", "g", True)
        return frame[: len(frame) // 2]

    def reply(self, step: Step) -> bytes:
        k = step.kind
        if k in ("stable", "unstable"):
            return self.weight(step.args[0], step.args[1], k == "stable")
        if k == "overload":
            return self.overload()
        if k == "underload":
            return self.underload()
        if k == "busy":
            return self.busy()
        if k == "error":
            return self.error(*step.args)
        if k == "garbage":
            return self.garbage()
        if k == "partial":
            return self.partial()
        raise ValueError(k)


class Simulator:
    """Runs a script for a device in a background thread."""

    #: a waiting request (MT-SICS S) gives up after this many unstable steps, like the
    #: balance's own stability time-out
    max_settle_steps = 25

    def __init__(self, device: Device, script: str | None = None, *, settle_delay=0.05):
        self.device = device
        self.steps = parse_script(script or device.default_script)
        allowed = device.allowed_steps()
        for step in self.steps:
            if step.kind not in allowed:
                raise ScriptError(
                    f"line {step.line}: a {device.driver_name} simulator cannot do {step.kind!r}"
                )
        self.settle_delay = settle_delay
        self.cursor = 0
        self.last_reactive: Step | None = None
        self.requests: list[str] = []
        self.sent: list[bytes] = []
        self.url: str | None = None
        self.tare = "0.00"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wait_until = 0.0
        self._mute_until = 0.0
        self._streaming: str | None = None
        self._last_stream = 0.0
        self._conn_fd: int | None = None
        self._sock: socket.socket | None = None
        self._listener: socket.socket | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._inbuf = b""
        self.finished = threading.Event()  # the script has been played to its end

    # serving --------------------------------------------------------------------------
    def serve_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as they are
        self._master, self._slave = master, slave
        self._conn_fd = master
        self.url = os.ttyname(slave)
        self._start()
        return self.url

    def serve_tcp(self, port: int = 0, host: str = "127.0.0.1") -> str:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1)
        self._listener = listener
        self.url = f"socket://{host}:{listener.getsockname()[1]}"
        self._start()
        return self.url

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="instrument-sim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._close_all()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # connection plumbing --------------------------------------------------------------
    def _close_client(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None
            self._conn_fd = None
        self._inbuf = b""
        self._streaming = None

    def _close_all(self) -> None:
        self._close_client()
        for attr in ("_master", "_slave"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)
        self._conn_fd = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _send(self, data: bytes) -> None:
        if self._conn_fd is None:
            return
        try:
            if self._sock is not None:
                self._sock.sendall(data)
            else:
                os.write(self._conn_fd, data)
            self.sent.append(data)
        except OSError:
            self._close_client()

    def _accept(self) -> None:
        if self._listener is None or self._sock is not None:
            return
        ready, _, _ = select.select([self._listener], [], [], 0.02)
        if ready:
            self._sock, _ = self._listener.accept()
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn_fd = self._sock.fileno()

    def _connected(self) -> bool:
        return self._conn_fd is not None

    # the loop -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._accept()
                if self._master is None and not self._connected():
                    if self._listener is None:
                        return
                    continue  # TCP: no client yet, the script waits for one
                self._proactive()
                if self._stop.is_set():
                    return
                self._stream()
                self._read_requests()
        finally:
            self._close_all()

    def _proactive(self) -> None:
        while self.cursor < len(self.steps) and time.monotonic() >= self._wait_until:
            step = self.steps[self.cursor]
            if not step.proactive and self.device.kind == "balance":
                return
            self.cursor += 1
            k = step.kind
            if k == "sleep":
                self._wait_until = time.monotonic() + float(step.args[0])
            elif k == "silence":
                self._mute_until = time.monotonic() + float(step.args[0])
            elif k == "disconnect":
                if self._listener is not None:
                    self._close_client()
                else:
                    self._stop.set()  # a pty cannot be replugged under the same name
                    return
            elif k == "unplug":
                self._stop.set()
                return
            elif k in ("garbage", "partial"):
                self._send(self.device.reply(step))
            else:
                self._send(self.device.push(step))
        if self.cursor >= len(self.steps):
            self.finished.set()

    def _next_reactive(self) -> Step:
        if self.cursor < len(self.steps) and not self.steps[self.cursor].proactive:
            step = self.steps[self.cursor]
            self.cursor += 1
            self.last_reactive = step
            if self.cursor >= len(self.steps):
                self.finished.set()
            return step
        return self.last_reactive or Step("stable", ("0.00", "g"))

    def current_weight(self) -> tuple[str, str]:
        step = self.last_reactive
        if step is not None and step.kind in ("stable", "unstable"):
            return step.args[0], step.args[1]
        return "0.00", "g"

    def _read_requests(self) -> None:
        fd = self._conn_fd
        if fd is None:
            return
        try:
            ready, _, _ = select.select([fd], [], [], 0.02)
        except (OSError, ValueError):
            self._close_client()
            return
        if not ready:
            return
        try:
            data = self._sock.recv(4096) if self._sock is not None else os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            if self._sock is not None:
                self._close_client()  # the client went away; wait for the next one
            return
        self._inbuf += data
        term = self.device.terminator
        while term in self._inbuf:
            raw, self._inbuf = self._inbuf.split(term, 1)
            self._handle(self.device.command_name(raw))

    def _handle(self, command: str) -> None:
        self.requests.append(command)
        if time.monotonic() < self._mute_until:
            return
        dev = self.device
        self._streaming = None
        if command in dev.immediate_commands:
            self._answer(self._next_reactive())
        elif command in dev.waiting_commands:
            self._answer(self._settle())
        elif command in dev.streaming_commands:
            self._streaming = command
            self._last_stream = 0.0
        else:
            answer = dev.other(command, self)
            if answer is not None:
                self._send(answer)

    def _settle(self) -> Step:
        """A waiting request: unstable steps pass while the balance settles."""
        for _ in range(self.max_settle_steps):
            step = self._next_reactive()
            if step.kind != "unstable":
                return step
            time.sleep(self.settle_delay)
        return Step("busy")

    def _answer(self, step: Step) -> None:
        if step.kind == "busy":
            self._send(self.device.busy())
        else:
            self._send(self.device.reply(step))
        self._proactive()

    def _stream(self) -> None:
        if self._streaming and time.monotonic() - self._last_stream >= 0.1:
            self._last_stream = time.monotonic()
            self._answer(self._next_reactive())
