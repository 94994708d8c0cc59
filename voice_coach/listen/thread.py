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
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from voice_coach.listen.sources import AudioSource

log = logging.getLogger(__name__)

CAPACITY_S = 10.0
"""Default ring buffer length, s of audio."""


class ListenerLike(Protocol):
    def process(self, mic_block: np.ndarray, start_time: float) -> list[Any]: ...

    def flush(self) -> list[Any]: ...

    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None
                 ) -> None: ...


class ListenerThread:
    """Runs ``listener`` on ``source`` until the source ends or ``stop`` is called.

    ``source`` may be None and replaced later (``replace_source``: a microphone reopened after
    it was unplugged). With ``keep_going`` a block the listener fails on is counted, logged
    once and skipped, as a daemon must; without, the failure stops the thread (``error``).
    """

    def __init__(self, source: AudioSource | None, listener: ListenerLike,
                 out: queue.Queue[Any], *, capacity_s: float = CAPACITY_S, rate: int = 0,
                 keep_going: bool = False) -> None:
        self.source = source
        self.listener = listener
        self.out = out
        self.rate = source.rate if source is not None else rate
        """Sample rate of the source's blocks, Hz."""
        if self.rate <= 0:
            raise ValueError("without a source, give the rate its blocks will have")
        self.capacity = int(capacity_s * self.rate)
        """Ring buffer size, samples."""
        self.keep_going = keep_going
        self.listener_errors = 0
        """Blocks the listener failed on (``keep_going`` only)."""
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
        self._mode: tuple[str, Mapping[str, Sequence[str]] | None] | None = None
        self._reader = threading.Thread(target=self._read, name="listen-reader", daemon=True)
        self._worker = threading.Thread(target=self._work, name="listener", daemon=True)

    def start(self) -> ListenerThread:
        self._worker.start()
        self._reader.start()
        return self

    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        """Switch the listener's mode; applied by the worker between blocks (any thread)."""
        with self._cond:
            self._mode = (mode, choices)
            self._cond.notify()

    def replace_source(self, source: AudioSource | None) -> None:
        """Read from ``source`` from now on (None: nothing until the next replacement)."""
        if source is not None and source.rate != self.rate:
            raise ValueError(f"source rate {source.rate} Hz, thread rate {self.rate} Hz")
        self.source = source

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
            return self._held / self.rate

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                source = self.source
                if source is None:
                    time.sleep(0.05)
                    continue
                item = source.read(timeout=0.1)
                if item is None:
                    if getattr(source, "finite", False) and source is self.source:
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
                self.dropped_s += len(block) / self.rate
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
                    while not self._ring and self._mode is None and not self._source_done \
                            and not self._stop.is_set():
                        self._cond.wait(0.1)
                    mode, self._mode = self._mode, None
                    item = self._ring.popleft() if self._ring else None
                    if item is not None:
                        self._held -= len(item[0])
                if mode is not None:
                    self.listener.set_mode(*mode)
                if item is None:
                    if self._source_done or self._stop.is_set():
                        break
                    continue
                self._process(*item)
            for heard in self.listener.flush():
                self.out.put(heard)
        except Exception as exc:  # noqa: BLE001 - reported to the app, not lost in a thread
            log.exception("listener failed")
            self.error = exc

    def _process(self, block: np.ndarray, start: float) -> None:
        try:
            heard = self.listener.process(block, start)
        except Exception:
            if not self.keep_going:
                raise
            self.listener_errors += 1
            if self.listener_errors == 1:
                log.exception("listener failed on a block; listening on")
            return
        for h in heard:
            self.out.put(h)
        self.processed_s += len(block) / self.rate
