"""The mixing and queueing logic behind every audio output: device, WAV file or test.

The Player owns the stream clock: ``read_block()`` is called once per audio block by whatever
drives the output (a sound-card callback, or a render loop on a virtual clock), and every
block it hands out is also given to the taps with its start time, as the echo reference.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

Tap = Callable[[np.ndarray, float], None]

RAMP_S = 0.02
"""Time a volume change from 0 to 1 takes, in seconds; smaller changes take less."""
STOP_FADE_S = 0.005
"""Length of the fade-out that ends an utterance cut short by stop(), in seconds."""


@dataclass
class _Utterance:
    utterance_id: int | None
    """Id reported to on_done; None for the fade-out tail of a stopped utterance."""
    pcm: np.ndarray
    """Mono float32 samples."""
    position: int = 0
    """Samples already emitted."""


class Player:
    """Plays utterances one after another in blocks of exactly ``block_size`` samples."""

    def __init__(self, sample_rate: int, block_size: int, volume: float = 1.0) -> None:
        if sample_rate <= 0 or block_size <= 0:
            raise ValueError("sample_rate and block_size must be positive")
        self.sample_rate = sample_rate
        self.block_size = block_size
        self.on_done: Callable[[int], None] | None = None
        self.on_stop: Callable[[], None] | None = None
        """Called by ``stop()`` (on its thread, outside the lock): a sound card then drops
        what it still holds (DeviceOutput.cut)."""
        self.samples_emitted = 0
        self._queue: deque[_Utterance] = deque()
        self._taps: list[Tap] = []
        self._gain = float(np.clip(volume, 0.0, 1.0))
        self._target = self._gain
        self._step = 1.0 / max(1.0, RAMP_S * sample_rate)
        self._fade = max(1, int(STOP_FADE_S * sample_rate))
        self._lock = threading.Lock()

    @property
    def time(self) -> float:
        """Stream time in seconds: samples handed out so far / sample rate."""
        return self.samples_emitted / self.sample_rate

    @property
    def volume(self) -> float:
        """The volume being ramped towards (0..1)."""
        return self._target

    @property
    def is_idle(self) -> bool:
        """True when nothing is queued or playing (the next block will be silence)."""
        with self._lock:
            return not self._queue

    def add_tap(self, fn: Tap) -> None:
        """Call ``fn(block, start_time)`` with every block as played (after volume)."""
        with self._lock:
            self._taps.append(fn)

    def remove_tap(self, fn: Tap) -> None:
        with self._lock:
            self._taps.remove(fn)

    def play(self, utterance_id: int, pcm: np.ndarray) -> None:
        """Queue an utterance after whatever is already queued."""
        samples = np.asarray(pcm, dtype=np.float32).reshape(-1)
        with self._lock:
            self._queue.append(_Utterance(utterance_id, samples))

    def stop(self) -> None:
        """Drop everything queued; the playing utterance fades out in the next block.

        Dropped utterances never get on_done. Utterances queued after this call play.
        """
        with self._lock:
            self._fade_out()
            on_stop = self.on_stop
        # Also when the queue was empty: the card may still hold the end of the last one.
        if on_stop is not None:
            on_stop()

    def _fade_out(self) -> None:
        current = self._queue[0] if self._queue else None
        self._queue.clear()
        if current is None or current.position == 0:
            return
        if current.utterance_id is None:  # already fading out after an earlier stop
            self._queue.append(current)
            return
        tail = current.pcm[current.position:current.position + self._fade]
        ramp = np.linspace(1.0, 0.0, len(tail) + 1, dtype=np.float32)[1:]
        self._queue.append(_Utterance(None, tail * ramp))

    def set_volume(self, volume: float) -> None:
        """Ramp towards ``volume`` (clipped to 0..1) over at most RAMP_S seconds."""
        with self._lock:
            self._target = float(np.clip(volume, 0.0, 1.0))

    def read_block(self) -> np.ndarray:
        """The next ``block_size`` samples; advances the clock and calls taps and on_done."""
        n = self.block_size
        out = np.zeros(n, dtype=np.float32)
        done: list[int] = []
        with self._lock:
            filled = 0
            while filled < n and self._queue:
                utt = self._queue[0]
                take = min(n - filled, len(utt.pcm) - utt.position)
                out[filled:filled + take] = utt.pcm[utt.position:utt.position + take]
                utt.position += take
                filled += take
                if utt.position >= len(utt.pcm):
                    self._queue.popleft()
                    if utt.utterance_id is not None:
                        done.append(utt.utterance_id)
            out *= self._gains(n)
            start = self.samples_emitted / self.sample_rate
            self.samples_emitted += n
            taps = list(self._taps)
        played = out.view()
        played.setflags(write=False)
        for tap in taps:
            try:
                tap(played, start)
            except Exception:  # noqa: BLE001 - one broken listener must not stall playback
                log.exception("audio tap %r failed", tap)
        if self.on_done is not None:
            for utterance_id in done:
                self.on_done(utterance_id)
        return out

    def _gains(self, n: int) -> np.ndarray | float:
        if self._gain == self._target:
            return self._gain
        direction = 1.0 if self._target > self._gain else -1.0
        ramp = self._gain + direction * self._step * np.arange(1, n + 1, dtype=np.float64)
        ramp = np.minimum(ramp, self._target) if direction > 0 else np.maximum(ramp, self._target)
        self._gain = float(ramp[-1])
        return ramp.astype(np.float32)
