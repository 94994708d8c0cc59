"""Devices that come and go: noticing a lost microphone or speaker and retrying it.

A USB microphone pulled out mid-session makes PortAudio fail reads (an OSError from the
stream, or a stream that simply stops delivering); a lost speaker stops calling back. The
watchers here turn both into ``DeviceChanged``s for the Daemon, and retry opening the device
every ``RETRY_SECONDS`` until it works again. Time is passed in, so the same logic runs on
the sound-card clock and on the virtual clock of the simulated room.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

RETRY_SECONDS = 3.0
"""How often a lost device is tried again."""
STALL_SECONDS = 1.5
"""A stream that has delivered nothing for this long counts as lost."""


class DeviceLost(OSError):
    """An audio stream stopped working (device unplugged, host audio restarted)."""

    def __init__(self, device: str, detail: str) -> None:
        super().__init__(f"{device} lost: {detail}")
        self.device = device
        self.detail = detail


@dataclass
class Retry:
    """When to try a lost device again; pure (time passed in)."""

    interval: float = RETRY_SECONDS
    lost_since: float | None = None
    """Stream time at which the device was lost; None while it works."""
    attempts: int = 0
    """Reopen attempts since it was lost."""
    _next: float = field(default=0.0, repr=False)

    @property
    def is_lost(self) -> bool:
        return self.lost_since is not None

    def lost(self, now: float) -> bool:
        """Record a loss; True the first time (when it must be announced)."""
        if self.lost_since is not None:
            return False
        self.lost_since, self.attempts, self._next = now, 0, now + self.interval
        return True

    def due(self, now: float) -> bool:
        """Time for the next attempt? (Counts it as made.)"""
        if self.lost_since is None or now < self._next:
            return False
        self.attempts += 1
        self._next = now + self.interval
        return True

    def back(self) -> None:
        self.lost_since = None


class Watched:
    """A device behind ``open_fn``/``close_fn`` with loss reporting and retries.

    ``report(lost: bool, detail: str)`` is called once per loss and once per return.
    """

    def __init__(self, name: str, open_fn: Callable[[], None], close_fn: Callable[[], None],
                 report: Callable[[bool, str], None], interval: float = RETRY_SECONDS) -> None:
        self.name = name
        self._open = open_fn
        self._close = close_fn
        self._report = report
        self.retry = Retry(interval)

    def failed(self, now: float, error: BaseException | str) -> None:
        """The device stopped working (called from the driving thread)."""
        if self.retry.lost(now):
            detail = str(error)
            log.warning("%s stopped working: %s", self.name, detail)
            self._safe_close()
            self._report(True, detail)

    def poll(self, now: float) -> None:
        """Retry a lost device when due; report it back when it opens."""
        if not self.retry.due(now):
            return
        try:
            self._open()
        except Exception as error:  # noqa: BLE001 - PortAudioError, UserError from resolving
            log.info("%s still unavailable (attempt %d): %s", self.name,
                     self.retry.attempts, error)
            return
        self.retry.back()
        log.warning("%s works again after %d attempt(s)", self.name, self.retry.attempts)
        self._report(False, "")

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception as error:  # noqa: BLE001 - closing a dead stream may fail any way
            log.debug("closing %s failed: %s", self.name, error)


class StallDetector:
    """Notices a stream that stopped advancing (a speaker whose callback no longer runs)."""

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.stall_seconds = stall_seconds
        self._last_value: float | None = None
        self._since: float = 0.0

    def stalled(self, value: float, wall_now: float) -> bool:
        """``value`` is the stream position; True once it has not moved for too long."""
        if value != self._last_value:
            self._last_value, self._since = value, wall_now
            return False
        return wall_now - self._since >= self.stall_seconds

    def reset(self, wall_now: float) -> None:
        self._last_value, self._since = None, wall_now
