"""Speaker-to-mic delay from the playback reference and the mic signal (GCC-PHAT).

The reference is cut into frames of ``frame_s``; each is cross-correlated with the mic over
the same span plus ``max_delay_s`` (so every candidate lag sees the whole frame). Cross-spectra
of frames where the coach is audible are accumulated with slow forgetting, then whitened (PHAT)
only when an estimate is asked for: the direct path is then a sharp peak even in a reverberant
room. Both signals are on one clock; a positive delay means the mic hears the reference later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE

_MIN_REF_RMS = 10 ** (-50 / 20)
"""Frames with a quieter reference (coach silent) carry no delay information."""
_BAND_HZ = (150.0, 7000.0)
"""Frequencies used for the correlation: speech energy, below the resamplers' roll-off."""


@dataclass(frozen=True)
class DelayEstimate:
    """Result of a delay estimate."""

    delay_s: float
    """Mic minus reference delay in seconds (sub-sample interpolated)."""
    confidence: float
    """0..1: how far the correlation peak stands above its other lags (>= 0.5 is reliable)."""
    seconds_used: float
    """Seconds of audible reference that went into the estimate."""


class DelayEstimator:
    """Streaming GCC-PHAT delay estimator; feed equal-length mic/reference blocks."""

    def __init__(
        self,
        rate: int = LISTEN_RATE,
        max_delay_s: float = 0.5,
        frame_s: float = 0.256,
        forget: float = 0.99,
    ) -> None:
        self.rate = rate
        """Sample rate of both signals in Hz."""
        self.max_lag = int(max_delay_s * rate)
        """Largest lag searched, in samples."""
        self._frame = int(frame_s * rate)
        self._nfft = 1 << (2 * self._frame + self.max_lag - 1).bit_length()
        freqs = np.fft.rfftfreq(self._nfft, 1.0 / rate)
        self._band = (freqs >= _BAND_HZ[0]) & (freqs <= _BAND_HZ[1])
        self._forget = forget
        self._cross = np.zeros(len(freqs), np.complex128)
        self._mic = np.zeros(0, np.float32)
        self._ref = np.zeros(0, np.float32)
        self._used_frames = 0

    def update(self, mic_block: np.ndarray, ref_block: np.ndarray) -> None:
        """Add audio; both blocks cover the same stream time and have the same length."""
        if len(mic_block) != len(ref_block):
            raise ValueError("mic and reference blocks must have the same length")
        self._mic = np.concatenate([self._mic, np.asarray(mic_block, np.float32)])
        self._ref = np.concatenate([self._ref, np.asarray(ref_block, np.float32)])
        need = self._frame + self.max_lag
        while len(self._mic) >= need:
            ref = self._ref[: self._frame]
            if np.sqrt(np.mean(ref.astype(np.float64) ** 2)) > _MIN_REF_RMS:
                spec_m = np.fft.rfft(self._mic[:need], self._nfft)
                spec_r = np.fft.rfft(ref, self._nfft)
                self._cross = self._forget * self._cross + spec_m * np.conj(spec_r)
                self._used_frames += 1
            self._mic = self._mic[self._frame :]
            self._ref = self._ref[self._frame :]

    @property
    def frames_used(self) -> int:
        """Frames of audible reference accumulated so far."""
        return self._used_frames

    def shift(self, seconds: float) -> None:
        """The reference was moved ``seconds`` later (it now reads what played that much
        earlier): the delay found so far shrinks by as much. Audio not yet correlated is
        dropped, as it was read before the move."""
        freqs = np.fft.rfftfreq(self._nfft, 1.0 / self.rate)
        self._cross = self._cross * np.exp(2j * np.pi * freqs * seconds)
        self._mic = np.zeros(0, np.float32)
        self._ref = np.zeros(0, np.float32)

    @property
    def seconds_used(self) -> float:
        """Audible reference accumulated so far, in seconds."""
        return self._used_frames * self._frame / self.rate

    def estimate(self) -> DelayEstimate | None:
        """Current estimate, or None before any audible reference has been seen."""
        if self._used_frames == 0:
            return None
        mag = np.abs(self._cross)
        white = np.where(self._band & (mag > 0), self._cross / np.maximum(mag, 1e-30), 0)
        cc = np.fft.irfft(white, self._nfft)[: self.max_lag + 1]
        peak = int(np.argmax(cc))
        frac = 0.0
        if 0 < peak < self.max_lag:
            a, b, c = cc[peak - 1], cc[peak], cc[peak + 1]
            denom = a - 2 * b + c
            frac = 0.5 * (a - c) / denom if denom < 0 else 0.0
        guard = int(0.002 * self.rate)  # the peak's own width; reflections start later
        side = np.concatenate([cc[: max(0, peak - guard)], cc[peak + guard + 1 :]])
        second = float(np.max(side)) if len(side) else 0.0
        confidence = float(np.clip(1.0 - max(second, 0.0) / max(cc[peak], 1e-12), 0.0, 1.0))
        return DelayEstimate((peak + frac) / self.rate, confidence, self.seconds_used)


def estimate_delay(
    mic: np.ndarray, ref: np.ndarray, rate: int = LISTEN_RATE, max_delay_s: float = 0.5
) -> DelayEstimate | None:
    """One-shot estimate over whole signals (same clock, same start)."""
    n = min(len(mic), len(ref))
    est = DelayEstimator(rate, max_delay_s, forget=1.0)
    est.update(mic[:n], ref[:n])
    return est.estimate()
