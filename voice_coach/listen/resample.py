"""Any sample rate, mono or multi-channel, to 16 kHz mono float32, block by block (soxr)."""

from __future__ import annotations

import numpy as np

from voice_coach.audio import LISTEN_RATE as TARGET_RATE

"""The rate everything in the listener runs at (Hz): AEC3, VAD and the recognizers want it."""


def to_mono_float32(block: np.ndarray) -> np.ndarray:
    """Mix frames x channels (or a 1-D array) down to contiguous float32 mono.

    int16 input is scaled to -1..1; other integer types are scaled by their full range.
    """
    x = np.asarray(block)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    elif x.ndim != 1:
        raise ValueError(f"audio block must be 1-D or frames x channels, got shape {x.shape}")
    return np.ascontiguousarray(x)


class Resampler:
    """Streaming converter from ``rate_in`` to ``rate_out`` (default 16 kHz mono float32).

    Output sample ``k`` corresponds exactly to input time ``k / rate_out`` (linear phase, no
    time shift), but the newest ``latency_samples`` outputs are held back until more input
    arrives: that is the latency this stage adds (about 21 ms at "HQ" from 22.05/44.1/48 kHz).
    At equal rates the input passes through unchanged with no latency.
    """

    def __init__(self, rate_in: int, rate_out: int = TARGET_RATE, quality: str = "HQ") -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError(f"sample rates must be positive, got {rate_in} -> {rate_out}")
        self.rate_in = int(rate_in)
        """Input sample rate in Hz."""
        self.rate_out = int(rate_out)
        """Output sample rate in Hz."""
        self._stream = None
        if self.rate_in != self.rate_out:
            import soxr

            self._stream = soxr.ResampleStream(
                self.rate_in, self.rate_out, 1, dtype="float32", quality=quality
            )
        self.samples_in = 0
        """Input samples consumed so far."""
        self.samples_out = 0
        """Output samples produced so far."""

    @property
    def latency_samples(self) -> int:
        """Output samples owed for the input consumed so far (held back by the filter)."""
        owed = self.samples_in * self.rate_out // self.rate_in
        return max(0, owed - self.samples_out)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Resample one block (any length, 1-D or frames x channels); returns what is ready."""
        x = to_mono_float32(block)
        self.samples_in += len(x)
        y = x if self._stream is None else self._stream.resample_chunk(x)
        y = np.asarray(y, dtype=np.float32)
        self.samples_out += len(y)
        return y

    def flush(self) -> np.ndarray:
        """Return the held-back tail (end of stream); the resampler is reset afterwards."""
        if self._stream is None:
            return np.zeros(0, np.float32)
        y = np.asarray(self._stream.resample_chunk(np.zeros(0, np.float32), last=True), np.float32)
        self._stream.clear()
        self.samples_out += len(y)
        return y


def resample(x: np.ndarray, rate_in: int, rate_out: int = TARGET_RATE) -> np.ndarray:
    """Whole-signal conversion to mono float32 at ``rate_out`` (length rate-exact, no delay)."""
    mono = to_mono_float32(x)
    if rate_in == rate_out:
        return mono.copy()
    import soxr

    return np.asarray(soxr.resample(mono, rate_in, rate_out, quality="HQ"), dtype=np.float32)
