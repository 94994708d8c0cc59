"""Carries out the Session's actions and feeds it events; the one loop every mode shares.

The Coach owns no clock and no device: whoever drives it (a render loop on a virtual
clock, or the live loop paced by the sound card) calls ``step(now)`` once per audio block
after pulling that block from the player.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_coach.core.actions import (
    Action,
    Prefetch,
    SaveProgress,
    SetVolume,
    Speak,
    StateChanged,
    StopAudio,
)
from voice_coach.core.events import CommandHeard, Event, SpeechDone, Tick

log = logging.getLogger(__name__)


class SynthesizerLike(Protocol):
    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray: ...
    def prefetch(self, texts: Sequence[str], rate: float = 1.0) -> None: ...


class PlayerLike(Protocol):
    def play(self, utterance_id: int, pcm: np.ndarray) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...


class SessionLike(Protocol):
    @property
    def state(self) -> str: ...
    def handle(self, event: Event, now: float) -> list[Action]: ...


@dataclass(frozen=True)
class LogEntry:
    """One line of the event log: what came in or what the coach did, at stream time."""

    time: float
    kind: str
    detail: dict[str, object]


class Coach:
    """Executes Session actions against a synthesizer and a player.

    Events may be posted from any thread (``post``); they are handled in ``step`` on the
    driving thread, so the Session itself is only ever touched from one thread.
    """

    def __init__(
        self,
        session: SessionLike,
        synthesizer: SynthesizerLike,
        player: PlayerLike,
        save_progress: Callable[[SaveProgress], None] | None = None,
        on_log: Callable[[LogEntry], None] | None = None,
    ) -> None:
        self.session = session
        self.synthesizer = synthesizer
        self.player = player
        self._save_progress = save_progress
        self._on_log = on_log
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def post(self, event: Event) -> None:
        self._inbox.put(event)

    def run_actions(self, actions: Sequence[Action], now: float) -> None:
        for action in actions:
            self._execute(action, now)

    def step(self, now: float) -> None:
        """Handle every posted event, then let time pass."""
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, CommandHeard):
                self._log(
                    now,
                    "heard",
                    command=event.command,
                    confidence=round(event.confidence, 2),
                    text=event.text,
                )
            self.run_actions(self.session.handle(event, now), now)
        self.run_actions(self.session.handle(Tick(), now), now)

    def speech_done(self, utterance_id: int) -> None:
        self.post(SpeechDone(utterance_id))

    def _execute(self, action: Action, now: float) -> None:
        if isinstance(action, Speak):
            pcm = self.synthesizer.synthesize(action.text, action.rate)
            self.player.play(action.utterance_id, pcm)
            self._log(now, "say", text=action.text, cue=action.cue_index)
        elif isinstance(action, StopAudio):
            self.player.stop()
            self._log(now, "stop-audio")
        elif isinstance(action, SetVolume):
            self.player.set_volume(action.volume)
            self._log(now, "volume", volume=round(action.volume, 2))
        elif isinstance(action, Prefetch):
            self.synthesizer.prefetch(action.texts, action.rate)
        elif isinstance(action, SaveProgress):
            if self._save_progress is not None:
                self._save_progress(action)
        elif isinstance(action, StateChanged):
            self._log(now, "state", state=action.state, reason=action.reason)

    def _log(self, now: float, kind: str, **detail: object) -> None:
        entry = LogEntry(now, kind, detail)
        log.info("%7.2f %s %s", now, kind, detail)
        if self._on_log is not None:
            self._on_log(entry)
