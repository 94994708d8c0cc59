"""Microphone levels for ``voice-coach mic-test``: the room between words, the user's speech
(what Silero VAD calls speech), peaks and clipping, and what to change.

Pure: blocks in, numbers out; the caller owns the microphone (or the WAV file).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_coach.audio import LISTEN_RATE as RATE

FRAME_S = 0.1
"""Frame of the live meter and of the room level, s."""
CLIP = 0.99
"""Sample magnitude counted as clipping."""
QUIET_PEAK_DBFS = -30.0
"""Speech peaking below this is too quiet for the recognizer at bed distance."""
LOUD_PEAK_DBFS = -3.0
"""Speech peaking above this leaves no room for a louder word: it will clip."""
MIN_SNR_DB = 15.0
"""Speech must stand this far above the room between words."""
SILENT_DBFS = -100.0


def dbfs(x: np.ndarray) -> float:
    if len(x) == 0:
        return SILENT_DBFS
    power = float(np.mean(np.square(x, dtype=np.float64)))
    return max(SILENT_DBFS, 10 * np.log10(power + 1e-20))


def peak_dbfs(x: np.ndarray) -> float:
    if len(x) == 0:
        return SILENT_DBFS
    return max(SILENT_DBFS, 20 * float(np.log10(float(np.max(np.abs(x))) + 1e-10)))


@dataclass(frozen=True)
class MicLevels:
    seconds: float
    """Audio measured, s."""
    room_dbfs: float
    """The room between words: RMS of the quietest tenth of 100 ms frames, dBFS."""
    speech_seconds: float
    """How much of it Silero VAD judged speech, s."""
    speech_dbfs: float | None
    """RMS over the speech, dBFS (None: no speech heard)."""
    speech_peak_dbfs: float | None
    """Highest sample within the speech, dBFS."""
    clipped: int
    """Samples at full scale."""

    @property
    def problems(self) -> list[str]:
        out = []
        if self.clipped:
            out.append(f"the microphone clipped ({self.clipped} samples at full scale): "
                       "lower its capture level")
        if self.speech_dbfs is None or self.speech_peak_dbfs is None:
            out.append("no speech heard: check the device, that the mic is not muted, and "
                       "raise its capture level")
            return out
        if self.speech_peak_dbfs < QUIET_PEAK_DBFS:
            out.append(f"your voice is quiet (peaks {self.speech_peak_dbfs:.0f} dBFS): raise "
                       "the capture level until it peaks around -12 dBFS")
        elif self.speech_peak_dbfs > LOUD_PEAK_DBFS and not self.clipped:
            out.append(f"your voice peaks at {self.speech_peak_dbfs:.0f} dBFS, close to "
                       "clipping: lower the capture level a little")
        apart = self.speech_dbfs - self.room_dbfs
        if apart < MIN_SNR_DB:
            out.append(f"the room is loud against your voice ({apart:.0f} dB apart): move "
                       "the mic closer or turn the fan down")
        return out


class MicMeter:
    """Collects 16 kHz blocks; ``now`` for a live meter, ``levels`` for the verdict."""

    def __init__(self) -> None:
        from voice_coach.listen.vad import Vad

        self._vad = Vad()
        self._blocks: list[np.ndarray] = []
        self._segments: list[tuple[float, float]] = []
        self._clipped = 0

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, np.float32)
        self._blocks.append(block)
        self._clipped += int(np.sum(np.abs(block) >= CLIP))
        self._segments += self._vad.process(block)

    @property
    def speaking(self) -> bool:
        return self._vad.in_speech

    def now(self) -> tuple[float, float]:
        """Level of the latest 100 ms and the peak of the latest second, dBFS."""
        return dbfs(self._tail(FRAME_S)), peak_dbfs(self._tail(1.0))

    def _tail(self, seconds: float) -> np.ndarray:
        want, parts = round(seconds * RATE), []
        for block in reversed(self._blocks):
            parts.append(block)
            want -= len(block)
            if want <= 0:
                break
        return np.concatenate(parts[::-1])[-round(seconds * RATE):] if parts else np.zeros(0)

    def levels(self) -> MicLevels:
        pcm = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        segments = self._segments + self._vad.flush()
        self._segments = segments
        speech = np.concatenate([pcm[int(a * RATE):int(b * RATE)] for a, b in segments]) \
            if segments else np.zeros(0, np.float32)
        frame = round(FRAME_S * RATE)
        frames = [dbfs(pcm[i:i + frame]) for i in range(0, len(pcm) - frame + 1, frame)]
        room = float(np.percentile(frames, 10)) if frames else dbfs(pcm)
        return MicLevels(
            seconds=len(pcm) / RATE, room_dbfs=room, speech_seconds=len(speech) / RATE,
            speech_dbfs=dbfs(speech) if len(speech) else None,
            speech_peak_dbfs=peak_dbfs(speech) if len(speech) else None,
            clipped=self._clipped)
