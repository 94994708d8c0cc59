"""Where the Player's stream time stands on PortAudio's clock.

The output callback anchors it with the time its first sample will reach the speaker (the
DAC time); the microphone reads it to put each block it captured (the ADC time) on the same
stream time. So the echo reference and the microphone line up on what actually left the
speaker and what actually entered the microphone, whatever the sound server buffers, and two
devices with clocks of their own cannot drift apart.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

STALE_S = 1.0
"""An anchor older than this (monotonic seconds) no longer describes the output stream."""
STEADY_S = 0.5
"""How long the offset between stream time and device time must have held (within
STEADY_TOLERANCE_S) before the clock answers: while an output stream starts, the sound
server takes audio faster than it plays it, and the offset grows."""
STEADY_TOLERANCE_S = 0.002
"""How far the offset may move and still count as held, s."""


OFFSET_WINDOW = 250
"""Timestamps (5 s of 20 ms blocks) over which a stream's offset is estimated."""
OFFSET_PERCENTILE = 10.0
"""Which of them stands for the stream: through ALSA's pulse plugin most timestamps sit
within a millisecond of the lowest, and one in ten or so comes up to 10 ms late
(bench/LIVE.md); a low percentile ignores both the late ones and a rare early one."""


@dataclass(frozen=True)
class Anchor:
    offset: float
    """Device time at which a sample reaches the speaker minus its Player stream time, s."""
    set_at: float
    """time.monotonic() when the anchor was taken."""


class OffsetHold:
    """Whether an offset between two clocks has held (within STEADY_TOLERANCE_S) for
    STEADY_S: a stream's timestamps settle during its first second."""

    def __init__(self) -> None:
        self._offset: float | None = None
        self._since = 0.0

    def update(self, offset: float) -> bool:
        now = time.monotonic()
        if self._offset is None or abs(offset - self._offset) > STEADY_TOLERANCE_S:
            self._offset, self._since = offset, now
        return now - self._since >= STEADY_S


class EarliestOffset:
    """The offset of a device's timestamps from a stream's sample count, when most timestamps
    are on time and the rest come late by varying amounts: a low percentile of the last
    OFFSET_WINDOW. It answers only once that has held (OffsetHold): while a stream starts,
    its timestamps jump by tens of ms."""

    def __init__(self, steady: bool = False) -> None:
        self._recent: deque[float] = deque(maxlen=OFFSET_WINDOW)
        self._hold = OffsetHold()
        self._steady = steady

    def update(self, offset: float) -> float | None:
        """Take one timestamp's offset, s; the estimate, or None while settling."""
        self._recent.append(offset)
        value = float(np.percentile(self._recent, OFFSET_PERCENTILE))
        self._steady = self._steady or self._hold.update(value)
        return value if self._steady else None


class PlaybackClock:
    """Updated from the output callback, read from the input callback (no locks needed: one
    reference assignment is atomic)."""

    def __init__(self) -> None:
        self._anchor: Anchor | None = None
        self._offset = EarliestOffset()
        self._cut = False  # the stream was cut and started again: learn its offset afresh

    def anchor(self, stream_time: float, device_time: float, restart: bool = False) -> None:
        """The sample at ``stream_time`` reaches the speaker at ``device_time``. ``restart``:
        the stream started again or lost time (an underflow), so what was learnt no longer
        holds."""
        if restart:
            self._offset, self._anchor, self._cut = EarliestOffset(), None, False
        elif self._cut:
            # A stream started again on a running server has its own times right within a
            # few ms (bench/bench_cuts.py); mixed with the old stream's, they moved the echo
            # again a second after every cut.
            self._offset, self._cut = EarliestOffset(steady=True), False
        offset = self._offset.update(device_time - stream_time)
        if offset is not None:
            self._anchor = Anchor(offset, time.monotonic())

    def dropped(self, seconds: float) -> None:
        """The output stream started again with ``seconds`` of queued stream time never
        played: later samples reach the speaker about that much sooner than the old offset
        says, until the new stream's first callback tells."""
        self._cut = True
        if self._anchor is not None:
            self._anchor = Anchor(self._anchor.offset - seconds, self._anchor.set_at)

    def stream_time_at(self, device_time: float) -> float | None:
        """The stream time playing at ``device_time`` (PortAudio's clock), or None while no
        output stream has anchored it lately, or while its offset is still settling."""
        anchor = self._anchor
        if anchor is None or time.monotonic() - anchor.set_at > STALE_S:
            return None
        return device_time - anchor.offset
