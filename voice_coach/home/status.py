"""The retained state message: what the coach is doing, as the sensors read it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from voice_coach.core.view import CoachView


@dataclass(frozen=True)
class LastCommand:
    command: str
    source: str
    """"voice" or "home"."""

    def label(self) -> str:
        return f"{self.command} ({self.source})"


def state_payload(view: CoachView, selected: str, last: LastCommand | None,
                  notice: str) -> str:
    """The JSON text of the state topic (keys sorted, so equal states are equal texts)."""
    minutes = round(view.time_left_s / 60.0, 1) if view.section_count else 0
    return json.dumps({
        "state": str(view.activity),
        "routine": view.routine_title or "none",
        "routine_id": view.routine_id,
        "section": view.section_label or "none",
        "time_left": minutes,
        "last_command": last.label() if last is not None else "none",
        "last_command_source": last.source if last is not None else "",
        "selected": selected,
        "rate": round(view.rate, 2),
        "volume": round(view.volume, 2),
        "notice": notice,
    }, sort_keys=True)
