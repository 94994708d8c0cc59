"""Where a quiet voice over the coach may start: the signal utterances open on.

AEC3's residual suppressor treats the first few hundred ms of a quiet user talking over the
coach as echo and takes them out, so an utterance opened on its output starts late ("session"
for "end the session"). The linear canceller's output keeps that onset, next to a residual of
the coach that stays well below the echo it removed. So in 10 ms frames where the coach is
audible (echo estimate above ``ECHO_FLOOR``) and the linear output is at most ``MARGIN_DB``
below its own echo estimate, it stands in for AEC3's output; elsewhere AEC3's output is kept.
What it bought: bench/LISTENING.md.
"""

from __future__ import annotations

import numpy as np

FRAME = 160
"""Samples per decision, 10 ms at 16 kHz."""
MARGIN_DB = 6.0
"""A frame whose linear-output energy is above (echo estimate energy - MARGIN_DB) counts as
possibly voiced, dB."""
ECHO_FLOOR = 10 ** (-55 / 10)
"""Echo-estimate mean-square energy (-55 dBFS) below which AEC3 suppresses nothing, so its
output is kept."""


def onset_signal(mic: np.ndarray, linear: np.ndarray, gate: np.ndarray,
                 margin_db: float = MARGIN_DB) -> np.ndarray:
    """``gate`` (AEC3's output) with ``linear`` put in the frames where it may hold a voice;
    all three on one clock and equally long, ``mic`` aligned with them (a partial last frame
    keeps ``gate``)."""
    n = len(gate) // FRAME
    if n == 0:
        return gate
    shape = (n, FRAME)
    lin = linear[: n * FRAME].reshape(shape).astype(np.float64)
    echo = mic[: n * FRAME].reshape(shape).astype(np.float64) - lin
    echo_e = np.mean(echo**2, 1)
    voiced = (np.mean(lin**2, 1) > echo_e * 10 ** (-margin_db / 10)) & (echo_e > ECHO_FLOOR)
    out = np.array(gate, np.float32)
    out[: n * FRAME] = np.where(np.repeat(voiced, FRAME), linear[: n * FRAME], out[: n * FRAME])
    return out
