"""What an engine that relies on the VAD (Vosk) hears, and when its utterance ends.

Vosk finds utterance starts by itself, so left to the linear canceller's output it would run
the coach's residual voice into a command. Outside speech (Silero VAD on AEC3's output) it
hears that near-silent AEC3 output instead; when speech starts, the last ``PREROLL_S`` again
as the linear canceller left it, since the VAD notices speech ~0.13 s late. The caller moves
the recognizer's clock back by the pre-roll it was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.vad import Vad

PREROLL_S = 0.3
"""Audio before a VAD speech start handed again to the engine, s."""


@dataclass(frozen=True)
class Fed:
    audio: np.ndarray
    """What the engine hears for this stretch (pre-roll first, if any)."""
    preroll: int
    """Samples of ``audio`` heard before (the engine's clock runs ahead by this much)."""
    ended: bool
    """The VAD ended an utterance in this stretch: flush the engine."""


class VadFeed:
    def __init__(self, min_silence_s: float) -> None:
        self.vad = Vad(min_silence_s=min_silence_s)
        self._size = round(PREROLL_S * RATE)
        self._recent = np.zeros(self._size, np.float32)  # the last of the linear output
        self._since_end = self._size  # samples since the VAD last ended an utterance

    def feed(self, heard: np.ndarray, gate: np.ndarray) -> Fed:
        """``heard``: the linear canceller's output; ``gate``: AEC3's, as long."""
        was_speech = self.vad.in_speech
        ended = bool(self.vad.process(gate))
        audio, preroll = heard, 0
        if not self.vad.in_speech and not ended:
            audio = gate
        elif not was_speech:
            # never audio from before the last utterance's end: it was decoded already
            preroll = min(self._since_end, self._size)
            audio = np.concatenate([self._recent[self._size - preroll:], heard])
        self._recent = np.concatenate([self._recent, heard])[-self._size:]
        self._since_end = 0 if ended else self._since_end + len(heard)
        return Fed(audio, preroll, ended)
