"""Where the Player's stream time stands on PortAudio's clock.

The output callback anchors it with the time its first sample will reach the speaker (the
DAC time); the microphone reads it to put each block it captured (the ADC time) on the same
stream time. So the echo reference and the microphone line up on what actually left the
speaker and what actually entered the microphone, whatever the sound server buffers, and two
devices with clocks of their own cannot drift apart.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass

STALE_S = 1.0
"""An anchor older than this (monotonic seconds) no longer describes the output stream."""
STEADY_S = 0.5
"""How long the offset between stream time and device time must have held (within
STEADY_TOLERANCE_S) before the clock answers: while an output stream starts, the sound
server takes audio faster than it plays it, and the offset grows."""
STEADY_TOLERANCE_S = 0.002
"""How far the offset may move and still count as held, s."""


ANCHOR_WINDOW = 50
"""Output callbacks (1 s of 20 ms blocks) whose offsets are pooled: through ALSA's pulse plugin
one DAC time is off by up to 10 ms from the next (bench/LIVE.md), their median is not."""


@dataclass(frozen=True)
class Anchor:
    offset: float
    """Player stream time minus the device time its sample reaches the speaker, s (the
    median of the recent callbacks')."""
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


class PlaybackClock:
    """Updated from the output callback, read from the input callback (no locks needed: one
    reference assignment is atomic)."""

    def __init__(self) -> None:
        self._anchor: Anchor | None = None
        self._hold = OffsetHold()
        self._steady = False
        self._offsets: deque[float] = deque(maxlen=ANCHOR_WINDOW)

    def anchor(self, stream_time: float, device_time: float, restart: bool = False) -> None:
        """The sample at ``stream_time`` reaches the speaker at ``device_time``. ``restart``:
        the stream started again or lost time (an underflow), so older offsets no longer hold."""
        if restart:
            self._offsets.clear()
        self._offsets.append(stream_time - device_time)
        offset = statistics.median(self._offsets)
        self._steady = self._hold.update(offset)
        self._anchor = Anchor(offset, time.monotonic())

    def stream_time_at(self, device_time: float) -> float | None:
        """The stream time playing at ``device_time`` (PortAudio's clock), or None while no
        output stream has anchored it lately, or while its offset is still settling."""
        anchor = self._anchor
        if anchor is None or not self._steady or time.monotonic() - anchor.set_at > STALE_S:
            return None
        return device_time + anchor.offset
