"""Ducking: lower the coach while the listener hears someone talk over it.

Wire it as ``VoiceTap(listener, Ducker(player).voice)``. The coach drops by ``gain`` (20 dB)
within one block of the voice starting, so the rest of a command reaches the recognizer with
less echo. Not wired into the daemon: since the recognizer hears the linear canceller's
output, ducking no longer pays off (bench/bench_listen.py: 76.6 % of commands with it, 77.7 %
without), while the coach alone is still ducked now and then (150 times an hour, 2.8 % of the
time), which a listener in bed would hear as the coach fading in and out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np
from voice_detect import VoiceOverEcho

from voice_coach.listen.accept.echo_gate import EnergyLog
from voice_coach.listen.listener import Listener

DUCK_GAIN = 0.1
"""Volume multiplier while ducked (-20 dB)."""


class Volume(Protocol):
    """The Player's volume control."""

    @property
    def volume(self) -> float: ...

    def set_volume(self, volume: float) -> None: ...


class Ducker:
    """Ducks a Player while a voice is heard; restores the volume unless it was changed."""

    def __init__(self, player: Volume, gain: float = DUCK_GAIN) -> None:
        self.player = player
        self.gain = gain
        """Volume multiplier while ducked."""
        self.ducks = 0
        """How many times it ducked (for logs and benchmarks)."""
        self._lock = threading.Lock()
        self._saved: float | None = None  # volume before ducking
        self._ducked: float | None = None  # volume we set

    def voice(self, active: bool) -> None:
        """The listener's ``on_voice`` callback (any thread)."""
        with self._lock:
            if active and self._saved is None:
                self._saved = self.player.volume
                self._ducked = self._saved * self.gain
                self.player.set_volume(self._ducked)
                self.ducks += 1
            elif not active and self._saved is not None:
                # A volume command while ducked ("louder") wins over our restore.
                if abs(self.player.volume - (self._ducked or 0.0)) < 1e-6:
                    self.player.set_volume(self._saved)
                self._saved = self._ducked = None


class VoiceTap:
    """Calls ``on_voice(True/False)`` when a voice over the coach's echo starts / ends, read
    from the listener's front end (mic vs AEC3's output); the product does not need it."""

    def __init__(self, listener: Listener, on_voice: Callable[[bool], None]) -> None:
        front = listener._front
        self._latency = front.latency
        self._hold = np.zeros(front.latency, np.float32)
        self._energy = EnergyLog()
        self._voice = VoiceOverEcho()
        process = front.process

        def tapped(mic: np.ndarray, reference: np.ndarray):  # type: ignore[no-untyped-def]
            out = process(mic, reference)
            change = self._voice.update(*self._energy.add(self._aligned(mic, len(out.gate)),
                                                          out.gate))
            if change is not None:
                on_voice(change)
            return out

        front.process = tapped  # type: ignore[method-assign]

    def _aligned(self, mic: np.ndarray, n: int) -> np.ndarray:
        """``mic`` on the front end's cleaned clock (AEC3's latency later)."""
        if not self._latency:
            return mic
        line = np.concatenate([self._hold, mic])
        self._hold = line[n:]
        return line[:n]
