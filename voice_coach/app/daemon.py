"""The one loop of ``voice-coach run`` (and ``demo``): listener -> Dialogue -> Executor -> player.

``Daemon.step(now)`` is called once per audio block by a driver that owns the clock: the live
driver (voice_coach.app.live_run, sound cards and threads) or the virtual-room driver
(voice_coach.app.virtual_room, one thread, virtual clock). Everything that happens to the
conversation goes through here, so both drivers behave the same: what the listener heard,
what the player finished, devices lost and back, shutdown.

Progress and history go through a StateWriter (retried when the disk fails); the Dialogue
hears of a failure (``SavingChanged``) and tells the user once per session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from voice_coach.app.executor import Executor, Hooks, LogEntry, SynthesizerLike
from voice_coach.app.state_writer import StateWriter
from voice_coach.commands import ListenMode
from voice_coach.core.actions import SaveProgress, SessionEnded
from voice_coach.core.choices import RoutineOption
from voice_coach.core.dialogue import Dialogue
from voice_coach.core.events import CommandHeard, DeviceChanged, EnrollmentDone, Event
from voice_coach.core.states import DialogueState
from voice_coach.state_store import StateStore

log = logging.getLogger(__name__)


class HeardLike(Protocol):
    """voice_coach.listen.listener.Heard, or anything shaped like it."""

    @property
    def command(self) -> str: ...
    @property
    def time(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def distress(self) -> bool: ...


class ListenerLike(Protocol):
    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None: ...
    def add_reference(self, block: np.ndarray, start_time: float, rate: int) -> None: ...
    def process(self, mic_block: np.ndarray, start_time: float) -> Sequence[HeardLike]: ...


class DaemonPlayer(Protocol):
    on_done: Callable[[int], None] | None

    @property
    def sample_rate(self) -> int: ...
    @property
    def time(self) -> float: ...
    def play(self, utterance_id: int, pcm: np.ndarray) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, volume: float) -> None: ...


class Daemon:
    """The Dialogue's Executor, with the saved place and the history kept in ``store``."""

    def __init__(
        self,
        dialogue: Dialogue,
        synthesizer: SynthesizerLike,
        player: DaemonPlayer,
        store: StateStore,
        *,
        set_mode: Callable[[ListenMode, Mapping[str, Sequence[str]] | None], None] | None = None,
        on_log: Callable[[LogEntry], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        wake_phrase: str,
    ) -> None:
        self.wake_phrase = wake_phrase
        self.dialogue = dialogue
        self.player = player
        self.store = store
        self.wall_clock = wall_clock
        hooks = Hooks(save_progress=self._save, set_mode=set_mode,
                      session_ended=self._record, outcome=self._outcome)
        self.executor = Executor(dialogue, synthesizer, player, hooks, on_log)
        # Every failure is posted: the Dialogue tells each session once, however long it lasts.
        self.writer = StateWriter(store, self.executor.post, wall_clock)
        player.on_done = self.executor.speech_done
        self.step_listeners: list[Callable[[float], None]] = []
        """Called after every step with the stream time, on the driving thread (displays
        read the Dialogue there)."""

    @property
    def log_listeners(self) -> list[Callable[[LogEntry], None]]:
        """Called with every event-log entry (the demo prints them, tests read them)."""
        return self.executor.log_listeners

    @property
    def commands_heard(self) -> int:
        return self.executor.commands_heard

    def set_enroller(self, enroll: Callable[[], EnrollmentDone]) -> None:
        """What "learn my voice" runs (``voice_coach.app.enroll_daemon``)."""
        self.executor.hooks.enroll = enroll

    def set_listener_mode(
            self, set_mode: Callable[[ListenMode, Mapping[str, Sequence[str]] | None], None],
    ) -> None:
        """Where listener modes go from now on (the live listener exists after the Daemon)."""
        self.executor.hooks.set_mode = set_mode

    # --- thread-safe entry points --------------------------------------------------------

    def post_heard(self, heard: HeardLike) -> None:
        self.executor.post(CommandHeard(heard.command, heard.confidence, heard.text, heard.time,
                                        distress=heard.distress))

    def post_device(self, event: DeviceChanged) -> None:
        self.executor.post(event)

    def post(self, event: Event) -> None:
        """Any event (Home Assistant's commands and requests), handled at the next step."""
        self.executor.post(event)

    # --- the loop (driving thread only) --------------------------------------------------

    def start(self, now: float) -> None:
        """Put the listener in the right mode for the first time."""
        self.executor.execute([self.dialogue.listen_mode], now)
        # So the first "Which practice?" after the wake phrase needs no synthesis.
        self.executor.synthesizer.prefetch(self.dialogue.phrases(), self.dialogue.rate)
        log.info("ready: say '%s'", self.wake_phrase)

    def step(self, now: float) -> None:
        """Handle everything posted since the last step, then let time pass."""
        self.executor.step(now)
        self.writer.step(now)
        for listener in self.step_listeners:
            listener(now)

    def shutdown(self, now: float) -> None:
        """Save the place and close the history record (SIGTERM, Ctrl-C, end of demo)."""
        self.executor.execute(self.dialogue.shutdown(now), now)
        self.writer.close()

    def emit(self, entry: LogEntry) -> None:
        """Hand an event-log entry to every log listener."""
        self.executor.emit(entry)

    @property
    def state(self) -> str:
        """Dialogue state, or the session's state while one runs."""
        session = self.dialogue.session
        if self.dialogue.state == DialogueState.IN_SESSION and session is not None:
            return str(session.state)
        return str(self.dialogue.state)

    # --- hooks ---------------------------------------------------------------------------

    def _outcome(self) -> str:
        starting = self.dialogue.starting_routine
        return f"starting {starting}" if starting is not None else self.state

    def _record(self, action: SessionEnded) -> None:
        self.writer.record(action.summary)

    def _save(self, action: SaveProgress) -> None:
        self.writer.save(action.progress)


def routine_options(routines_dir: Path | None) -> list[RoutineOption]:
    """Every playable routine (bundled and the user's), loaded and compiled once."""
    from voice_coach.routine import compile_routine, list_routines, load_routine

    options: dict[str, RoutineOption] = {}
    # Bundled first, then the user's: a user routine with the same id wins (as in `play`).
    for info in list_routines(Path(routines_dir) if routines_dir is not None else None):
        if info.error is not None:
            log.warning("skipping routine %s: %s", info.path, info.error)
            continue
        if info.replaces is not None:
            log.warning("%s: your routine replaces the bundled '%s'", info.path, info.id)
        routine = load_routine(info.path)
        options[routine.id] = RoutineOption(routine.id, routine.title, compile_routine(routine),
                                            routine.rate, closing=routine.closing,
                                            safety_again=routine.safety.again)
    return list(options.values())


def make_dialogue(options: Sequence[RoutineOption], store: StateStore, rate: float,
                  volume: float) -> Dialogue:
    """A Dialogue that knows the saved place and the last routine from ``store``."""
    saved = store.load_progress()
    return Dialogue(options, saved=saved, last_routine=store.last_routine(), rate=rate,
                    volume=volume)
