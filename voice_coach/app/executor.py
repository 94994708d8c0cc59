"""Carries out what the Session or the Dialogue decides, and feeds them events: the one loop
every mode shares (render, play, simulate, run, demo).

The Executor owns no clock and no device: whoever drives it (a render loop on a virtual
clock, the live loop paced by the sound card, the simulated room) calls ``step(now)`` once
per audio block. Events may be posted from any thread; the machine is only ever touched from
the driving thread, in ``step``.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_coach.commands import ListenMode
from voice_coach.core.actions import (
    Action,
    Notice,
    PlayEarcon,
    Prefetch,
    SaveProgress,
    SessionEnded,
    SessionStarted,
    SetListenMode,
    SetVolume,
    Speak,
    StartEnrollment,
    StateChanged,
    StopAudio,
)
from voice_coach.core.events import (
    CommandHeard,
    DeviceChanged,
    EnrollmentDone,
    Event,
    SavingChanged,
    SpeechDone,
    Tick,
)
from voice_coach.earcon import earcon

# The event log is what the coach did: its lines read "voice_coach.coach: 12.34 say ...".
log = logging.getLogger("voice_coach.coach")

EARCON_ID = 0
"""Utterance id of chimes: nothing waits for their SpeechDone."""

class Machine(Protocol):
    """The Session or the Dialogue: events in, actions out, time passed in."""

    def handle(self, event: Event, now: float) -> Sequence[Action]: ...


class SynthesizerLike(Protocol):
    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray: ...
    def prefetch(self, texts: Sequence[str], rate: float = 1.0) -> None: ...


class PlayerLike(Protocol):
    @property
    def sample_rate(self) -> int: ...
    def play(self, utterance_id: int, pcm: np.ndarray) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...


@dataclass(frozen=True)
class LogEntry:
    """One line of the event log: what came in or what the coach did, at stream time."""

    time: float
    kind: str
    detail: dict[str, object]


@dataclass
class Hooks:
    """What the app does with the actions that reach beyond speech (all optional)."""

    save_progress: Callable[[SaveProgress], None] | None = None
    set_mode: Callable[[ListenMode, Mapping[str, Sequence[str]] | None], None] | None = None
    session_ended: Callable[[SessionEnded], None] | None = None
    outcome: Callable[[], str] | None = None
    """What a command heard led to ("paused", "starting lower-back-hip"), for the log."""
    enroll: Callable[[], EnrollmentDone] | None = None
    """Runs the spoken enrollment to its end (it blocks the loop meanwhile: the enrollment
    has the speaker and microphone to itself); without it StartEnrollment is refused."""


def choices_mapping(mode: SetListenMode) -> Mapping[str, Sequence[str]] | None:
    """The choices of ``mode`` as the Listener's ``set_mode`` takes them."""
    if mode.mode != ListenMode.CHOICE:
        return None
    return {key: list(phrases) for key, phrases in mode.choices}


class Executor:
    """Executes a machine's actions against a synthesizer and a player."""

    def __init__(self, machine: Machine, synthesizer: SynthesizerLike, player: PlayerLike,
                 hooks: Hooks | None = None,
                 on_log: Callable[[LogEntry], None] | None = None) -> None:
        self.machine = machine
        self.synthesizer = synthesizer
        self.player = player
        self.hooks = hooks or Hooks()
        self.log_listeners: list[Callable[[LogEntry], None]] = [on_log] if on_log else []
        """Called with every event-log entry (the demo prints them, tests read them)."""
        self.commands_heard = 0
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._chime: np.ndarray | None = None

    def post(self, event: Event) -> None:
        """Thread-safe: handled at the next ``step``."""
        self._inbox.put(event)

    def speech_done(self, utterance_id: int) -> None:
        """The player's ``on_done``: called on the audio thread, so it only posts."""
        self.post(SpeechDone(utterance_id))

    def step(self, now: float) -> None:
        """Handle every posted event, then let time pass."""
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                break
            self._handle(event, now)
        self.execute(self.machine.handle(Tick(), now), now)

    def execute(self, actions: Sequence[Action], now: float) -> None:
        for action in actions:
            self._execute(action, now)

    def emit(self, entry: LogEntry) -> None:
        """Log ``entry`` and hand it to every log listener."""
        log.info("%7.2f %s %s", entry.time, entry.kind, entry.detail)
        for listener in self.log_listeners:
            listener(entry)

    def _handle(self, event: Event, now: float) -> None:
        actions = self.machine.handle(event, now)
        match event:
            case CommandHeard(distress=True) if not actions:
                log.info("a cry heard (%r) while the coach is silent: nothing to pause",
                         event.text)
            case CommandHeard():
                self._heard(event, now)
            case DeviceChanged():
                if event.lost:
                    log.warning("%s lost%s; pausing and retrying", event.device,
                                f" ({event.detail})" if event.detail else "")
                else:
                    log.warning("%s is back", event.device)
                self._log(now, "device", device=event.device, lost=event.lost,
                          detail=event.detail)
            case SavingChanged():
                self._log(now, "saving", failing=event.failing, detail=event.detail)
            case EnrollmentDone():
                self._log(now, "enrolled", saved=event.saved, problem=event.problem)
        self.execute(actions, now)

    def _heard(self, event: CommandHeard, now: float) -> None:
        self.commands_heard += 1
        detail: dict[str, object] = {"command": event.command,
                                     "confidence": round(event.confidence, 2),
                                     "text": event.text, "source": event.source}
        if self.hooks.outcome is not None:
            outcome = self.hooks.outcome()
            how = "" if event.source == "voice" else f" from {event.source}"
            log.info("heard '%s' (%.2f)%s -> %s", event.command, event.confidence, how, outcome)
            detail["outcome"] = outcome
        if event.time is not None:
            detail["mic_time"] = round(event.time, 2)
        self._log(now, "heard", **detail)

    def _execute(self, action: Action, now: float) -> None:
        hooks = self.hooks
        match action:
            case Speak():
                pcm = self.synthesizer.synthesize(action.text, action.rate)
                self.player.play(action.utterance_id, pcm)
                self._log(now, "say", text=action.text, cue=action.cue_index)
            case StopAudio():
                self.player.stop()
                self._log(now, "stop-audio")
            case SetVolume():
                self.player.set_volume(action.volume)
                self._log(now, "volume", volume=round(action.volume, 2))
            case Prefetch():
                self.synthesizer.prefetch(action.texts, action.rate)
            case SaveProgress():
                if hooks.save_progress is not None:
                    hooks.save_progress(action)
            case StateChanged():
                self._log(now, "state", state=str(action.state), reason=action.reason)
            case PlayEarcon():
                if self._chime is None:
                    self._chime = earcon(self.player.sample_rate)
                self.player.play(EARCON_ID, self._chime)
                self._log(now, "earcon", name=action.name)
            case SetListenMode():
                if hooks.set_mode is not None:
                    hooks.set_mode(action.mode, choices_mapping(action))
                self._log(now, "listen", mode=str(action.mode))
            case SessionStarted():
                log.info("session %s: %s at cue %d", "resumed" if action.resumed else "started",
                         action.routine_id, action.start_index)
                self._log(now, "session", routine=action.routine_id, start=action.start_index,
                          resumed=action.resumed)
            case SessionEnded():
                summary = action.summary
                log.info("session %s: %s, %d/%d sections, %d pauses, %.0f s", summary.how,
                         summary.routine_id, summary.sections_completed, summary.section_count,
                         summary.pauses, summary.duration)
                self._log(now, "ended", routine=summary.routine_id, how=summary.how)
                if hooks.session_ended is not None:
                    hooks.session_ended(action)
            case Notice():
                log.info("%s", action.text)
                self._log(now, "notice", text=action.text)
            case StartEnrollment():
                self._log(now, "enroll")
                self.post(hooks.enroll() if hooks.enroll is not None
                          else EnrollmentDone(0, "voice enrollment is not available here"))

    def _log(self, now: float, kind: str, **detail: object) -> None:
        self.emit(LogEntry(now, kind, detail))
