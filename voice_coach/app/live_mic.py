"""The microphone of ``run``: a DeviceSource feeding a ListenerThread, reopened when lost.

The listening itself is the same as ``detect`` and the tests use: ``listen.sources`` gives
timed blocks, ``listen.thread`` runs the Listener behind a ring buffer (overflows counted and
logged) and applies mode changes between blocks. This module adds what a bedside daemon
needs: each block is put on the Player's clock by when it was captured (the speaker's
PlaybackClock maps PortAudio's capture time onto what was playing then; the Listener
estimates the remaining acoustic delay), and a stream that fails or
stops delivering (USB mic pulled out) is reported as lost, closed, and reopened every few
seconds until it works again.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from voice_coach.app.devices_watch import StallDetector, Watched
from voice_coach.audio import BLOCK_SECONDS, LISTEN_RATE
from voice_coach.listen.sources import DeviceSource
from voice_coach.listen.thread import ListenerThread

log = logging.getLogger(__name__)

RING_SECONDS = 2.0
"""Audio the ring buffer holds while the Listener is busy, in seconds."""
"""Microphone block, s."""


def input_rate(device: int | None, preferred: int = LISTEN_RATE) -> int:
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
    """Owns the microphone source and the listener thread; ``device`` is the config value
    (name or index), resolved again at every reopen, since a replugged USB mic may come back
    under another index."""

    def __init__(self, listener: Any, device: str | int | None, rate: int,
                 clock: Callable[[], float], out: queue.Queue[Any],
                 report: Callable[[bool, str], None],
                 timing: Callable[[float], float | None] | None = None) -> None:
        self.device = device
        self.rate = rate
        self.clock = clock
        """Player stream time: where a newly opened stream starts on the shared clock."""
        self.timing = timing
        """PortAudio time -> Player stream time (the speaker's PlaybackClock)."""
        self.thread = ListenerThread(None, listener, out, capacity_s=RING_SECONDS, rate=rate,
                                     keep_going=True).start()
        self.watch = Watched("microphone", self.open, self.close, report)
        self._source: DeviceSource | None = None
        self._stall = StallDetector()

    @property
    def overflows(self) -> int:
        """Blocks lost: ring buffer overflows plus PortAudio input overflows."""
        source = self._source
        return self.thread.overflows + (source.status_errors if source is not None else 0)

    def set_mode(self, mode: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        self.thread.set_mode(mode, choices)

    def wait_until_listening(self, seconds: float) -> bool:
        """Wait (up to ``seconds``) until the stream delivers blocks to the listener."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            source = self._source
            if source is not None and source.delivering:
                return True
            time.sleep(0.02)
        return False

    def open(self) -> None:
        source = DeviceSource(self.device, self.rate, BLOCK_SECONDS, start_time=self.clock(),
                              timing=self.timing)
        self._source = source
        self.thread.replace_source(source)
        self._stall.reset(time.monotonic())

    def close(self) -> None:
        source, self._source = self._source, None
        self.thread.replace_source(None)
        if source is not None:
            source.close()

    def check(self, now: float) -> None:
        """Notice a stream that stopped; retry a lost one when due."""
        source = self._source
        if source is not None and (not source.active or self._stall.stalled(
                source.samples, time.monotonic())):
            self.watch.failed(now, "microphone stream stopped delivering audio")
        self.watch.poll(now)

    def shutdown(self) -> None:
        try:
            self.close()
        except Exception as error:  # noqa: BLE001 - a vanished device may fail to close
            log.debug("closing the microphone failed: %s", error)
        self.thread.stop()
        self.thread.join(timeout=2.0)
