"""Where the microphone holds the coach's voice and nothing else, block by block.

Utterances close on AEC3's output (front_end.py). Right after a cut its echo path is lost,
and the coach's words leak through: the person's "pause" then runs on into the coach's next
words and is decided a second late, or decoded with them ("pause more"). Here each 20 ms of
the raw mic gets a short least-squares filter from the playback near the echo delay the
aligner keeps (echo_fit.py's fit, with a small search instead of the whole range); where it
leaves less than EXPLAINED_DB, the block is the coach's alone, and the recognizer hears
silence there (listener.py). A voice in the room is never explained (it is not in the
playback) unless it is EXPLAINED_DB under the echo; a reverberant room is not either (a 1 ms
filter cannot follow its tail), so there nothing changes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from voice_coach.listen.accept.echo_fit import EXPLAINED_DB, TAPS, residual
from voice_coach.listen.echo.delay_line import DelayLine

BLOCK = 320
"""Samples of mic per fit (20 ms at 16 kHz)."""
SEARCH = 32
"""How far (samples, 2 ms at 16 kHz) either side of the aligner's delay the echo may lie: the
aligner moves the reference only for moves of 1 ms and more."""
COACH_ALONE_GAIN = 0.01
"""What the recognizer decodes of the coach alone: 40 dB down, as a working canceller leaves
it. Digital silence instead made PocketSphinx miss a "pause" between two such stretches (its
running cepstral mean is thrown by frames of nothing)."""
QUIET = 1e-7
"""Mean square below which a block holds nothing to explain (digital silence)."""
SILENT = 1e-3
"""Peak below which the playback holds no coach to explain or to remove."""


ALONE, DRY = 1, 2
"""Per-sample states of ``CoachAlone.process`` (0: anything else)."""
DIRECT_HOLD_S = 1.0
"""Stretch of the coach's playback over which the path is judged, s."""
DIRECT_SHARE = 0.5
"""Share of the blocks of that stretch with coach in them that must be the coach alone for
the path to count as direct (no room tail to remove): in a room, the first block of a word,
before its reverberation has built up, is explained too."""


class CoachAlone:
    """``process(mic, read, delay)`` -> per sample, on the cleaned clock (``latency`` samples
    behind the mic), ALONE where a block holds the coach's voice alone, DRY where the coach
    is silent after a stretch that showed the path direct (the raw mic is then what a
    canceller would leave, without AEC3's suppression of a voice it has just heard the coach
    under), else 0; and the mic on the same clock."""

    def __init__(self, latency: int, rate: int = 16000) -> None:
        self._states = DelayLine(latency, np.int8)  # mic clock -> cleaned clock
        self._mic = DelayLine(latency)
        self._coach: deque[bool] = deque(maxlen=round(DIRECT_HOLD_S * rate / BLOCK))
        """Per recent block with coach in its playback: whether it was the coach alone."""

    def process(self, mic: np.ndarray, read: Callable[[int, int], np.ndarray] | None,
                delay: int | None) -> tuple[np.ndarray, np.ndarray]:
        """``read(first, n)``: ``n`` playback samples from ``first`` samples after ``mic``'s
        first one (negative: before), on the reference the aligner keeps; ``delay``: the echo
        delay it keeps them at, samples. Either None (no playback, or its delay not known
        yet): nothing is the coach's."""
        states = np.zeros(len(mic), np.int8)
        if read is not None and delay is not None:
            margin = SEARCH + TAPS
            for s in range(0, len(mic), BLOCK):
                block = mic[s:s + BLOCK]
                window = read(s - delay - margin, len(block) + 2 * margin)
                if float(np.max(np.abs(window))) >= SILENT:
                    alone = explained(block, window)
                    self._coach.append(alone)
                    if alone:
                        states[s:s + len(block)] = ALONE
                elif len(self._coach) == self._coach.maxlen and \
                        sum(self._coach) >= DIRECT_SHARE * len(self._coach):
                    states[s:s + len(block)] = DRY
        return self._states(states), self._mic(mic)


def explained(block: np.ndarray, window: np.ndarray) -> bool:
    """Whether the playback ``window`` (the block's span, SEARCH + TAPS more each side)
    explains ``block`` to EXPLAINED_DB."""
    block = np.asarray(block, np.float64)
    energy = float(block @ block)
    if energy < QUIET * len(block) or float(np.max(np.abs(window), initial=0.0)) < SILENT:
        return False
    return residual(block, np.asarray(window, np.float64)) * 10 ** (EXPLAINED_DB / 10) <= energy
