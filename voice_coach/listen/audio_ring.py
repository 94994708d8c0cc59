"""The last few seconds of a 16 kHz stream, addressed by absolute sample index."""

from __future__ import annotations

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE


class AudioRing:
    """``add`` a stream block by block; ``read(start, end)`` samples ``start:end`` of it
    (counted from the first sample added) while the ring still holds them."""

    def __init__(self, seconds: float, rate: int = RATE) -> None:
        self._ring = np.zeros(round(seconds * rate), np.float32)
        self.total = 0
        """Samples added so far."""

    def add(self, audio: np.ndarray) -> None:
        x = np.asarray(audio, np.float32)[-len(self._ring):]
        idx = (self.total + len(audio) - len(x) + np.arange(len(x))) % len(self._ring)
        self._ring[idx] = x
        self.total += len(audio)

    def holds(self, start: int, end: int) -> bool:
        """Whether samples ``start:end`` were added and are still held."""
        return self.total - len(self._ring) <= start <= end <= self.total

    def read(self, start: int, end: int) -> np.ndarray:
        """Samples ``start:end``; the part not (or no longer) held reads as zeros."""
        idx = np.arange(start, max(start, end))
        out = np.zeros(len(idx), np.float32)
        ok = (idx >= max(0, self.total - len(self._ring))) & (idx < self.total)
        out[ok] = self._ring[idx[ok] % len(self._ring)]
        return out
