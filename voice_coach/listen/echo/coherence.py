"""Is what the linear canceller leaves the coach it failed to remove, or another voice?

When the echo moves under it (a restarted output stream), the linear canceller subtracts the
coach where the coach no longer is: what it leaves, ``L = E - Ê``, is then a linear function
of its own echo estimate ``Ê`` (a comb filter of it) in every band. A person talking over the
coach leaves their own voice, unrelated to ``Ê``. The energies alone cannot tell the two
apart: AEC3's suppressor takes a loud user as far down as the coach, and the linear output
then keeps only a few dB less than the mic, as after a move (bench/LISTENING.md). The share
of ``L``'s energy that is coherent with ``Ê`` (magnitude-squared coherence per band, weighted
by ``L``'s power) can.
"""

from __future__ import annotations

import numpy as np

FFT = 2048
"""Samples per analysis frame (128 ms at 16 kHz): several times the 0-50 ms a restart moves
the echo by, so that the moved echo stays coherent with the estimate within a frame."""
HOP = 512
"""Samples between frames."""


def coherent_share(left: np.ndarray, estimate: np.ndarray) -> float:
    """Share (0..1) of ``left``'s energy that is a linear function of ``estimate`` per
    frequency band, both on one clock and equally long (at least FFT samples; 0.0 if not).
    Unrelated signals score about one over the number of frames (a bias, not a verdict)."""
    n = min(len(left), len(estimate))
    if n < FFT:
        return 0.0
    starts = np.arange(0, n - FFT + 1, HOP)
    window = np.hanning(FFT)
    index = starts[:, None] + np.arange(FFT)[None, :]
    spec_l = np.fft.rfft(np.asarray(left, np.float64)[index] * window, axis=1)
    spec_e = np.fft.rfft(np.asarray(estimate, np.float64)[index] * window, axis=1)
    cross = np.sum(spec_l * np.conj(spec_e), axis=0)
    power_l = np.sum(np.abs(spec_l) ** 2, axis=0)
    power_e = np.sum(np.abs(spec_e) ** 2, axis=0)
    total = float(np.sum(power_l))
    if total <= 0.0:
        return 0.0
    explained = np.abs(cross) ** 2 / np.maximum(power_e, 1e-30)
    return float(min(1.0, np.sum(explained) / total))
