"""Thread-safe store of what the speaker played, at 16 kHz, indexed by player stream time.

The Player calls ``tap(block, start_time)`` from its audio thread for every block it plays
(at the voice rate, e.g. 22050 Hz); the listener thread calls ``read(start_time, n)`` to get the
reference for a stretch of mic time. Silence that was never played reads as zeros.
"""

from __future__ import annotations

import threading

import numpy as np

from voice_coach.audio import LISTEN_RATE as TARGET_RATE
from voice_coach.listen.resample import Resampler

_RESYNC_S = 0.002
"""A tap starting further than this from where the last one ended restarts the resampler."""


class ReferenceBuffer:
    """Ring buffer of reference audio at ``rate`` Hz, ``capacity_s`` seconds long.

    Resampling holds back the newest ~20-40 ms (``Resampler.latency_samples``); ``available_until``
    says up to which stream time reads are final. Reads before that time are exact; reads
    after it return zeros for the part not yet resampled.
    """

    def __init__(
        self,
        source_rate: int,
        capacity_s: float = 30.0,
        rate: int = TARGET_RATE,
        quality: str = "HQ",
    ) -> None:
        self.source_rate = source_rate
        """Rate of the blocks given to ``tap`` in Hz (the Player's rate)."""
        self.rate = rate
        """Rate of the stored and returned reference in Hz."""
        self._quality = quality
        self._lock = threading.Lock()
        self._buf = np.zeros(int(capacity_s * rate), np.float32)
        self._resampler = Resampler(source_rate, rate, quality)
        self._origin = 0  # absolute 16 kHz sample index of the resampler's first output
        self._expected: float | None = None  # stream time where the next tap should start
        self._end = 0  # absolute sample index one past the newest stored sample
        self._moved = 0  # samples reads are moved later by (``move``)

    def tap(self, block: np.ndarray, start_time: float) -> None:
        """Player tap: ``block`` (float32 at ``source_rate``) started playing at ``start_time``."""
        with self._lock:
            if self._expected is None or abs(start_time - self._expected) > _RESYNC_S:
                self._restart(start_time)
            self._expected = start_time + len(block) / self.source_rate
            self._store(self._resampler.process(block))

    def _restart(self, start_time: float) -> None:
        if self._expected is not None:
            self._store(self._resampler.flush())
        self._resampler = Resampler(self.source_rate, self.rate, self._quality)
        self._origin = round(start_time * self.rate)
        if self._origin > self._end:  # a gap in playback is silence
            self._zero(self._end, self._origin)
        self._end = self._origin

    def _zero(self, a: int, b: int) -> None:
        size = len(self._buf)
        self._buf[np.arange(max(a, b - size), b) % size] = 0.0

    def _store(self, y: np.ndarray) -> None:
        size = len(self._buf)
        start = self._origin + self._resampler.samples_out - len(y)
        y = y[-size:]
        start += max(0, len(y) - size)
        idx = (start + np.arange(len(y))) % size
        self._buf[idx] = y
        self._end = max(self._end, start + len(y))

    def move(self, seconds: float) -> None:
        """Read ``seconds`` later from now on: a read at stream time t returns what played
        at t - (all moves), where the echo aligner (align.py) found the mic hears it."""
        with self._lock:
            self._moved += round(seconds * self.rate)

    @property
    def moved_s(self) -> float:
        """Net move of the reads so far, s."""
        return self._moved / self.rate

    @property
    def available_until(self) -> float:
        """Stream time (seconds) up to which reads, moved or not, are final."""
        with self._lock:
            return (self._end + min(self._moved, 0)) / self.rate

    def read(self, start_time: float, n: int, moved: bool = True) -> np.ndarray:
        """``n`` reference samples starting at stream time ``start_time`` (zeros if unknown);
        ``moved=False``: as the timestamps put them, without the moves."""
        with self._lock:
            size = len(self._buf)
            first = round(start_time * self.rate) - (self._moved if moved else 0)
            idx = first + np.arange(n)
            ok = (idx >= 0) & (idx < self._end) & (idx >= self._end - size)
            out = np.zeros(n, np.float32)
            out[ok] = self._buf[idx[ok] % size]
            return out
