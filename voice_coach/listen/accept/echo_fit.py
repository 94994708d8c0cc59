"""How much of a command's sound is the coach's playback, found afresh for its words alone.

The cancellers learn the echo path over seconds; for the first second of a new output stream
the echo sits at another lag and they remove little of it, so the coach's own words pass the
residual test. Here each 25 ms block of the raw mic gets its own lag (cross-correlation over
the whole range the echo may lie in) and a short least-squares filter from the playback: the
share of the words' energy in blocks that filter explains almost wholly is the coach's. A
user's voice is unrelated to the playback and is explained only where it is 20 dB below the
echo, where no recognizer would hear it either.
"""

from __future__ import annotations

import numpy as np

BLOCK = 400
"""Samples of mic a lag and filter are fitted to (25 ms at 16 kHz): short enough for a lag
that moves within a word."""
TAPS = 16
"""Filter taps around each block's lag: a fractional delay and the speaker's colour."""
EXPLAINED_DB = 20.0
"""A block is the playback's when the fitted filter leaves less than this far below it, dB."""


def echo_share(mic: np.ndarray, ref: np.ndarray, late: int, early: int) -> float:
    """Share (0..1) of ``mic``'s energy in blocks the playback explains to EXPLAINED_DB.

    ``ref`` is the playback from ``late + TAPS`` samples before ``mic``'s first sample to
    ``early + TAPS`` after its last, on the same clock: the echo may lag the playback by up
    to ``late`` samples, or lead it by up to ``early`` (timestamps off after a restart)."""
    mic = np.asarray(mic, np.float64)
    ref = np.asarray(ref, np.float64)
    if len(ref) != len(mic) + late + early + 2 * TAPS:
        raise ValueError("ref must cover mic with late, early and TAPS on each side")
    total = explained = 0.0
    for s in range(0, len(mic) - BLOCK // 2, BLOCK):
        block = mic[s:s + BLOCK]
        energy = float(block @ block)
        if energy <= 0.0:
            continue
        total += energy
        window = ref[s:s + len(block) + late + early + 2 * TAPS]
        if residual(block, window) * 10 ** (EXPLAINED_DB / 10) <= energy:
            explained += energy
    return explained / total if total > 0.0 else 0.0


def residual(block: np.ndarray, window: np.ndarray) -> float:
    """Energy left of ``block`` by the best short filter of ``window`` at its best lag."""
    n = len(block)
    size = 1 << (len(window) + n).bit_length()
    corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(block, size)),
                        size)[:len(window) - n + 1]
    cum = np.concatenate([[0.0], np.cumsum(window * window)])
    power = cum[n:] - cum[:-n]
    score = corr * corr / np.maximum(power, 1e-12)
    half = TAPS // 2
    lag = half + int(np.argmax(score[half:len(score) - half]))
    taps = np.stack([window[lag + j:lag + j + n] for j in range(-half, half)], axis=1)
    # Normal equations: a third of lstsq's time, and 16 taps of float64 keep them well posed
    # (a ridge of 1e-9 of their power for the degenerate case of a silent stretch).
    gram = taps.T @ taps
    gram[np.diag_indices(TAPS)] += 1e-9 * float(np.trace(gram)) + 1e-30
    rest = block - taps @ np.linalg.solve(gram, taps.T @ block)
    return float(rest @ rest)
