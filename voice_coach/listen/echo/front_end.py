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
from collections import deque
from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.listen.accept.echo_gate import EnergyLog
from voice_coach.listen.echo.aec import LATENCY_SAMPLES, EchoCanceller
from voice_coach.listen.echo.delay_line import DelayLine
from voice_coach.listen.echo.linear_aec import LinearCanceller
from voice_coach.listen.echo.onset import onset_signal

log = logging.getLogger(__name__)

LINEAR_READY_UPDATES = 8
"""Room estimates (one per second of coach speech after the first 2 s) before the recognizer
switches from AEC3's output to the linear canceller's, which removes little until then.
Measured: bench/LISTENING.md."""


LINEAR_MIN_REMOVED_DB = 3.0
"""A linear canceller that takes less than this off the coach alone (10 ms frames where
AEC3's output is ECHO_ONLY_DB below the mic) is not trusted: the echo moved (a restarted
output stream, echo/align.py) and it subtracts the coach where the coach no longer is. The
recognizer then hears AEC3's output, which follows a moved echo by itself; a working linear
canceller takes 15-25 dB off."""
LINEAR_TRUST_DB = 10.0
"""What it must take off again before it is trusted again, dB."""
TRUST_SMOOTHING_S = 0.1
"""Time constant of the running energies that judgement is made on, s of coach-alone frames."""
LINEAR_RESTART_S = 4.0
"""Seconds of coach-alone frames of an untrusted linear canceller after which it is started
afresh: the room itself changed, and the reference moving will not bring it back."""
AUDIBLE_REFERENCE_RMS = 1e-3
"""A reference block quieter than this holds no coach to mistake."""
UNTRUSTED_MARGIN_S = 0.5
"""How long before the linear canceller lost trust the echo counts as moving already: it
loses trust only once its running energies show it (``untrusted_during``), s."""
ECHO_ONLY_DB = 30.0
"""How far below the mic AEC3's output must be for a frame to hold the coach alone."""
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
        self._hold_mic = DelayLine(self.latency)
        self._hold_linear = DelayLine(self.latency)
        self.heard_energy = EnergyLog()
        """Mic vs what the recognizer hears: the echo gate's evidence."""
        self.linear_restarts = 0
        """How often the linear canceller was found adding echo and started afresh."""
        self.linear_trusted = True
        """Whether the recognizer hears the linear canceller (once it is ready)."""
        self._energy = np.zeros(2)  # running mic and linear energy of coach-alone frames
        self._untrusted = 0  # coach-alone samples heard since the linear canceller lost trust
        self._at = 0  # cleaned samples produced so far
        self._spans: deque[list[int]] = deque(maxlen=20)  # cleaned-clock spans untrusted

    def process(self, mic: np.ndarray, reference: np.ndarray,
                stamped: np.ndarray | None = None) -> Cleaned:
        """``reference``: as the echo aligner keeps it (echo/align.py), for the linear
        canceller; ``stamped`` (default: the same): as the timestamps put it, for AEC3."""
        stamped = reference if stamped is None else stamped
        cleaned = self._aec.process(mic, stamped) if self._aec is not None else mic
        aligned = self._hold_mic(mic, len(cleaned))
        heard = onset = cleaned
        if self._linear is not None:
            linear = self._hold_linear(self._linear.process(mic, reference), len(cleaned))
            if self._linear.updates >= LINEAR_READY_UPDATES:
                self._check_linear(aligned, linear, cleaned)
            if self._linear.updates >= LINEAR_READY_UPDATES and self.linear_trusted:
                heard = linear
                onset = onset_signal(aligned, linear, cleaned)
        self.heard_energy.add(aligned, heard)
        self._mark(len(cleaned), reference)
        return Cleaned(heard, cleaned, onset)

    def _mark(self, n: int, reference: np.ndarray) -> None:
        """Count the stretch as untrusted where the coach was playing (in silence there is
        no echo to mistake)."""
        audible = np.mean(np.square(reference, dtype=np.float64)) > AUDIBLE_REFERENCE_RMS ** 2
        if not self.linear_trusted and audible:
            if self._spans and self._spans[-1][1] == self._at:
                self._spans[-1][1] += n
            else:
                self._spans.append([self._at, self._at + n])
        self._at += n

    def untrusted_during(self, start: int, end: int) -> bool:
        """Whether the linear canceller was not trusted (the echo had moved under it) at any
        time from ``start`` to ``end`` (cleaned-clock samples), or UNTRUSTED_MARGIN_S before."""
        margin = round(UNTRUSTED_MARGIN_S * RATE)
        return any(a - margin < end and start < b for a, b in self._spans)

    def _check_linear(self, mic: np.ndarray, linear: np.ndarray, gate: np.ndarray) -> None:
        n = len(mic) // CHECK_FRAME * CHECK_FRAME
        energy = [np.sum(np.square(x[:n].reshape(-1, CHECK_FRAME), dtype=np.float64), axis=1)
                  for x in (mic, linear, gate)]
        alone = (energy[0] > 1e-6 * CHECK_FRAME) & (
            energy[2] < energy[0] * 10 ** (-ECHO_ONLY_DB / 10))
        weight = CHECK_FRAME / (TRUST_SMOOTHING_S * RATE)
        for mic_e, linear_e in zip(energy[0][alone], energy[1][alone], strict=True):
            self._energy += weight * (np.array([mic_e, linear_e]) - self._energy)
        if not np.any(alone):
            return
        removed = 10 * np.log10(self._energy[0] / max(self._energy[1], 1e-20))
        if self.linear_trusted and removed < LINEAR_MIN_REMOVED_DB:
            self.linear_trusted = False
            log.info("the linear echo canceller removes %.1f dB of the coach: not trusted",
                     removed)
        elif not self.linear_trusted and removed >= LINEAR_TRUST_DB:
            self.linear_trusted, self._untrusted = True, 0
            log.debug("the linear echo canceller removes %.1f dB again: trusted", removed)
        if self.linear_trusted:
            return
        self._untrusted += int(np.sum(alone)) * CHECK_FRAME
        if self._untrusted >= LINEAR_RESTART_S * RATE and self._linear is not None:
            self._linear = LinearCanceller()
            self.linear_restarts += 1
            self.linear_trusted, self._untrusted = True, 0
            self._energy[:] = 0
            log.info("the linear echo canceller removed only %.1f dB of the coach for %.0f s; "
                     "starting it afresh", removed, LINEAR_RESTART_S)
