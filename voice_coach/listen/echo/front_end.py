"""The echo front end: a mic block and the reference of the same stretch in, the signals the
rest of the listener needs out, all on the "cleaned" clock (the mic delayed by AEC3's latency).

Two cancellers run side by side:
- WebRTC AEC3 (linear filter + residual suppressor) leaves almost no echo: utterances close
  (and, away from the coach's voice, open) on its output;
- the linear canceller (linear_aec.py) only subtracts the coach: the recognizer decodes its
  output, because AEC3's suppressor also takes 3-27 dB off a user talking over the coach,
  and over the coach's voice utterances open where it stands out (onset.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.accept.echo_gate import EnergyLog
from voice_coach.listen.echo.aec import LATENCY_SAMPLES, EchoCanceller
from voice_coach.listen.echo.linear_aec import LinearCanceller
from voice_coach.listen.echo.onset import onset_signal

log = logging.getLogger(__name__)

LINEAR_READY_UPDATES = 8
"""Room estimates (one per second of coach speech after the first 2 s) before the recognizer
switches from AEC3's output to the linear canceller's, which removes little until then.
Measured: bench/LISTENING.md."""


LINEAR_MIN_REMOVED_DB = 3.0
"""A linear canceller in use that takes less than this off the coach alone (10 ms frames where
AEC3's output is ECHO_ONLY_DB below the mic), over LINEAR_CHECK_S of them, has learned a room
that is no longer there (the echo path moved, e.g. a sound server settling its latency) and
is started afresh; a working one takes 15-25 dB off."""
ECHO_ONLY_DB = 30.0
"""How far below the mic AEC3's output must be for a frame to hold the coach alone."""
LINEAR_CHECK_S = 1.0
"""Seconds of coach-alone frames each check of the linear canceller covers."""
CHECK_FRAME = 160
"""Samples of the frames the check looks at (10 ms)."""


@dataclass(frozen=True)
class Cleaned:
    """One processed stretch, on the cleaned clock."""

    heard: np.ndarray
    """What the recognizer decodes (16 kHz float32)."""
    gate: np.ndarray
    """Where utterances close (AEC3's output), as long as ``heard``."""
    onset: np.ndarray
    """Where utterances open (onset.py: AEC3's output, or the linear output where it may
    hold a voice), as long as ``heard``."""


class EchoFrontEnd:
    """``process(mic, reference) -> Cleaned``; blocks must be whole 10 ms frames."""

    def __init__(self, aec: bool = True, linear: bool = True) -> None:
        self._aec = EchoCanceller(mode="auto") if aec else None
        self.latency = LATENCY_SAMPLES if aec else 0
        """Samples the cleaned clock lags the mic clock."""
        self._linear = LinearCanceller() if linear and aec else None
        self._hold_mic = np.zeros(self.latency, np.float32)
        self._hold_linear = np.zeros(self.latency, np.float32)
        self.heard_energy = EnergyLog()
        """Mic vs what the recognizer hears: the echo gate's evidence."""
        self.linear_restarts = 0
        """How often the linear canceller was found adding echo and started afresh."""
        self._check = np.zeros(3)  # samples, mic energy, linear energy of audible blocks

    def process(self, mic: np.ndarray, reference: np.ndarray) -> Cleaned:
        cleaned = self._aec.process(mic, reference) if self._aec is not None else mic
        aligned = self._delayed("_hold_mic", mic, len(cleaned))
        heard = onset = cleaned
        if self._linear is not None:
            linear = self._delayed("_hold_linear", self._linear.process(mic, reference),
                                   len(cleaned))
            if self._linear.updates >= LINEAR_READY_UPDATES:
                self._check_linear(aligned, linear, cleaned)
            if self._linear.updates >= LINEAR_READY_UPDATES:
                heard = linear
                onset = onset_signal(aligned, linear, cleaned)
        self.heard_energy.add(aligned, heard)
        return Cleaned(heard, cleaned, onset)

    def _check_linear(self, mic: np.ndarray, linear: np.ndarray, gate: np.ndarray) -> None:
        n = len(mic) // CHECK_FRAME * CHECK_FRAME
        energy = [np.sum(np.square(x[:n].reshape(-1, CHECK_FRAME), dtype=np.float64), axis=1)
                  for x in (mic, linear, gate)]
        alone = (energy[0] > 1e-6 * CHECK_FRAME) & (
            energy[2] < energy[0] * 10 ** (-ECHO_ONLY_DB / 10))
        if not np.any(alone):
            return
        self._check += (int(np.sum(alone)) * CHECK_FRAME, float(np.sum(energy[0][alone])),
                        float(np.sum(energy[1][alone])))
        if self._check[0] < LINEAR_CHECK_S * RATE:
            return
        _, mic_e, linear_e = self._check
        self._check[:] = 0
        if linear_e > mic_e * 10 ** (-LINEAR_MIN_REMOVED_DB / 10) and self._linear is not None:
            self._linear = LinearCanceller()
            self.linear_restarts += 1
            log.info("the linear echo canceller removed only %.1f dB of the coach; starting it "
                     "afresh", 10 * np.log10(mic_e / max(linear_e, 1e-20)))

    def _delayed(self, line_name: str, x: np.ndarray, n: int) -> np.ndarray:
        """``x`` moved onto the cleaned clock through the named delay line."""
        if not self.latency:
            return x
        line = np.concatenate([getattr(self, line_name), x])
        setattr(self, line_name, line[n:])
        return line[:n]
