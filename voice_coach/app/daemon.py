"""The one loop of ``voice-coach run`` (and ``demo``): listener -> Dialogue -> Coach -> player.

``Daemon.step(now)`` is called once per audio block by a driver that owns the clock: the live
driver (voice_coach.app.live_run, sound cards and threads) or the virtual-room driver
(voice_coach.app.virtual_room, one thread, virtual clock). Everything that happens to the
conversation goes through here, so both drivers behave the same: what the listener heard,
what the player finished, devices lost and back, shutdown.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voice_coach.app.coach import Coach, LogEntry, SynthesizerLike
from voice_coach.commands import ListenMode
from voice_coach.core.actions import (
    Action,
    PlayEarcon,
    SaveProgress,
    SessionEnded,
    SessionStarted,
    SetListenMode,
)
from voice_coach.core.choices import RoutineOption
from voice_coach.core.dialogue import Dialogue
from voice_coach.core.events import CommandHeard, SpeechDone, Tick
from voice_coach.earcon import earcon
from voice_coach.state_store import HistoryEntry, StateStore

log = logging.getLogger(__name__)

EARCON_ID = 0
"""Utterance id of chimes: the Dialogue waits for none of them."""


class HeardLike(Protocol):
    """voice_coach.listen.listener.Heard, or anything shaped like it."""

    command: str
    time: float
    text: str
    confidence: float


class ListenerLike(Protocol):
    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None: ...
    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None: ...
    def process(self, mic_block: np.ndarray, start_time: float) -> list[HeardLike]: ...


class DaemonPlayer(Protocol):
    sample_rate: int
    on_done: Callable[[int], None] | None

    @property
    def time(self) -> float: ...
    def play(self, utterance_id: int, pcm: np.ndarray) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...


@dataclass(frozen=True)
class DeviceEvent:
    device: str
    """"microphone" or "speaker"."""
    lost: bool
    """True when it stopped working, False when it works again."""
    detail: str = ""


class Daemon:
    """Routes events into the Dialogue and carries out what it decides."""

    def __init__(
        self,
        dialogue: Dialogue,
        synthesizer: SynthesizerLike,
        player: DaemonPlayer,
        store: StateStore,
        *,
        set_mode: Callable[[str, Mapping[str, Sequence[str]] | None], None] | None = None,
        on_log: Callable[[LogEntry], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        wake_phrase: str = "hey coach",
    ) -> None:
        self.wake_phrase = wake_phrase
        self.dialogue = dialogue
        self.player = player
        self.store = store
        self.set_mode = set_mode
        self.log_listeners: list[Callable[[LogEntry], None]] = [on_log] if on_log else []
        """Called with every event-log entry (the demo prints them, tests read them)."""
        self.wall_clock = wall_clock
        self.coach = Coach(dialogue, synthesizer, player,  # type: ignore[arg-type]
                           save_progress=self._save, on_log=self.emit)
        self.commands_heard = 0
        self.save_failures = 0
        self._inbox: queue.SimpleQueue[HeardLike | DeviceEvent | SpeechDone] = (
            queue.SimpleQueue())
        self._chime = earcon(player.sample_rate)
        player.on_done = lambda utterance_id: self._inbox.put(SpeechDone(utterance_id))

    # --- thread-safe entry points --------------------------------------------------------

    def post_heard(self, heard: HeardLike) -> None:
        self._inbox.put(heard)

    def post_device(self, event: DeviceEvent) -> None:
        self._inbox.put(event)

    # --- the loop (driving thread only) --------------------------------------------------

    def start(self, now: float) -> None:
        """Put the listener in the right mode for the first time."""
        self._execute([self.dialogue.listen_mode], now)
        # So the first "Which practice?" after the wake phrase needs no synthesis.
        self.coach.synthesizer.prefetch(self.dialogue.phrases(), self.dialogue.rate)
        log.info("ready: say '%s'", self.wake_phrase)

    def step(self, now: float) -> None:
        """Handle everything posted since the last step, then let time pass."""
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, SpeechDone):
                self._execute(self.dialogue.handle(item, now), now)
            elif isinstance(item, DeviceEvent):
                self._device(item, now)
            else:
                self._heard(item, now)
        self._execute(self.dialogue.handle(Tick(), now), now)

    def shutdown(self, now: float) -> None:
        """Save the place and close the history record (SIGTERM, Ctrl-C, end of demo)."""
        self._execute(self.dialogue.shutdown(now), now)

    @property
    def state(self) -> str:
        """Dialogue state, or the session's state while one runs."""
        session = self.dialogue.session
        if self.dialogue.state == "in_session" and session is not None:
            return session.state
        return self.dialogue.state

    # --- handling ------------------------------------------------------------------------

    def _heard(self, heard: HeardLike, now: float) -> None:
        self.commands_heard += 1
        event = CommandHeard(heard.command, heard.confidence, heard.text)
        actions = self.dialogue.handle(event, now)
        outcome = self.state
        if self.dialogue.starting_routine is not None:
            outcome = f"starting {self.dialogue.starting_routine}"
        log.info("heard '%s' (%.2f) -> %s", heard.command, heard.confidence, outcome)
        self._log(now, "heard", command=heard.command, confidence=round(heard.confidence, 2),
                  text=heard.text, outcome=outcome, mic_time=round(heard.time, 2))
        self._execute(actions, now)

    def _device(self, event: DeviceEvent, now: float) -> None:
        if event.lost:
            log.warning("%s lost%s; pausing and retrying", event.device,
                        f" ({event.detail})" if event.detail else "")
            actions = self.dialogue.device_lost(event.device, now)
        else:
            log.warning("%s is back", event.device)
            actions = self.dialogue.device_back(event.device, now)
        self._log(now, "device", device=event.device, lost=event.lost, detail=event.detail)
        self._execute(actions, now)

    def _execute(self, actions: Sequence[Action | object], now: float) -> None:
        for action in actions:
            if isinstance(action, PlayEarcon):
                self.player.play(EARCON_ID, self._chime)
                self._log(now, "earcon", name=action.name)
            elif isinstance(action, SetListenMode):
                if self.set_mode is not None:
                    self.set_mode(action.mode, choices_mapping(action))
                self._log(now, "listen", mode=action.mode)
            elif isinstance(action, SessionStarted):
                log.info("session %s: %s at cue %d", "resumed" if action.resumed else "started",
                         action.routine_id, action.start_index)
                self._log(now, "session", routine=action.routine_id, start=action.start_index,
                          resumed=action.resumed)
            elif isinstance(action, SessionEnded):
                self._ended(action, now)
            else:
                self.coach.run_actions([action], now)  # type: ignore[list-item]

    def _ended(self, action: SessionEnded, now: float) -> None:
        summary = action.summary
        log.info("session %s: %s, %d/%d sections, %d pauses, %.0f s", summary.how,
                 summary.routine_id, summary.sections_completed, summary.section_count,
                 summary.pauses, summary.duration)
        self._log(now, "ended", routine=summary.routine_id, how=summary.how)
        try:
            self.store.append_history(HistoryEntry.of(summary, self.wall_clock()))
        except OSError as error:
            log.error("cannot write history to %s: %s", self.store.history_path, error)

    def _save(self, action: SaveProgress) -> None:
        try:
            self.store.save_progress(action.progress)
        except OSError as error:
            # Keep coaching: a full disk must not stop a session; say it in the log once.
            self.save_failures += 1
            if self.save_failures == 1:
                log.error("cannot save progress to %s: %s", self.store.progress_path, error)

    def _log(self, now: float, kind: str, **detail: object) -> None:
        self.emit(LogEntry(now, kind, detail))

    def emit(self, entry: LogEntry) -> None:
        """Hand an event-log entry to every log listener."""
        for listener in self.log_listeners:
            listener(entry)


def choices_mapping(mode: SetListenMode) -> Mapping[str, Sequence[str]] | None:
    """The choices of ``mode`` as the Listener's ``set_mode`` takes them."""
    if mode.mode != ListenMode.CHOICE:
        return None
    return {key: list(phrases) for key, phrases in mode.choices}


def routine_options(routines_dir: Path | None) -> list[RoutineOption]:
    """Every playable routine (bundled and the user's), loaded and compiled once."""
    from voice_coach.routine import compile_routine, list_routines, load_routine

    options: dict[str, RoutineOption] = {}
    # Bundled first, then the user's: a user routine with the same id wins (as in `play`).
    for info in list_routines(Path(routines_dir) if routines_dir is not None else None):
        if info.error is not None:
            log.warning("skipping routine %s: %s", info.path, info.error)
            continue
        routine = load_routine(info.path)
        options[routine.id] = RoutineOption(routine.id, routine.title,
                                            compile_routine(routine), routine.rate)
    return list(options.values())


def make_dialogue(options: Sequence[RoutineOption], store: StateStore, rate: float,
                  volume: float) -> Dialogue:
    """A Dialogue that knows the saved place and the last routine from ``store``."""
    saved = store.load_progress()
    return Dialogue(options, saved=saved, last_routine=store.last_routine(), rate=rate,
                    volume=volume)
