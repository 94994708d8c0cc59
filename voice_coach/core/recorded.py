"""A Session that closes its own history record: ``play`` is a session too.

The Dialogue keeps the record of sessions ``run`` starts; ``play`` has no Dialogue, so this
wraps its Session, counts what the history line needs, and adds ``SessionEnded`` when the
session finishes (or ``interrupt`` when the user quits). Pure, like the rest of core.
"""

from __future__ import annotations

from collections.abc import Sequence

from voice_coach.core.actions import Action, Progress, SaveProgress, SessionEnded
from voice_coach.core.events import Event
from voice_coach.core.history import SessionTracker
from voice_coach.core.session import Session
from voice_coach.core.states import SessionState


class RecordedSession:
    """``session`` with a history record (``started_by`` says who started it)."""

    def __init__(self, session: Session, started_by: str) -> None:
        self.session = session
        self.started_by = started_by
        self._tracker: SessionTracker | None = None
        self._saved: Progress | None = None
        self.ended = False

    def start(self, now: float) -> list[Action]:
        progress = self.session.progress()
        self._tracker = SessionTracker(progress.routine_id, self.session.cues, now,
                                       progress.cue_index, self.started_by)
        return self._note(list(self.session.start(now)), now)

    def handle(self, event: Event, now: float) -> Sequence[Action]:
        return self._note(list(self.session.handle(event, now)), now)

    def interrupt(self, now: float) -> list[Action]:
        """The user quit (Ctrl-C, SIGTERM): save the place and close the record."""
        if self.ended or self._tracker is None:
            return []
        return self._note([SaveProgress(self.session.progress())], now, how="interrupted")

    def _note(self, actions: list[Action], now: float, how: str | None = None) -> list[Action]:
        assert self._tracker is not None, "start() first"
        for action in actions:
            if isinstance(action, SaveProgress):
                self._saved = action.progress
            self._tracker.note(action)
        if how is None and self.session.state == SessionState.FINISHED and not self.ended:
            finished = self._saved is not None and self._saved.finished
            how = "completed" if finished else "stopped"
        if how is not None:
            self.ended = True
            actions.append(SessionEnded(self._tracker.summary(how, now, self._saved)))
        return actions
