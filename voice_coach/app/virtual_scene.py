"""Assembles the daemon in a simulated room: what ``demo``, the end-to-end tests and the soak
bench share. Real parts throughout (Piper, Player, Dialogue, Session, Listener, state files);
only the sound cards are replaced by ``voice_coach.sim.room.Room``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach import paths
from voice_coach.app.daemon import Daemon, ListenerLike, make_dialogue, routine_options
from voice_coach.app.executor import LogEntry
from voice_coach.app.prepare import block_size
from voice_coach.app.virtual_room import MicPath, ScriptedUser, UserLine, VirtualRoom
from voice_coach.config import Config
from voice_coach.speech import Player, Synthesizer, WavWriter
from voice_coach.state_store import StateStore

DEMO_ROOM: dict[str, Any] = {"delay_s": 0.06, "echo_gain_db": -6.0, "reverb_rt60_s": 0.3,
                             "distortion": 0.1, "noise_db": -60.0, "seed": 7}
"""A quiet bedroom: speaker about a metre from the mic, the coach louder than the user."""


@dataclass
class Scene:
    daemon: Daemon
    player: Player
    synthesizer: Synthesizer
    listener: ListenerLike
    room: Any
    user: ScriptedUser
    driver: VirtualRoom
    store: StateStore
    log: list[LogEntry] = field(default_factory=list)
    """Every event-log entry so far."""

    def finished(self) -> bool:
        """The user has said everything and the coach is idle and silent again."""
        return (self.user.done and self.daemon.dialogue.state == "idle"
                and self.player.is_idle and self.daemon.commands_heard > 0)

    def close(self) -> None:
        self.synthesizer.close()


def build_scene(
    config: Config,
    lines: Sequence[UserLine],
    *,
    state_dir: Path,
    on_log: Callable[[LogEntry], None] | None = None,
    room_params: dict[str, Any] | None = None,
    mic: MicPath | None = None,
    listener: ListenerLike | None = None,
    synthesizer: Synthesizer | None = None,
) -> Scene:
    """The daemon wired to a fresh simulated room and a scripted user."""
    from voice_coach.sim.room import Room
    from voice_coach.sim.speakers import UserVoices

    if listener is None:
        from voice_coach.listen.build import build_listener
        from voice_coach.personal.ears import attach

        built = build_listener(config)
        attach(built, state_dir, config.voice_profile)
        ears: ListenerLike = built
    else:
        ears = listener
    synthesizer = synthesizer or Synthesizer(config.voice)
    player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                    volume=config.volume)
    store = StateStore(state_dir)
    dialogue = make_dialogue(routine_options(config.routines_dir), store, config.rate,
                             config.volume)
    daemon = Daemon(dialogue, synthesizer, player, store, set_mode=ears.set_mode,
                    wake_phrase=config.wake)
    room = Room(**(room_params if room_params is not None else DEMO_ROOM))
    voices = UserVoices(paths.cache_dir() / "user-voices")

    def say_to_room(time_s: float, pcm: np.ndarray, gain_db: float) -> None:
        room.schedule(time_s, pcm, gain_db)

    user = ScriptedUser(lines, voices.say, say_to_room)
    scene_log: list[LogEntry] = []
    daemon.log_listeners.extend([scene_log.append, user.observe])
    if on_log is not None:
        daemon.log_listeners.append(on_log)
    user.on_say = lambda t, text: daemon.emit(LogEntry(t, "user", {"text": text}))
    driver = VirtualRoom(daemon, player, ears, room, mic=mic, user=user)
    return Scene(daemon, player, synthesizer, ears, room, user, driver, store, scene_log)


class StereoSink:
    """A stereo WAV at the mic rate: left = what the mic heard, right = what the coach said."""

    def __init__(self, path: Path, rate: int, player_rate: int) -> None:
        import soxr

        self.writer = WavWriter(path, rate, channels=2)
        self._resampler = (soxr.ResampleStream(player_rate, rate, 1, dtype="float32")
                           if player_rate != rate else None)
        self._left = np.zeros(0, np.float32)
        self._right = np.zeros(0, np.float32)

    def write(self, mic: np.ndarray, speaker: np.ndarray, _time: float) -> None:
        right = self._resampler.resample_chunk(speaker) if self._resampler else speaker
        self._left = np.concatenate([self._left, mic.astype(np.float32)])
        self._right = np.concatenate([self._right, right.astype(np.float32)])
        n = min(len(self._left), len(self._right))
        if n:
            self.writer.write(np.stack([self._left[:n], self._right[:n]], axis=1))
            self._left, self._right = self._left[n:], self._right[n:]

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.writer.abort()
