"""The daemon in a simulated bedside room, on a virtual clock, in one thread.

Per 20 ms block: the Daemon steps; the player hands out a block (its tap gives the listener
the echo reference); the room turns it into what the microphone hears, with the scripted
user's voice mixed in; the mic path delivers it (or fails, like an unplugged USB mic); the
listener decides; what it heard is posted back to the Daemon. This is the loop of ``run``
with the sound cards replaced, used by ``demo``, the end-to-end tests and the soak bench.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_coach.app.daemon import Daemon, ListenerLike
from voice_coach.app.devices_watch import Watched
from voice_coach.app.executor import LogEntry
from voice_coach.audio import LISTEN_RATE
from voice_coach.core.events import DeviceChanged
from voice_coach.sim.room import speech_span
from voice_coach.speech.player import Player

log = logging.getLogger(__name__)


class MicPath(Protocol):
    """Between the room and the listener: passes blocks on, or fails like a lost device."""

    def read(self, block: np.ndarray, start_time: float) -> np.ndarray: ...
    def reopen(self, now: float) -> None: ...


class DirectMic:
    """A microphone that never fails."""

    def read(self, block: np.ndarray, start_time: float) -> np.ndarray:
        return block

    def reopen(self, now: float) -> None:
        return None


@dataclass(frozen=True)
class CaptureGain:
    """A microphone with its capture gain set (as with alsamixer) and a converter that clips
    at full scale, as a real one does."""

    gain_db: float

    def read(self, block: np.ndarray, start_time: float) -> np.ndarray:
        scaled = np.asarray(block, np.float32) * np.float32(10 ** (self.gain_db / 20))
        return np.clip(scaled, -1.0, 1.0)

    def reopen(self, now: float) -> None:
        return None


@dataclass(frozen=True)
class UserLine:
    """Something the simulated user says, when a trigger has been seen in the event log."""

    text: str
    after: str = ""
    """Substring of an event key ("say:<text>", "state:<state>", "listen:<mode>",
    "heard:<command>", "session:<routine>", "ended:<how>", "device:<name>", "volume:<gain>")
    to wait for,
    after the previous line was said; "" = no trigger."""
    delay: float = 1.0
    """Seconds after the trigger before the user starts speaking."""
    voice: str = "festival:kal"
    gain_db: float = 0.0
    """Level of the user's voice at the mic relative to the synthesized speech."""
    until: str = ""
    """Event key substring (as ``after``) the user waits for after saying the line; without
    it within ``retry_s`` they say the line again, as a person does when not obeyed."""
    retry_s: float = 2.0
    """Seconds after the end of the line before saying it again (``until`` only)."""
    tries: int = 3
    """Most times the line is said (``until`` only)."""


def event_key(entry: LogEntry) -> str:
    d = entry.detail
    value = d.get("text") if entry.kind == "say" else d.get(
        {"state": "state", "listen": "mode", "heard": "command", "session": "routine",
         "ended": "how", "device": "device", "volume": "volume"}.get(entry.kind, ""), "")
    return f"{entry.kind}:{value}"


class ScriptedUser:
    """Says ``lines`` in order into the room, each once its trigger has been seen."""

    def __init__(self, lines: Sequence[UserLine], say: Callable[[str, str], np.ndarray],
                 schedule: Callable[[float, np.ndarray, float], None], rate: int = LISTEN_RATE):
        self.lines = list(lines)
        self._say = say
        self._schedule = schedule
        self._rate = rate
        self._next = 0
        self._ready_at = 0.0
        """Stream time after which the next line's trigger may be seen."""
        self._triggered_at: float | None = None
        self._tries = 0  # times the current line was said
        self.said: list[tuple[float, float, str]] = []
        """(start, end, text) of every line said, in mic stream seconds."""
        self.on_say: Callable[[float, str], None] | None = None

    @property
    def done(self) -> bool:
        return self._next >= len(self.lines)

    def observe(self, entry: LogEntry) -> None:
        if self.done:
            return
        line = self.lines[self._next]
        if self._tries and line.until and line.until in event_key(entry):
            # The event that obeyed this line may be what the next line waits for.
            self._advance()
            self._ready_at = entry.time
            if self.done:
                return
            line = self.lines[self._next]
        if self._triggered_at is not None or entry.time < self._ready_at:
            return
        if line.after and line.after in event_key(entry):
            self._triggered_at = entry.time

    def poll(self, now: float) -> None:
        if self.done:
            return
        line = self.lines[self._next]
        if self._tries:  # said, waiting to be obeyed
            if self._tries >= line.tries:
                self._advance()
            elif now >= self._ready_at + line.retry_s:
                self._speak(now, line)
            return
        if now < self._ready_at:
            return
        if not line.after and self._triggered_at is None:
            self._triggered_at = now
        if self._triggered_at is None or now < self._triggered_at + line.delay:
            return
        self._speak(now, line)
        if not line.until:
            self._advance()

    def _speak(self, now: float, line: UserLine) -> None:
        pcm = self._say(line.text, line.voice)
        self._schedule(now, pcm, line.gain_db)
        # The line ends with its last word, not with the silence its recording trails off in:
        # a reply may come while that silence still plays, and the user hears it.
        end = now + speech_span(pcm, self._rate)[1]
        self.said.append((now, end, line.text))
        if self.on_say is not None:
            self.on_say(now, line.text)
        self._tries += 1
        self._ready_at, self._triggered_at = end, None

    def _advance(self) -> None:
        self._next += 1
        self._tries = 0


class RoomLike(Protocol):
    rate_out: int

    def process(self, ref_block: np.ndarray, ref_rate: int) -> np.ndarray: ...
    def schedule(self, time_s: float, pcm16k: np.ndarray, gain_db: float = 0.0) -> None: ...


BlockSink = Callable[[np.ndarray, np.ndarray, float], None]
"""Receives (mic block at the room rate, speaker block at the player rate, start time)."""


class VirtualRoom:
    """Drives a Daemon through a simulated room; ``run`` advances the virtual clock."""

    def __init__(self, daemon: Daemon, player: Player, listener: ListenerLike, room: RoomLike,
                 *, mic: MicPath | None = None, user: ScriptedUser | None = None,
                 sink: BlockSink | None = None, retry_seconds: float = 3.0) -> None:
        self.daemon = daemon
        self.player = player
        """The Daemon's player, pulled block by block on the virtual clock."""
        self.listener = listener
        self.room = room
        self.mic = mic or DirectMic()
        self.user = user
        self.sink = sink
        self.blocks = 0
        self._mic_time = 0.0
        self.watch = Watched("microphone", lambda: self.mic.reopen(self.player.time),
                             lambda: None, self._report, retry_seconds)
        rate = self.player.sample_rate
        self.player.add_tap(lambda block, t: listener.add_reference(block, t, rate))
        daemon.start(self.player.time)

    def _report(self, lost: bool, detail: str) -> None:
        self.daemon.post_device(DeviceChanged("microphone", lost, detail))

    def run(self, max_seconds: float, until: Callable[[], bool] | None = None) -> float:
        """Advance up to ``max_seconds`` of virtual time, or until ``until()``; returns the
        stream time reached."""
        end = self.player.time + max_seconds
        while self.player.time < end:
            if until is not None and until():
                break
            self.step()
        return self.player.time

    def capture(self) -> np.ndarray:
        """One block on the virtual clock for the spoken enrollment, which has the speaker and
        microphone to itself meanwhile: the player plays, the room and the mic run, nobody
        else steps or listens (the listener resumes with a jump in mic time, as after a
        lost mic)."""
        block = self.player.read_block()
        heard_by_mic = self.room.process(block, self.player.sample_rate)
        self._mic_time += len(heard_by_mic) / self.room.rate_out
        if self.sink is not None:
            self.sink(heard_by_mic, block, self.player.time)
        return heard_by_mic

    def step(self) -> None:
        now = self.player.time
        if self.user is not None:
            self.user.poll(now)
        self.daemon.step(now)
        self.watch.poll(now)
        block = self.player.read_block()
        heard_by_mic = self.room.process(block, self.player.sample_rate)
        start = self._mic_time
        self._mic_time += len(heard_by_mic) / self.room.rate_out
        delivered: np.ndarray | None = None
        if not self.watch.retry.is_lost:
            try:
                delivered = self.mic.read(heard_by_mic, start)
            except OSError as error:
                self.watch.failed(now, error)
        # Like a real unplugged device, a lost mic delivers nothing: the listener sees a
        # jump in mic time when it comes back (and starts listening afresh).
        if delivered is not None:
            for heard in self.listener.process(delivered, start):
                self.daemon.post_heard(heard)
        if self.sink is not None:
            silent = np.zeros_like(heard_by_mic)
            self.sink(delivered if delivered is not None else silent, block, now)
        self.blocks += 1
