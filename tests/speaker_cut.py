"""Run in a SoundServer's environment: the coach's Player plays a tone to ``vc_speaker``
through DeviceOutput while ``vc_speaker_monitor`` is recorded; ``player.stop()`` one second
in. Prints JSON: the output latency and how long the speaker went on sounding after the stop."""

from __future__ import annotations

import json
import time

import numpy as np
import sounddevice as sd

from voice_coach.speech.device import DeviceOutput
from voice_coach.speech.player import Player

RATE = 22050
MIC_RATE = 16000


def main() -> None:
    chunks: list[np.ndarray] = []
    first: list[float] = []

    def record(indata: np.ndarray, frames: int, time_info: object, status: object) -> None:
        if not first:
            first.append(float(getattr(time_info, "inputBufferAdcTime", 0.0)))
        chunks.append(indata[:, 0].copy())

    player = Player(RATE, 441)
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * RATE) / RATE)
    with sd.InputStream(device="vc_speaker_monitor", samplerate=MIC_RATE, channels=1,
                        dtype="float32", blocksize=160, latency=0.02, callback=record), \
            DeviceOutput(player, "vc_speaker") as output:
        player.play(1, tone.astype(np.float32))
        time.sleep(1.0)
        stopped = output._stream.time
        player.stop()
        time.sleep(0.8)
        latency, cuts = output.latency, output.cuts
    pcm = np.concatenate(chunks)
    frame = MIC_RATE // 100
    rms = np.sqrt(np.mean(pcm[:len(pcm) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    times = first[0] + np.arange(len(rms)) / 100
    loud = np.flatnonzero((times > stopped) & (rms > 0.01))
    print(json.dumps({"latency": latency, "cuts": cuts,
                      "sounding_after_stop": float(times[loud[-1]] - stopped) if len(loud)
                      else 0.0}))


if __name__ == "__main__":
    main()
