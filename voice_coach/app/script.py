"""Scripted commands for ``simulate``: "12:pause,20:resume,45:next" at virtual times."""

from __future__ import annotations

import math
from dataclasses import dataclass

from voice_coach.errors import UserError


@dataclass(frozen=True)
class ScriptedCommand:
    time: float
    """Seconds into the stream at which the command is heard."""
    command: str


def parse_script(text: str, known: frozenset[str] | None = None,
                 end: float = math.inf) -> list[ScriptedCommand]:
    """Parse ``SECONDS:COMMAND`` items separated by commas; sorted by time. A time outside
    0..``end`` (the simulation's length) could never be heard: an error."""
    items: list[ScriptedCommand] = []
    for position, raw in enumerate(text.split(","), start=1):
        item = raw.strip()
        if not item:
            continue
        seconds, sep, command = item.partition(":")
        command = command.strip().lower()
        try:
            time = float(seconds)
        except ValueError:
            time = -1.0
        if not sep or not math.isfinite(time) or not command:
            raise UserError(
                f"--script item {position} {item!r}: expected SECONDS:COMMAND, e.g. 12:pause"
            )
        if time < 0:
            raise UserError(f"--script item {position} {item!r}: {time:g} s is before the "
                            "start (seconds from the start, 0 or more)")
        if time > end:
            raise UserError(f"--script item {position} {item!r}: {time:g} s is after the end "
                            f"of the simulation (--max-seconds {end:g})")
        if known is not None and command not in known:
            raise UserError(
                f"--script item {position} {item!r}: unknown command {command!r} "
                f"(known: {', '.join(sorted(known))})"
            )
        items.append(ScriptedCommand(time, command))
    return sorted(items, key=lambda c: c.time)
