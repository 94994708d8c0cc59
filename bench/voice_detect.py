"""Voice beyond the echo estimate, from frame energies only: the trigger for ducking.

A 10 ms frame holds near-end voice when the echo-cancelled signal stands well above both the
noise floor and what the canceller usually leaves of the echo it removes. "Usually" is learned
per room: the residual-to-removed ratio of echo frames is tracked as a running upper quantile,
so a room where the canceller leaves more (long reverb, a distorting speaker) raises the bar,
and while the canceller is still converging (it removes little) nothing counts as voice. Costs
next to nothing, so it runs on every frame, unlike a neural VAD.
"""

from __future__ import annotations

import math

import numpy as np

NO_SIGNAL = 1e-12
"""Mean-square energy at or below which a frame is digital silence (int16 LSB is ~1e-9)."""


class VoiceOverEcho:
    """Streaming detector: ``update(mic_e, clean_e)`` -> True/False on a change, else None."""

    def __init__(self, echo_margin_db: float = 6.0, noise_margin_db: float = 12.0,
                 onset_frames: int = 3, release_frames: int = 30, quantile: float = 0.9,
                 step_db: float = 0.5, start_db: float = 10.0,
                 min_ratio_db: float = -15.0) -> None:
        self.echo_margin_db = echo_margin_db
        """How far above the learned residual ratio a voice frame must be, dB."""
        self.noise_margin = 10 ** (noise_margin_db / 10)
        """Cleaned energy over the noise floor a voice frame must exceed (power ratio)."""
        self.onset_frames = onset_frames
        """Voice frames among the last ``onset_frames + 1`` that start a voice period."""
        self.release_frames = release_frames
        """Frames without voice that end a voice period (30 = 0.3 s)."""
        self.quantile = quantile
        """Which quantile of echo frames' residual-to-removed ratio is tracked (0..1)."""
        self.step_db = step_db
        """Quantile tracker step per echo frame, dB (down by step*(1-q), up by step*q)."""
        self.min_ratio_db = min_ratio_db
        """A voice frame's residual-to-removed ratio is at least this, however clean the
        canceller, dB."""
        self.residual_db = start_db
        """Tracked quantile of echo frames' cleaned-over-removed energy, dB. Starts high: an
        unconverged canceller removes little, and that must not look like voice."""
        self.active = False
        """True during a voice period."""
        self.noise = 1e-7
        """Tracked noise floor of the cleaned signal (mean-square energy)."""
        self._settled = False  # the floor starts at the first real frame, not a guess
        self._recent: list[bool] = []
        self._quiet = 0

    def update(self, mic_e: np.ndarray, clean_e: np.ndarray) -> bool | None:
        change = None
        for m, c in zip(mic_e.tolist(), clean_e.tolist(), strict=True):
            if c <= NO_SIGNAL:
                # Exact digital silence (AEC3's start-up frames, a muted mic) says nothing
                # about the noise floor; tracking it down to 0 would make every frame "voice".
                continue
            voice = self._frame(m, c)
            self._recent = (self._recent + [voice])[-(self.onset_frames + 1):]
            if not self.active:
                if sum(self._recent) >= self.onset_frames:
                    self.active, self._quiet, change = True, 0, True
            else:
                self._quiet = 0 if voice else self._quiet + 1
                if self._quiet >= self.release_frames:
                    self.active, change = False, False
        return change

    def _frame(self, m: float, c: float) -> bool:
        if not self._settled:
            self.noise, self._settled = c, True
        # Minimum tracking: follow drops at once, rise ~1 dB/s, so speech never lifts it.
        self.noise = c if c < self.noise else self.noise * 1.0023
        loud = self.noise * self.noise_margin
        removed = max(m - c, 0.0)
        if removed <= loud:  # little echo: any clear sound is a voice
            return c > loud
        ratio_db = 10 * math.log10(c / removed)
        if not self.active:  # echo frame: learn what the canceller leaves
            up = ratio_db > self.residual_db
            self.residual_db += self.step_db * (self.quantile if up else self.quantile - 1)
        bar = max(self.residual_db + self.echo_margin_db, self.min_ratio_db)
        return c > loud and ratio_db > bar
