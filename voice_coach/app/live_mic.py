"""The microphone of ``run``: a ListenerThread on a DeviceSource, watched for loss.

The listener thread reads the device and queues what it heard. When the device fails (the
source raises, or the thread ends on its own), the daemon is told, and the device is
reopened every few seconds until it works again.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from typing import Any

from voice_coach.app.devices_watch import Watched

log = logging.getLogger(__name__)


class LiveMic:
    """Owns the microphone source and the listener thread reading it."""

    def __init__(self, listener: Any, device: str | int | None, out: queue.Queue[Any],
                 report: Callable[[bool, str], None]) -> None:
        self.listener = listener
        self.device = device
        self.out = out
        self.thread: Any = None
        self.watch = Watched("microphone", self.open, self.close, report)

    def open(self) -> None:
        from voice_coach.listen.listener import DeviceSource, ListenerThread

        source = DeviceSource(self.device)
        thread = ListenerThread(source, self.listener, self.out)
        thread.start()
        self.thread = thread

    def close(self) -> None:
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.stop()

    def check(self, now: float) -> None:
        """Notice a dead listener thread (its source failed); retry when due."""
        thread = self.thread
        if thread is not None and not thread.is_alive():
            error = getattr(thread, "error", None) or "microphone stream ended"
            self.watch.failed(now, error)
        self.watch.poll(now)

    def shutdown(self) -> None:
        try:
            self.close()
        except Exception as error:  # noqa: BLE001 - a vanished device may fail to close
            log.debug("closing the microphone failed: %s", error)
