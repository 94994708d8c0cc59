"""A fixed delay in samples: moves the mic and what goes with it onto the cleaned clock,
which runs AEC3's latency behind the mic."""

from __future__ import annotations

import numpy as np


class DelayLine:
    """``line(x)`` -> ``x`` delayed by ``samples`` (zeros before the first input)."""

    def __init__(self, samples: int, dtype: type[np.generic] = np.float32) -> None:
        self._line: np.ndarray = np.zeros(samples, dtype)

    def __call__(self, x: np.ndarray, n: int | None = None) -> np.ndarray:
        """The next ``n`` (default: ``len(x)``) delayed samples, after taking in ``x``."""
        line = np.concatenate([self._line, x.astype(self._line.dtype, copy=False)])
        n = len(x) if n is None else n
        self._line = line[n:]
        return line[:n]
