"""Audio sources for the listener: a WAV file (tests, ``detect``) or a microphone.

A source yields ``(block, start_time)`` pairs: float32 mono blocks at ``rate`` and their
stream time in seconds. ``read`` returns None at the end of a file; a microphone blocks until
its next block arrives.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice_coach.audio import BLOCK_SECONDS, LISTEN_RATE
from voice_coach.errors import UserError
from voice_coach.speech.clock import EarliestOffset
from voice_coach.speech.wav import read_wav


class AudioSource(Protocol):
    rate: int
    """Sample rate of the blocks, Hz."""

    def read(self, timeout: float | None = None) -> tuple[np.ndarray, float] | None:
        """The next block and its start time; None at the end (or after ``timeout``)."""
        ...

    def close(self) -> None: ...


class WavSource:
    """Blocks of a WAV file on the file's own clock (as fast as they are read)."""

    finite = True
    """The source ends (``read`` returning None means the end, not a timeout)."""

    def __init__(self, path: Path, block_s: float = BLOCK_SECONDS) -> None:
        self.path = Path(path)
        self.pcm, self.rate = read_wav(self.path)
        self.block = max(1, round(block_s * self.rate))
        """Samples per block."""
        self._pos = 0

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.rate

    def read(self, timeout: float | None = None) -> tuple[np.ndarray, float] | None:
        if self._pos >= len(self.pcm):
            return None
        block = self.pcm[self._pos:self._pos + self.block]
        start = self._pos / self.rate
        self._pos += len(block)
        return block, start

    def close(self) -> None:
        self._pos = len(self.pcm)


INPUT_LATENCY_S = 0.2
"""Capture buffer the sound server may fill before the callback runs, s: blocks are timed by
their capture time, so a deep buffer costs no accuracy, and it rides out a busy machine
(PortAudio's default "low" overflowed when the process was not scheduled for 0.1 s)."""
CLOCK_WAIT_S = 2.0
"""How long a new microphone stream waits for its timing to answer before it starts
delivering blocks anyway (timed by their samples), s."""


class DeviceSource:
    """A microphone through a sounddevice InputStream; blocks timed on the stream's clock.

    The PortAudio callback only copies the block into a queue (never blocks, never drops:
    the listener thread's ring buffer absorbs slow recognition).
    """

    finite = False
    """``read`` returning None means a timeout, not the end."""

    def __init__(self, device: str | int | None = None, rate: int = LISTEN_RATE,
                 block_s: float = BLOCK_SECONDS, start_time: float = 0.0,
                 timing: Callable[[float], float | None] | None = None) -> None:
        from voice_coach.audio_devices import resolve_device
        from voice_coach.speech.device import import_sounddevice

        sd = import_sounddevice()
        index = resolve_device(device, "input")
        self.rate = rate
        self.block = round(block_s * rate)
        self.start_time = start_time
        """Caller's clock at the first sample (e.g. the Player's stream time at opening)."""
        self.timing = timing
        """Caller's clock at a time on PortAudio's clock (e.g. PlaybackClock.stream_time_at):
        blocks are timed by when they were captured; without it (or while it answers None)
        they follow on from the previous block, sample by sample."""
        self._next: float = start_time
        self._timed = timing is None  # whether blocks are being delivered yet
        self._opened = time.monotonic()
        self._offset = EarliestOffset()
        self._queue: queue.SimpleQueue[tuple[np.ndarray, float]] = queue.SimpleQueue()
        self._samples = 0
        self.status_errors = 0
        """Callbacks that reported an input overflow or other PortAudio status."""
        try:
            self._stream: Any = sd.InputStream(
                device=index, samplerate=rate, channels=1, dtype="float32",
                blocksize=self.block, latency=INPUT_LATENCY_S, callback=self._callback)
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudio raises many kinds of errors
            name = "the default input" if device is None else f"input_device = {device!r}"
            raise UserError(f"cannot open {name} at {rate} Hz: {exc} (see `voice-coach "
                            f"devices`)") from None

    @property
    def samples(self) -> int:
        """Samples delivered so far (a stream that stops advancing has stalled)."""
        return self._samples

    @property
    def delivering(self) -> bool:
        """True once blocks go to the listener (the stream's timing has settled)."""
        return self._timed

    @property
    def active(self) -> bool:
        """False once PortAudio has stopped the stream (device gone)."""
        return bool(getattr(self._stream, "active", True))

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status:
            self.status_errors += 1
        self._samples += frames
        start = self._next
        adc = float(getattr(time_info, "inputBufferAdcTime", 0.0) or 0.0)
        captured = None
        if status:  # samples lost: the count no longer lines up with the capture times
            self._offset = EarliestOffset()
        if self.timing is not None and adc > 0:
            counted = (self._samples - frames) / self.rate
            offset = self._offset.update(adc - counted)
            if offset is not None:
                captured = self.timing(counted + offset)
        if captured is not None:
            start, self._timed = captured, True
        elif not self._timed and adc > 0 and time.monotonic() - self._opened < CLOCK_WAIT_S:
            return  # no block the listener would misplace (streams without times: none)
        self._timed = True
        self._queue.put((indata[:, 0].copy(), start))
        self._next = start + frames / self.rate

    def read(self, timeout: float | None = None) -> tuple[np.ndarray, float] | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # noqa: BLE001, S110 - a vanished device may fail to close
            pass
