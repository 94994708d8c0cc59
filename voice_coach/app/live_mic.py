"""The microphone of ``run``: a PortAudio input stream feeding the Listener in its own thread.

The stream's callback only copies each block into a ring buffer (a full ring drops the
oldest block and counts an overflow); a worker thread runs the Listener on the blocks and
queues what it heard. Mic time is put on the Player's clock once, when the stream opens,
then counted in samples, so it has no jitter; the Listener estimates the remaining delay.
Mode changes from the daemon thread are applied by the worker between blocks (the Listener
itself is not meant to be switched while it processes).

A stream that fails or stops delivering (USB mic pulled out) is reported as lost, closed,
and reopened every few seconds until it works again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from voice_coach.app.devices_watch import StallDetector, Watched

log = logging.getLogger(__name__)

RING_SECONDS = 2.0
"""Audio the ring buffer holds while the Listener is busy, in seconds."""
BLOCK_SECONDS = 0.02


def input_rate(device: int | None, preferred: int = 16000) -> int:
    """16 kHz if the device takes it (no resampling), else its default rate."""
    from voice_coach.speech.device import import_sounddevice

    sd = import_sounddevice()
    try:
        sd.check_input_settings(device=device, channels=1, dtype="float32",
                                samplerate=preferred)
        return preferred
    except Exception:  # noqa: BLE001 - PortAudioError/ValueError from the host API
        info = sd.query_devices(device, kind="input")
        return int(info["default_samplerate"])


class LiveMic:
    """Owns the input stream, the ring buffer and the listener worker."""

    def __init__(self, listener: Any, device: int | None, rate: int, clock: Callable[[], float],
                 out: queue.Queue[Any], report: Callable[[bool, str], None]) -> None:
        self.listener = listener
        self.device = device
        self.rate = rate
        self.clock = clock
        """Player stream time: where a newly opened stream starts on the shared clock."""
        self.out = out
        self.overflows = 0
        self.listener_errors = 0
        self.watch = Watched("microphone", self.open, self.close, report)
        self._stream: Any = None
        self._ring: deque[tuple[np.ndarray, float]] = deque(
            maxlen=max(1, round(RING_SECONDS / BLOCK_SECONDS)))
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._samples = 0
        self._t0 = 0.0
        self._mode: tuple[str, Mapping[str, Sequence[str]] | None] | None = None
        self._stall = StallDetector()
        self._running = True
        self._worker = threading.Thread(target=self._work, name="listener", daemon=True)
        self._worker.start()

    # --- daemon thread -------------------------------------------------------------------

    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        with self._lock:
            self._mode = (mode, choices)
        self._ready.set()

    def open(self) -> None:
        from voice_coach.speech.device import import_sounddevice

        sd = import_sounddevice()
        stream = sd.InputStream(samplerate=self.rate, blocksize=round(self.rate * BLOCK_SECONDS),
                                device=self.device, channels=1, dtype="float32",
                                callback=self._callback)
        with self._lock:
            self._samples, self._t0 = 0, self.clock()
        stream.start()
        self._stream = stream
        self._stall.reset(time.monotonic())

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def check(self, now: float) -> None:
        """Notice a stream that stopped; retry a lost one when due."""
        stream = self._stream
        if stream is not None:
            with self._lock:
                samples = self._samples
            if not getattr(stream, "active", True) or self._stall.stalled(samples,
                                                                          time.monotonic()):
                self.watch.failed(now, "microphone stream stopped delivering audio")
        self.watch.poll(now)

    def shutdown(self) -> None:
        self._running = False
        self._ready.set()
        try:
            self.close()
        except Exception as error:  # noqa: BLE001 - a vanished device may fail to close
            log.debug("closing the microphone failed: %s", error)
        self._worker.join(timeout=2.0)

    # --- PortAudio thread ----------------------------------------------------------------

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        with self._lock:
            start = self._t0 + self._samples / self.rate
            self._samples += frames
            if len(self._ring) == self._ring.maxlen:
                self.overflows += 1
                if self.overflows in (1, 10, 100) or self.overflows % 1000 == 0:
                    log.warning("microphone ring buffer full: %d blocks dropped so far",
                                self.overflows)
            self._ring.append((indata[:, 0].copy(), start))
        self._ready.set()

    # --- worker thread -------------------------------------------------------------------

    def _work(self) -> None:
        while self._running:
            self._ready.wait(0.5)
            self._ready.clear()
            while self._running:
                with self._lock:
                    mode, self._mode = self._mode, None
                    item = self._ring.popleft() if self._ring else None
                if mode is not None:
                    self.listener.set_mode(*mode)
                if item is None:
                    break
                try:
                    for heard in self.listener.process(*item):
                        self.out.put(heard)
                except Exception:  # noqa: BLE001 - one bad block must not end listening
                    self.listener_errors += 1
                    if self.listener_errors == 1:
                        log.exception("listener failed on a block; listening on")
