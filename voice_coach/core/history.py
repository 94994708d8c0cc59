"""The record of one session while it runs: what becomes its history line at the end."""

from __future__ import annotations

from collections.abc import Sequence

from voice_coach.core.actions import Progress, SaveProgress, SessionSummary, StateChanged
from voice_coach.core.cues import Cue
from voice_coach.core.navigation import Sections
from voice_coach.core.states import SessionState


class SessionTracker:
    """Counts what the history line needs while a session runs."""

    def __init__(self, routine_id: str, cues: Sequence[Cue], now: float, start_index: int,
                 started_by: str = "voice"):
        self.routine_id = routine_id
        self.sections = Sections.of(cues)
        ends = [s - 1 for s in self.sections.starts[1:]] + ([len(cues) - 1] if cues else [])
        self._section_ends = set(ends)
        self.started = now
        self.start_index = start_index
        self.index = start_index
        self.pauses = 0
        self.started_by = started_by
        self.commands = {"voice": 0, "home": 0}
        """Commands forwarded to the session, by where they came from."""
        self._completed: set[int] = set()

    def command(self, source: str) -> None:
        self.commands[source] = self.commands.get(source, 0) + 1

    def note(self, action: object) -> None:
        if isinstance(action, StateChanged) and action.state == SessionState.PAUSED:
            self.pauses += 1
        elif isinstance(action, SaveProgress):
            self.index = action.progress.cue_index
            if self.index in self._section_ends or action.progress.finished:
                self._completed.add(self.sections.position(self.index))

    def summary(self, how: str, now: float, progress: Progress | None) -> SessionSummary:
        index = progress.cue_index if progress is not None else self.index
        return SessionSummary(
            self.routine_id, self.start_index, index, len(self._completed),
            self.sections.count, self.pauses, round(max(0.0, now - self.started), 2), how,
            self.started_by, self.commands.get("voice", 0), self.commands.get("home", 0),
        )
