"""Acoustic echo cancellation with WebRTC AEC3 (livekit's AudioProcessingModule).

AEC3 wants 10 ms int16 frames at 16 kHz: the reference ("reverse stream", what the speaker
played) first, then the mic frame recorded at the same time, which it cleans in place. It finds
the speaker-to-mic delay by itself (up to a few hundred ms); ``mode`` chooses whether we also
help it: "hint" passes our delay estimate as the stream delay, "align" delays the reference
ourselves so AEC3 sees echo at lag ~0, "auto" leaves it alone. bench/bench_echo.py compares them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE

FRAME = 160
"""Samples per AEC3 frame (10 ms at 16 kHz)."""
"""Sample rate the canceller runs at, in Hz."""
LATENCY_SAMPLES = 128
"""AEC3 delays the mic signal by this much (8 ms, its 64-sample block framing): cleaned sample
``k`` is mic sample ``k - LATENCY_SAMPLES``. Measured; tests/test_echo.py checks it."""

ALIGN_HEADROOM_S = 0.010
"""Delay left to AEC3 in "align" mode: with the echo at lag 0 exactly, AEC3 loses the echo
(ERLE fell to 8 dB after 30 s here) because resampler and room filters ring slightly ahead."""

Mode = Literal["auto", "hint", "align"]


def _to_int16_bytes(x: np.ndarray) -> bytearray:
    return bytearray((np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes())


class EchoCanceller:
    """Streaming echo canceller: ``process(mic, ref) -> cleaned`` at 16 kHz float32.

    Blocks of any length are accepted; output comes in whole 10 ms frames, so the total output
    is ``floor(total input / 160) * 160`` samples and up to 159 samples wait for the next call
    (none when blocks are multiples of 10 ms, e.g. 20 ms). The cleaned stream lags the mic
    by ``LATENCY_SAMPLES``: subtract ``LATENCY_SAMPLES / RATE`` from times measured on it.
    """

    def __init__(
        self,
        mode: Mode = "auto",
        delay_s: float = 0.0,
        noise_suppression: bool = False,
        high_pass: bool = False,
    ) -> None:
        from livekit import rtc

        self._rtc = rtc
        self._apm: Any = rtc.AudioProcessingModule(
            echo_cancellation=True,
            noise_suppression=noise_suppression,
            high_pass_filter=high_pass,
        )
        self.mode: Mode = mode
        """How the delay estimate is used: "auto", "hint" or "align"."""
        self.delay_s = 0.0
        """Delay currently applied (align) or reported (hint), in seconds."""
        self._mic = np.zeros(0, np.float32)
        self._ref = np.zeros(0, np.float32)
        self._ref_line = np.zeros(0, np.float32)  # align mode: reference delay line
        self.set_delay(delay_s)

    def set_delay(self, delay_s: float) -> None:
        """Tell the canceller the estimated speaker-to-mic delay (ignored in "auto" mode)."""
        if self.mode == "align":
            new = max(0, round((delay_s - ALIGN_HEADROOM_S) * RATE))
            old = len(self._ref_line)
            if abs(new - old) < RATE * 0.004:  # AEC3 tracks small drifts itself; no jump
                return
            if new > old:
                self._ref_line = np.concatenate([np.zeros(new - old, np.float32), self._ref_line])
            else:
                self._ref_line = self._ref_line[old - new :]
        self.delay_s = max(0.0, delay_s)

    def process(self, mic_block: np.ndarray, ref_block: np.ndarray) -> np.ndarray:
        """Clean ``mic_block``; ``ref_block`` is what played over the same stream time."""
        if len(mic_block) != len(ref_block):
            raise ValueError("mic and reference blocks must have the same length")
        ref = np.asarray(ref_block, np.float32)
        if self.mode == "align" and len(self._ref_line):
            line = np.concatenate([self._ref_line, ref])
            ref, self._ref_line = line[: len(ref)], line[len(ref) :]
        self._mic = np.concatenate([self._mic, np.asarray(mic_block, np.float32)])
        self._ref = np.concatenate([self._ref, ref])
        count = len(self._mic) // FRAME
        out = np.empty(count * FRAME, np.float32)
        hint = round(self.delay_s * 1000) if self.mode == "hint" else 0
        for i in range(count):
            s = slice(i * FRAME, (i + 1) * FRAME)
            rev = self._rtc.AudioFrame(_to_int16_bytes(self._ref[s]), RATE, 1, FRAME)
            near = self._rtc.AudioFrame(_to_int16_bytes(self._mic[s]), RATE, 1, FRAME)
            self._apm.process_reverse_stream(rev)
            self._apm.set_stream_delay_ms(hint)
            self._apm.process_stream(near)
            out[s] = np.frombuffer(near.data, np.int16) / np.float32(32768.0)
        self._mic = self._mic[count * FRAME :]
        self._ref = self._ref[count * FRAME :]
        return out


def erle_db(mic_echo: np.ndarray, cleaned: np.ndarray) -> float:
    """Echo return loss enhancement in dB: power of the echo in over power left out."""
    n = min(len(mic_echo), len(cleaned))
    p_in = float(np.mean(np.asarray(mic_echo[:n], np.float64) ** 2))
    p_out = float(np.mean(np.asarray(cleaned[:n], np.float64) ** 2))
    return 10.0 * np.log10(max(p_in, 1e-20) / max(p_out, 1e-20))
