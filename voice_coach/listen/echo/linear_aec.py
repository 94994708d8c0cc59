"""Linear echo canceller for the recognizer: mic minus the reference through the room.

AEC3's residual-echo suppressor also takes a few dB off a user talking over the coach, which
is fine for a phone call and fatal for a recognizer. This stage only subtracts: the room's
speaker-to-mic response is estimated from the cross-spectrum of reference and mic (Welch
frames of ``ANALYSIS`` samples, averaged with forgetting), and the reference filtered by it is
subtracted. A user's voice is uncorrelated with the reference, so it leaves the estimate
unbiased and passes through untouched; what remains of the echo is the speaker's non-linear
distortion and the estimate's error. Each frame's bins are averaged in with the share of the
mic the current estimate explains (``_echo_share``), so knocks and hums do not spoil it.

Why not a library: livekit's AEC3 has no linear-only output, and speexdsp's MDF canceller
without its preprocessor (PyPI ``pyaec``) diverged as soon as a user talked over the coach.
A Welch cross-spectrum is a few numpy FFTs and cannot diverge: a voice in one frame only adds
noise to a 20 s average. Measurements: bench/LISTENING.md.
"""

from __future__ import annotations

import numpy as np

"""Sample rate, Hz."""
ANALYSIS = 32768
"""Welch frame for the cross-spectrum, samples (2 s): several times the filter length."""
TAPS = 12000
"""Filter length, samples (0.75 s): speaker-to-mic delay plus the loud part of the reverb."""
FORGET = 0.95
"""Weight of the old spectra at each update (one update per half frame: ~20 s memory)."""
MIN_WEIGHT = 0.3
"""Least weight of a bin in an update: the estimate keeps learning where it explains little
(a bin it has not heard yet, a speaker that moved), more slowly the lower this is.
Measured: bench/LISTENING.md."""
MIN_REFERENCE_RMS = 1e-3
"""A frame whose reference is quieter than this (digital silence, a paused coach) teaches
nothing about the room and is skipped."""


class LinearCanceller:
    """Streaming ``process(mic, ref) -> cleaned`` at 16 kHz float32, same length out as in,
    no latency. Until the first estimate (one ``ANALYSIS`` frame of reference) the mic passes
    through unchanged."""

    def __init__(self, taps: int = TAPS, analysis: int = ANALYSIS, forget: float = FORGET
                 ) -> None:
        if taps >= analysis:
            raise ValueError("the analysis frame must be longer than the filter")
        self.taps = taps
        self.analysis = analysis
        self.forget = forget
        self.updates = 0
        """How many times the room response was estimated."""
        self._window = np.hanning(analysis)
        self._taper = np.ones(taps)
        self._taper[-taps // 8:] = np.hanning(taps // 4)[taps // 8:]
        self._sxy = np.zeros(analysis // 2 + 1, complex)
        self._sxx = np.zeros(analysis // 2 + 1)
        self._h: np.ndarray | None = None
        self._spectra: dict[int, np.ndarray] = {}  # rfft(h, n) per FFT size
        self._history = np.zeros(taps - 1)  # reference samples before the current block
        self._ref_frame = np.zeros(0)  # analysis buffers, oldest first
        self._mic_frame = np.zeros(0)

    def set_delay(self, delay_s: float) -> None:
        """The filter finds the delay itself (kept for the EchoCanceller interface)."""

    def process(self, mic_block: np.ndarray, ref_block: np.ndarray) -> np.ndarray:
        if len(mic_block) != len(ref_block):
            raise ValueError("mic and reference blocks must have the same length")
        mic = np.asarray(mic_block, np.float64)
        ref = np.asarray(ref_block, np.float64)
        echo = self._echo(ref)
        self._learn(mic, ref)
        return (mic - echo).astype(np.float32)

    def _echo(self, ref: np.ndarray) -> np.ndarray:
        line = np.concatenate([self._history, ref])
        self._history = line[len(ref):]
        if self._h is None or not len(ref):
            return np.zeros(len(ref))
        n = 1 << int(np.ceil(np.log2(len(line))))
        spectrum = self._spectra.get(n)
        if spectrum is None:
            spectrum = self._spectra[n] = np.fft.rfft(self._h, n)
        full = np.fft.irfft(np.fft.rfft(line, n) * spectrum, n)
        return full[self.taps - 1:len(line)]

    def _learn(self, mic: np.ndarray, ref: np.ndarray) -> None:
        self._ref_frame = np.concatenate([self._ref_frame, ref])
        self._mic_frame = np.concatenate([self._mic_frame, mic])
        hop = self.analysis // 2
        while len(self._ref_frame) >= self.analysis:
            r, m = self._ref_frame[:self.analysis], self._mic_frame[:self.analysis]
            if np.sqrt(np.mean(r ** 2)) >= MIN_REFERENCE_RMS:
                self._update(r, m)
            self._ref_frame = self._ref_frame[hop:]
            self._mic_frame = self._mic_frame[hop:]

    def _update(self, ref: np.ndarray, mic: np.ndarray) -> None:
        x = np.fft.rfft(ref * self._window)
        y = np.fft.rfft(mic * self._window)
        weight = self._echo_share(x, y)
        self._sxy = self.forget * self._sxy + weight * np.conj(x) * y
        self._sxx = self.forget * self._sxx + weight * np.abs(x) ** 2
        # Regularized so bins the coach's voice never reaches do not blow up.
        h = np.fft.irfft(self._sxy / (self._sxx + 1e-3 * np.mean(self._sxx) + 1e-12),
                         self.analysis)
        self._h = h[: self.taps] * self._taper
        self._spectra = {}
        self.updates += 1

    def _echo_share(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | float:
        """Per bin, how much of the mic frame the current estimate explains as echo (at
        least ``MIN_WEIGHT``): a frame's bins are averaged in with that weight, so a knock, a
        hum or a voice teaches the estimate little about the room."""
        if self._h is None:
            return 1.0
        predicted = x * np.fft.rfft(self._h, self.analysis)
        echo, rest = np.abs(predicted) ** 2, np.abs(y - predicted) ** 2
        return np.maximum(echo / (echo + rest + 1e-30), MIN_WEIGHT)
