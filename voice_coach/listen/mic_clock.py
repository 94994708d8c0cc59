"""Mic blocks onto the listener's clock: it counts mic samples from the first block's capture
time, and follows the blocks' times where the two part (lost audio, two devices' clocks, a
restarted output stream re-timing the mic).

The times come without the sound server's jitter (DeviceSource keeps a low percentile of its
offsets), so a difference that holds from one block to the next is real: it is followed at
once and exactly, since every millisecond the mic is off moves the echo under the cancellers.
"""

from __future__ import annotations

import logging

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.accept.echo_gate import FRAME

log = logging.getLogger(__name__)

MAX_GAP_S = 5.0
"""A forward jump in mic time up to this long is filled with silence; longer restarts, s."""
LOCK_S = 0.001
"""How far the mic's sample count may part from the blocks' capture times before the
listener drops or inserts samples to follow them, s."""
HOLD_S = 0.0005
"""How close two blocks' differences must be for the difference to count as held, s."""
MAX_BACKSTEP_S = 0.25
"""A backward step in mic time up to this long drops samples; longer restarts, s."""


class MicClock:
    """``join(block, start_time)`` -> the block as it joins the count (see module doc)."""

    def __init__(self, mic_rate: int) -> None:
        self.mic_rate = mic_rate
        """Rate of the mic blocks, Hz."""
        self.origin: float | None = None
        """Mic-stream time of listener sample 0, None before the first block."""
        self.expected: float | None = None
        """Mic-stream time where the next block should start."""
        self.followed_s = 0.0
        """Net time the sample count was moved to follow the blocks' times (inserted minus
        dropped, gaps and jumps left out), s."""
        self._last: float | None = None  # the previous block's time minus the count, s

    def join(self, block: np.ndarray, start_time: float, counted_s: float
             ) -> tuple[np.ndarray, bool]:
        """``block`` as it joins the count, and whether the clock jumped (listening starts
        afresh, ``counted_s`` seconds of listener samples already taken in). A gap is filled
        with silence; a slow drift between the count and the blocks' capture times is
        followed by dropping or inserting a few samples."""
        n = len(block)
        if self.origin is None or self.expected is None:
            self.origin, self.expected = start_time, start_time + n / self.mic_rate
            return block, False
        gap = start_time - self.expected
        if abs(gap) < 2 * FRAME / RATE:  # two clocks drifting apart, or re-timed
            held = self._last is not None and abs(gap - self._last) <= HOLD_S
            self._last = gap
            if not held or abs(gap) < LOCK_S:
                return self._shift(block, 0), False
            self._last = None
            samples = round(gap * self.mic_rate)
            log.debug("mic clock at %.3f s followed by %+d samples", start_time, samples)
            self.followed_s += samples / self.mic_rate
            return self._shift(block, samples), False
        self._last = None
        if -MAX_BACKSTEP_S <= gap <= MAX_GAP_S:
            # Lost mic audio: keep the clock and hear silence; or the count ran ahead: skip
            # what it overlaps.
            log.debug("mic time off the sample count by %.3f s: followed", gap)
            return self._shift(block, round(gap * self.mic_rate)), False
        log.info("mic clock jumped by %.3f s; listening afresh", gap)
        self.origin = start_time - counted_s
        self.expected = start_time + n / self.mic_rate
        return block, True

    def _shift(self, block: np.ndarray, samples: int) -> np.ndarray:
        """``block`` after ``samples`` of silence (> 0), or without its first ``-samples``
        (< 0), counted on the listener's clock."""
        if samples > 0:
            block = np.concatenate([np.zeros((samples, *block.shape[1:]), block.dtype), block])
        elif samples < 0:
            samples = -min(-samples, len(block))
            block = block[-samples:]
        assert self.expected is not None
        self.expected += len(block) / self.mic_rate
        return block
