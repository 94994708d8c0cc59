"""What arrives from Home Assistant, checked: a button, a routine, a setting, or its birth.

Anything else (unknown topic or payload, junk bytes, a routine that does not exist, a rate
out of range, an oversized message) is a ``Rejected`` with the reason, for one log line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from voice_coach.core.session import RATE_MAX, RATE_MIN, VOLUME_MAX, VOLUME_MIN
from voice_coach.home.discovery import BUTTONS
from voice_coach.home.topics import ONLINE, Topics

MAX_PAYLOAD = 256
"""Bytes: every valid payload is a word, a number or a routine title."""
RANGES: dict[str, tuple[float, float]] = {"rate": (RATE_MIN, RATE_MAX),
                                          "volume": (VOLUME_MIN, VOLUME_MAX)}


@dataclass(frozen=True)
class Press:
    button: str
    """One of BUTTONS."""


@dataclass(frozen=True)
class Select:
    routine_id: str


@dataclass(frozen=True)
class Setting:
    name: str
    value: float


@dataclass(frozen=True)
class Birth:
    """Home Assistant (re)started: publish discovery and state again."""


@dataclass(frozen=True)
class Rejected:
    reason: str


Remote = Press | Select | Setting | Birth | Rejected


def parse(topics: Topics, topic: str, payload: bytes,
          routines: Mapping[str, str]) -> Remote | None:
    """What ``payload`` on ``topic`` asks for; None for messages that need no answer (Home
    Assistant's "offline"). ``routines``: routine title -> id."""
    if len(payload) > MAX_PAYLOAD:
        return Rejected(f"{len(payload)} bytes on {topic} (at most {MAX_PAYLOAD})")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return Rejected(f"payload on {topic} is not UTF-8 text")
    if not text.isprintable():
        return Rejected(f"payload on {topic} has control characters")
    if topic == topics.birth:
        return Birth() if text == ONLINE else None
    if topic == topics.command:
        button = text.lower()
        return Press(button) if button in BUTTONS else Rejected(
            f"unknown button {text[:40]!r} on {topic}")
    if topic == topics.routine_set:
        by_id = set(routines.values())
        routine_id = routines.get(text) or (text if text in by_id else None)
        return Select(routine_id) if routine_id else Rejected(
            f"no routine {text[:60]!r} (known: {', '.join(routines)})")
    for name, (low, high) in RANGES.items():
        if topic == topics.setting_set(name):
            try:
                value = float(text)
            except ValueError:
                return Rejected(f"{name} {text[:40]!r} is not a number")
            if not math.isfinite(value) or not low - 1e-9 <= value <= high + 1e-9:
                return Rejected(f"{name} {text[:40]} is out of range {low}-{high}")
            return Setting(name, value)
    return Rejected(f"unexpected topic {topic}")
