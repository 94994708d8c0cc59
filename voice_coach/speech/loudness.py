"""Every sentence at the same loudness (ITU-R BS.1770, through pyloudnorm), peaks kept clear
of full scale.

Piper scales each sentence to full-scale peak, so a short word with one strong vowel ("Four.")
came out 6 dB louder than a long instruction: in a dark room a countdown jumped out. The
target is EBU R128's programme loudness, -23 LUFS, and R128's -1 dB peak ceiling.
"""

from __future__ import annotations

import numpy as np

TARGET_LUFS = -23.0
"""Loudness every sentence is brought to (EBU R128 programme loudness)."""
PEAK_CEILING_DBFS = -1.0
"""No sample goes above this; a sentence whose peaks would is turned down to fit."""
GATE_BLOCK_S = 0.4
"""BS.1770's gating block. A word shorter than one block is measured as one block of its own
length (see ``speech_loudness``)."""
_FRAME_S = 0.01
_SPAN_DB = 40.0
"""Frames this far below the loudest one, at the ends, are Piper's lead-in and tail."""
_SILENT = -70.0
"""BS.1770's absolute gate: below this a clip is silence and is left alone."""


def speech_span(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """``pcm`` without the near-silence Piper leaves before and after the words."""
    frame = max(1, round(_FRAME_S * sample_rate))
    count = len(pcm) // frame
    if count == 0:
        return pcm
    frames = np.asarray(pcm[: count * frame], np.float64).reshape(count, frame)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-20)
    loud = np.flatnonzero(energy > energy.max() - _SPAN_DB)
    return pcm[loud[0] * frame : (loud[-1] + 1) * frame]


def speech_loudness(pcm: np.ndarray, sample_rate: int) -> float:
    """Loudness of the words in ``pcm`` in LUFS (BS.1770 K-weighted, gated).

    Measured over the speech span only: Piper's lead-in and tail are a larger share of a
    short word, and counting them would read "Four." as quieter than it sounds and so make
    it louder. A span shorter than the 400 ms block is one block of its own length, i.e. the
    K-weighted mean power over the word: padding it to 400 ms with silence would under-read
    it by 10*log10(0.4 / length) dB, the very jump this module removes.
    """
    import pyloudnorm  # lazy: pulls in scipy

    span = np.asarray(speech_span(pcm, sample_rate), np.float64)
    seconds = len(span) / sample_rate
    if seconds < _FRAME_S:
        return float("-inf")
    meter = pyloudnorm.Meter(sample_rate, block_size=min(GATE_BLOCK_S, seconds))
    return float(meter.integrated_loudness(span))


def prepare() -> None:
    """Import the loudness library now, in the calling thread, before a second thread needs
    it: a thread that waits on another's import gets the half-made module (no ``Meter``) when
    a signal stops that import."""
    try:
        import pyloudnorm  # noqa: F401
    except ImportError as error:
        # A signal whose handler raised inside scipy's C extensions surfaces as their failed
        # initialisation: the signal is what happened, and the caller handles it.
        if error.__cause__ is not None and not isinstance(error.__cause__, Exception):
            raise error.__cause__ from None
        raise


def normalize_loudness(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """``pcm`` at TARGET_LUFS, turned down further only if a peak would pass the ceiling."""
    loudness = speech_loudness(pcm, sample_rate)
    if not np.isfinite(loudness) or loudness < _SILENT:
        return pcm
    peak = float(np.max(np.abs(pcm)))
    gain_db = min(TARGET_LUFS - loudness, PEAK_CEILING_DBFS - 20 * np.log10(peak))
    return (pcm * np.float32(10 ** (gain_db / 20))).astype(np.float32)
