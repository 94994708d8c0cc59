"""Keeps the echo where the cancellers learnt it: the reference is moved when the echo moves.

The sound server's timestamps put the reference on the mic's clock, but each time the output
stream starts again (a cut, an underflow) they may be off by another 0-30 ms (bench/LIVE.md).
A linear canceller that learnt the room at one delay then adds the coach instead of removing
it. ``EchoAligner`` estimates the echo delay over the last fraction of a second (GCC-PHAT,
delay.py, with short memory) and, once a few estimates in a row agree on a new delay, says by
how much to move the reference so the echo sits at the delay it first found.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.echo.delay import DelayEstimator

FRAME_S = 0.128
"""Reference frame of each quick estimate, s."""
MAX_DELAY_S = 0.25
"""Largest echo delay the quick estimates search, s."""
FORGET = 0.0
"""Weight of the older cross-spectra at each frame: none, each frame answers alone (a memory
holds the echo from before a restart for a few frames more)."""
MIN_CONFIDENCE = 0.6
"""Least GCC-PHAT confidence (delay.py) of an estimate that counts."""
AGREE = 2
"""Confident estimates in a row that must agree before the reference is moved."""
AGREE_S = 0.001
"""How close they must lie to one another, s."""
MIN_MOVE_S = 0.001
"""Smallest move worth making, s: smaller errors the cancellers follow themselves."""
MAX_MOVE_S = 0.05
"""Largest move made, s: a restart's timestamps were off by up to 30 ms; a larger jump is
more likely a reflection taken for the direct path."""


class EchoAligner:
    """``update(mic, reference)`` per block (same length, same clock); returns seconds to
    move the reference later (positive: read older reference) when the echo has moved."""

    def __init__(self, rate: int = RATE) -> None:
        self.rate = rate
        self.target_s: float | None = None
        """Echo delay the reference is kept at (the first one agreed on), s."""
        self.moved_s = 0.0
        """Net move so far, s: the true echo delay is ``target_s + moved_s``."""
        self._quick = self._estimator()
        self._seen = 0
        self._recent: deque[float] = deque(maxlen=AGREE)
        self._far: list[float] = []  # agreements in a row on one delay too far to move to

    def update(self, mic: np.ndarray, reference: np.ndarray) -> float:
        self._quick.update(mic, reference)
        frames = self._quick.frames_used
        if frames == self._seen:
            return 0.0
        self._seen = frames
        estimate = self._quick.estimate()
        edge = 1.5 / self.rate  # a peak at either end of the search is no peak
        if estimate is None or estimate.confidence < MIN_CONFIDENCE \
                or not edge < estimate.delay_s < MAX_DELAY_S - edge:
            self._recent.clear()
            self._far.clear()
            return 0.0
        self._recent.append(estimate.delay_s)
        if len(self._recent) < AGREE or np.ptp(self._recent) > AGREE_S:
            return 0.0
        delay = float(np.median(self._recent))
        if self.target_s is None:
            self.target_s = delay
            return 0.0
        move = delay - self.target_s
        if abs(move) > MAX_MOVE_S:
            # Agreed on again and again, the far delay is the echo: the target was not.
            if self._far and abs(delay - self._far[0]) > AGREE_S:
                self._far.clear()
            self._far.append(delay)
            if len(self._far) >= AGREE:
                self.target_s = delay
                self._far.clear()
            return 0.0
        self._far.clear()
        if abs(move) < MIN_MOVE_S:
            return 0.0
        move = round(move * self.rate) / self.rate
        self.moved_s += move
        # Estimates from audio read before the move would call for it again.
        self._quick = self._estimator()
        self._seen = 0
        self._recent.clear()
        return move

    def _estimator(self) -> DelayEstimator:
        return DelayEstimator(self.rate, MAX_DELAY_S, FRAME_S, FORGET)
