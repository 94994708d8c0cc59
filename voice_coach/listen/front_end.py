"""The echo front end: a mic block and the reference of the same stretch in, the signals the
rest of the listener needs out, all on the "cleaned" clock (the mic delayed by AEC3's latency).

Two cancellers run side by side:
- WebRTC AEC3 (linear filter + residual suppressor) leaves almost no echo: utterances open
  and close on its output, and the voice-over-echo detector reads its energies;
- the linear canceller (linear_aec.py) only subtracts the coach: the recognizer decodes its
  output, because AEC3's suppressor also takes 3-27 dB off a user talking over the coach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_coach.listen.aec import LATENCY_SAMPLES, EchoCanceller
from voice_coach.listen.echo_gate import FRAME, EnergyLog
from voice_coach.listen.linear_aec import LinearCanceller
from voice_coach.listen.voice_detect import VoiceOverEcho

LINEAR_READY_UPDATES = 3
"""Room estimates (one per second of coach speech after the first 2 s) before the recognizer
switches from AEC3's output to the linear canceller's: until then it removes little."""

RESIDUAL_GATE_MARGIN = 10 ** (3 / 10)
"""AEC3 output this far over its noise floor (power ratio, 3 dB) means someone besides the
coach may be talking: the linear output passes at full level."""
RESIDUAL_GATE_HOLD = 8
"""Frames (80 ms) the gate stays open after the last such frame."""
RESIDUAL_GATE_GAIN = 0.1
"""Gain on the linear output while the gate is closed (-20 dB). Measured trade: a 6 dB
margin loses 4 % of commands said over the coach; 0 dB lets the start of the coach's next
sentence run into a command said just before it ("stop the") one time in three."""


@dataclass(frozen=True)
class Cleaned:
    """One processed stretch, on the cleaned clock."""

    heard: np.ndarray
    """What the recognizer decodes (16 kHz float32)."""
    gate: np.ndarray
    """Where utterances open and close (AEC3's output), as long as ``heard``."""
    voice: bool | None
    """True / False when a voice over the echo started / ended in this stretch, else None."""


class EchoFrontEnd:
    """``process(mic, reference) -> Cleaned``; blocks must be whole 10 ms frames."""

    def __init__(self, aec: bool = True, linear: bool = True) -> None:
        self._aec = EchoCanceller(mode="auto") if aec else None
        self.latency = LATENCY_SAMPLES if aec else 0
        """Samples the cleaned clock lags the mic clock."""
        self._linear = LinearCanceller() if linear and aec else None
        self._hold_mic = np.zeros(self.latency, np.float32)
        self._hold_linear = np.zeros(self.latency, np.float32)
        self.energy = EnergyLog()
        """Mic vs AEC3 output: voice over the echo."""
        self.heard_energy = EnergyLog()
        """Mic vs what the recognizer hears: the echo gate's evidence."""
        self.voice = VoiceOverEcho()
        """Near-end voice over the echo (the ducking trigger)."""
        self._open = 0  # frames the residual gate stays open
        self._gain = 1.0

    def process(self, mic: np.ndarray, reference: np.ndarray) -> Cleaned:
        cleaned = self._aec.process(mic, reference) if self._aec is not None else mic
        aligned = self._delayed("_hold_mic", mic, len(cleaned))
        mic_e, clean_e = self.energy.add(aligned, cleaned)
        change = self.voice.update(mic_e, clean_e)
        heard = cleaned
        if self._linear is not None:
            linear = self._delayed("_hold_linear", self._linear.process(mic, reference),
                                   len(cleaned))
            if self._linear.updates >= LINEAR_READY_UPDATES:
                heard = linear * self._gains(clean_e)
        self.heard_energy.add(aligned, heard)
        return Cleaned(heard, cleaned, change)

    def _gains(self, clean_e: np.ndarray) -> np.ndarray:
        # The linear canceller leaves the coach's words 15-25 dB down, enough to be decoded
        # as extra words when they run into a command; AEC3's output says whether anyone
        # but the coach is there, frame by frame, and without anyone the residual is dimmed.
        out = np.empty(len(clean_e) * FRAME, np.float32)
        for i, c in enumerate(clean_e.tolist()):
            if c > self.voice.noise * RESIDUAL_GATE_MARGIN:
                self._open = RESIDUAL_GATE_HOLD
            target = 1.0 if self._open > 0 else RESIDUAL_GATE_GAIN
            self._open -= 1
            # a 10 ms ramp, so the recognizer hears no click
            out[i * FRAME:(i + 1) * FRAME] = np.linspace(self._gain, target, FRAME,
                                                         endpoint=False)
            self._gain = target
        return out

    def _delayed(self, line_name: str, x: np.ndarray, n: int) -> np.ndarray:
        """``x`` moved onto the cleaned clock through the named delay line."""
        if not self.latency:
            return x
        line = np.concatenate([getattr(self, line_name), x])
        setattr(self, line_name, line[n:])
        return line[:n]
