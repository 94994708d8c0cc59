"""Enrollment in the simulated bedroom, on a virtual clock: the coach's Piper prompts go
through the Player into ``sim.room.Room`` (its echo is what the mic hears of them), and a
synthetic user answers each prompt into the same room. Used by the tests and the timing
bench; the takes are checked and saved by exactly the code ``voice-coach enroll`` runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voice_coach.app.enroll_ears import RecordLimits, TakeRecorder
from voice_coach.app.prepare import block_size
from voice_coach.app.virtual_room import RoomLike
from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.speech import Player, Synthesizer

SETTLE_S = 0.3
"""Silence after a prompt before recording starts, s: the room's reverberation dies away."""
PROMPT_ID = 0
"""Utterance id of the prompts: the Player's id for sounds nothing waits for (the Daemon's
chimes), so a prompt's end is never taken for one of the Dialogue's utterances."""

Prompted = Callable[[str, float], None]
"""Called with each prompt's text and the mic time when it has been heard out."""


class SimulatedEnrollAudio:
    """``EnrollAudio`` on a virtual clock: ``step()`` plays one block of ``player`` and returns
    what the microphone heard meanwhile (16 kHz)."""

    def __init__(self, synthesizer: Synthesizer, player: Player, step: Callable[[], np.ndarray],
                 *, rate: float = 1.0, limits: RecordLimits | None = None,
                 on_prompt: Prompted | None = None) -> None:
        self.synthesizer = synthesizer
        self.player = player
        self._step = step
        self.rate = rate
        self.limits = limits or RecordLimits()
        self.on_prompt = on_prompt

    @classmethod
    def in_room(cls, synthesizer: Synthesizer, room: RoomLike, *, volume: float = 0.8,
                **options: Any) -> SimulatedEnrollAudio:
        """Its own Player, heard through ``room`` (``voice_coach.sim.room.Room``)."""
        player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate), volume)
        return cls(synthesizer, player,
                   lambda: room.process(player.read_block(), player.sample_rate), **options)

    @property
    def time(self) -> float:
        """Virtual seconds played so far."""
        return self.player.time

    def say(self, text: str) -> None:
        self.player.play(PROMPT_ID, self.synthesizer.synthesize(text, self.rate))
        while not self.player.is_idle:
            self._step()
        for _ in range(round(SETTLE_S / 0.02)):
            self._step()
        if self.on_prompt is not None:
            self.on_prompt(text, self.player.time)

    def record(self) -> np.ndarray:
        recorder = TakeRecorder(self.limits)
        while not recorder.add(self._step()):
            pass
        return recorder.take()


def cough(seed: int = 0, level_dbfs: float = -14.0) -> np.ndarray:
    """A cough: two bursts of breathy, low-passed noise with a sharp attack, 16 kHz."""
    rng = np.random.default_rng(seed)
    parts = []
    for seconds in (0.18, 0.12):
        n = round(seconds * RATE)
        noise = np.convolve(rng.normal(0.0, 1.0, n), np.ones(6) / 6, "same")
        envelope = np.exp(-np.arange(n) / (0.05 * RATE)) * np.minimum(1, np.arange(n) / 40)
        parts += [noise * envelope, np.zeros(round(0.08 * RATE))]
    x = np.concatenate(parts)
    x /= np.sqrt(np.mean(x**2)) + 1e-12
    return (x * 10 ** (level_dbfs / 20)).astype(np.float32)


_SAY = re.compile(r"Say: (.+?)\.?$")


@dataclass
class EnrollingUser:
    """Answers each "Say: ..." / "Again." prompt with the phrase, in a synthetic voice, into
    the room; ``mishaps`` turns chosen answers (counted from 0) into a cough ("cough"),
    silence ("silence") or other words ("say:resume")."""

    say: Callable[[str, str], np.ndarray]
    """(text, voice) -> 16 kHz speech (``sim.speakers.UserVoices.say``)."""
    schedule: Callable[[float, np.ndarray, float], None]
    """(mic time, pcm, gain dB) -> into the room (``Room.schedule``)."""
    voice: str = "festival:kal"
    gain_db: float = -6.0
    """Level at the mic relative to the render (the renders peak near full scale; from bed
    the user is quieter at the mic than the coach)."""
    delay_s: float = 0.5
    """Reaction time after the prompt, s."""
    mishaps: Mapping[int, str] = field(default_factory=dict)
    answers: list[tuple[float, str]] = field(default_factory=list)
    """(mic time, what was said or done) of every answer."""
    _phrase: str = ""

    def __call__(self, prompt: str, now: float) -> None:
        found = _SAY.search(prompt)
        if found:
            self._phrase = found.group(1)
        elif not prompt.startswith(("Again", "Once more")):
            return  # the welcome, a "let's leave that one": nothing to say
        mishap = self.mishaps.get(len(self.answers), "")
        at = now + self.delay_s
        if mishap == "silence":
            self.answers.append((at, "(silence)"))
            return
        if mishap == "cough":
            self.schedule(at, cough(len(self.answers)), 0.0)
            self.answers.append((at, "(cough)"))
            return
        text = mishap.removeprefix("say:") or self._phrase
        self.schedule(at, self.say(text, self.voice), self.gain_db)
        self.answers.append((at, text))
