"""The listener in its own thread, fed by an audio source through a ring buffer.

Two threads: the reader takes blocks from the source as they come (a microphone cannot
wait) and appends them to a ring buffer of ``capacity_s`` seconds; the worker runs the
Listener on them and puts what it heard on the output queue. Slow recognition (a long
utterance being decoded, a busy CPU) only lets the ring fill up; nothing is lost unless it
overflows, and then the oldest audio goes, counted and logged (the Listener hears the gap
as silence, so its clock stays right).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from typing import Any, Protocol

import numpy as np

from voice_coach.listen.sources import AudioSource

log = logging.getLogger(__name__)

CAPACITY_S = 10.0
"""Default ring buffer length, s of audio."""


class ListenerLike(Protocol):
    def process(self, mic_block: np.ndarray, start_time: float) -> list[Any]: ...

    def flush(self) -> list[Any]: ...


class ListenerThread:
    """Runs ``listener`` on ``source`` until the source ends or ``stop`` is called."""

    def __init__(self, source: AudioSource, listener: ListenerLike, out: queue.Queue[Any], *,
                 capacity_s: float = CAPACITY_S) -> None:
        self.source = source
        self.listener = listener
        self.out = out
        self.capacity = int(capacity_s * source.rate)
        """Ring buffer size, samples."""
        self.overflows = 0
        """Blocks dropped because the ring buffer was full."""
        self.dropped_s = 0.0
        """Audio dropped by overflows, s."""
        self.processed_s = 0.0
        """Audio the listener has processed, s."""
        self.error: BaseException | None = None
        """What stopped the worker, if it failed."""
        self._ring: deque[tuple[np.ndarray, float]] = deque()
        self._held = 0  # samples in the ring
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._source_done = False
        self._last_warning = 0.0
        self._reader = threading.Thread(target=self._read, name="listen-reader", daemon=True)
        self._worker = threading.Thread(target=self._work, name="listener", daemon=True)

    def start(self) -> ListenerThread:
        self._worker.start()
        self._reader.start()
        return self

    def stop(self) -> None:
        """Stop reading; the worker finishes what the ring holds, then exits."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> None:
        self._reader.join(timeout)
        self._worker.join(timeout)

    @property
    def alive(self) -> bool:
        return self._worker.is_alive()

    @property
    def buffered_s(self) -> float:
        """Audio waiting in the ring, s."""
        with self._cond:
            return self._held / self.source.rate

    def _read(self) -> None:
        finite = bool(getattr(self.source, "finite", False))
        try:
            while not self._stop.is_set():
                item = self.source.read(timeout=0.1)
                if item is None:
                    if finite:
                        break
                    continue
                self._push(item)
        except Exception as exc:  # noqa: BLE001 - reported to the app, not lost in a thread
            log.exception("audio source failed")
            self.error = exc
        finally:
            with self._cond:
                self._source_done = True
                self._cond.notify_all()

    def _push(self, item: tuple[np.ndarray, float]) -> None:
        with self._cond:
            self._ring.append(item)
            self._held += len(item[0])
            while self._held > self.capacity and len(self._ring) > 1:
                block, _ = self._ring.popleft()
                self._held -= len(block)
                self.overflows += 1
                self.dropped_s += len(block) / self.source.rate
            self._cond.notify()
        now = time.monotonic()
        if self.overflows and now - self._last_warning > 5.0:
            self._last_warning = now
            log.warning("listener ring buffer overflowed: %d blocks (%.2f s) dropped so far",
                        self.overflows, self.dropped_s)

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._ring and not self._source_done and not self._stop.is_set():
                        self._cond.wait(0.1)
                    if not self._ring:
                        if self._source_done or self._stop.is_set():
                            break
                        continue
                    block, start = self._ring.popleft()
                    self._held -= len(block)
                for heard in self.listener.process(block, start):
                    self.out.put(heard)
                self.processed_s += len(block) / self.source.rate
            for heard in self.listener.flush():
                self.out.put(heard)
        except Exception as exc:  # noqa: BLE001 - reported to the app, not lost in a thread
            log.exception("listener failed")
            self.error = exc
