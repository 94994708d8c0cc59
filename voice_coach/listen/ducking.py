"""Ducking: lower the coach while the listener hears someone talk over it.

Wire it as ``listener.on_voice = Ducker(player).voice``. The coach drops by ``gain`` (20 dB)
within one block of the voice starting, so the rest of a command reaches the recognizer with
less echo. Not wired into the daemon: since the recognizer hears the linear canceller's
output, ducking no longer pays off (bench/bench_listen.py: 76.6 % of commands with it, 77.7 %
without), while the coach alone is still ducked now and then (150 times an hour, 2.8 % of the
time), which a listener in bed would hear as the coach fading in and out.
"""

from __future__ import annotations

import threading
from typing import Protocol

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
