"""Simulator scripts: what a simulated device does, one step per line.

Balances (answer requests; a *reactive* step answers one weight request):

    stable 100.00 g              stable weight
    unstable 100.02 g            one dynamic (not yet stable) value
    unstable 3 then stable 12.345 g
    overload | underload | busy  the device's overload / underload / busy answer
    error ES                     the device's error reply with that code
    garbage                      bytes that are no frame
    partial                      half a frame, no terminator

Any device (*proactive* steps run as soon as they are reached):

    print 5.00 g                 push a stable weight, as the PRINT key does
    sleep 1.5                    wait before the next step
    silence 2                    ignore every request for 2 seconds
    disconnect                   drop the connection (TCP: accepts a new one; pty: hangs up)
    unplug                       the port vanishes: stop serving

Readers push every step:

    pesticide 3 S-007 0.312 0.105          channel, sample, ΔA control, ΔA sample
    gold 1 S-011 clenbuterol 412 1030 0.80 [COMP|SAND]
    line <text>                  push the text as-is (e.g. a line with a bad checksum)
    garbage | partial | sleep | disconnect | unplug

When a balance script runs out, its last reactive step repeats (the load stays on the pan).
Blank lines and ``#`` comments are ignored; ``;`` separates steps on one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Step:
    kind: str
    args: tuple[str, ...] = ()
    line: int = 0

    @property
    def proactive(self) -> bool:
        return self.kind in PROACTIVE


PROACTIVE = {"print", "sleep", "silence", "disconnect", "unplug", "pesticide", "gold", "line"}
REACTIVE = {"stable", "unstable", "overload", "underload", "busy", "error", "garbage", "partial"}
_ARITY = {
    "stable": (2, 2), "unstable": (2, 2), "overload": (0, 0), "underload": (0, 0),
    "busy": (0, 0), "error": (1, 2), "garbage": (0, 0), "partial": (0, 0),
    "print": (2, 2), "sleep": (1, 1), "silence": (1, 1), "disconnect": (0, 0),
    "unplug": (0, 0), "pesticide": (4, 4), "gold": (6, 7), "line": (1, 99),
}  # fmt: skip


class ScriptError(ValueError):
    pass


def _number(text: str, n: int) -> None:
    try:
        Decimal(text)
    except Exception:
        raise ScriptError(f"step {n}: {text!r} is not a number") from None


def parse_script(text: str) -> list[Step]:
    steps: list[Step] = []
    for n, raw_line in enumerate(text.splitlines(), start=1):
        for part in raw_line.split("#", 1)[0].split(";"):
            words = part.split()
            if not words:
                continue
            kind, args = words[0].lower(), words[1:]
            if kind == "line":
                steps.append(Step("line", (part.strip()[5:],), n))
                continue
            m = re.fullmatch(r"unstable (\d+) then stable (\S+) (\S+)", " ".join(words))
            if m:
                count, value, unit = int(m.group(1)), m.group(2), m.group(3)
                _number(value, n)
                steps += [Step("unstable", (jitter(value, i), unit), n) for i in range(count)]
                steps.append(Step("stable", (value, unit), n))
                continue
            if kind not in _ARITY:
                raise ScriptError(f"line {n}: unknown step {kind!r}")
            lo, hi = _ARITY[kind]
            if not lo <= len(args) <= hi:
                raise ScriptError(f"line {n}: {kind} takes {lo}-{hi} arguments, got {len(args)}")
            if kind in ("stable", "unstable", "print"):
                _number(args[0], n)
            if kind in ("sleep", "silence"):
                _number(args[0], n)
            steps.append(Step(kind, tuple(args), n))
    if not steps:
        raise ScriptError("script has no steps")
    return steps


def jitter(value: str, i: int) -> str:
    """A nearby value with the same decimals: what a settling balance shows."""
    d = Decimal(value)
    unit = Decimal(1).scaleb(d.as_tuple().exponent)
    offsets = (7, -4, 3, -2, 1)
    return str(d + unit * offsets[i % len(offsets)])
