"""Writes progress and history for a running coach, and keeps what cannot be written.

Progress and history that cannot be written (a full or read-only disk) are kept in memory
and written again every ``SAVE_RETRY_S``; ``on_change`` hears when saving starts failing
(every failed attempt, so each session can be told) and when it works again. Whatever is
still unwritten at ``close`` is logged in full, so it can be put back by hand.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict

from voice_coach.core.actions import Progress, SessionSummary
from voice_coach.core.events import SavingChanged
from voice_coach.state_store import HistoryEntry, StateStore

log = logging.getLogger(__name__)

SAVE_RETRY_S = 5.0
"""Seconds between attempts to write progress or history that could not be written."""


class StateWriter:
    """Progress (the latest only) and history lines (all, in order) on their way to ``store``."""

    def __init__(self, store: StateStore, on_change: Callable[[SavingChanged], None],
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.on_change = on_change
        self.wall_clock = wall_clock
        self.failures = 0
        """Failed attempts to write progress or history."""
        self.writes = 0
        """Progress and history records written."""
        self._progress: Progress | None = None
        self._history: list[HistoryEntry] = []
        self._failing = False
        self._retry_at: float | None = None

    @property
    def unsaved(self) -> bool:
        """Progress or history is waiting to be written (the last attempt failed)."""
        return self._progress is not None or bool(self._history)

    def save(self, progress: Progress) -> None:
        self._progress = progress
        self._flush()

    def record(self, summary: SessionSummary) -> None:
        self._history.append(HistoryEntry.of(summary, self.wall_clock()))
        self._flush()

    def step(self, now: float) -> None:
        """Try again when due (``now`` is any clock in seconds)."""
        if not self._failing:
            return
        if self._retry_at is None:
            self._retry_at = now + SAVE_RETRY_S
        elif now >= self._retry_at:
            self._retry_at = now + SAVE_RETRY_S
            self._flush()

    def close(self) -> None:
        """A last try, then what is still unwritten goes to the log in full."""
        if self._failing:
            self._flush()
        if self._progress is not None:
            log.error("progress NOT saved in %s: %s", self.store.directory,
                      json.dumps(asdict(self._progress)))
        for entry in self._history:
            log.error("history NOT saved in %s: %s", self.store.history_path,
                      json.dumps(asdict(entry)))

    def _flush(self) -> None:
        """Write what is waiting (progress first, then history in order); keep what fails."""
        try:
            if self._progress is not None:
                self.store.save_progress(self._progress)
                self._progress = None
                self.writes += 1
            while self._history:
                self.store.append_history(self._history[0])
                self._history.pop(0)
                self.writes += 1
        except OSError as error:
            # Keep coaching: a full disk must not stop a session, but it must not go unseen.
            self.failures += 1
            if not self._failing:
                self._failing, self._retry_at = True, None
                log.error("cannot save progress or history in %s: %s; retrying every %.0f s",
                          self.store.directory, error, SAVE_RETRY_S)
            self.on_change(SavingChanged(True, str(error)))
            return
        if self._failing:
            self._failing = False
            log.warning("progress and history saved in %s again", self.store.directory)
            self.on_change(SavingChanged(False))
