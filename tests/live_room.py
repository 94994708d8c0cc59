"""The bedroom's other side, run as a process in a SoundServer's environment: plays a
person's speech into the room and records what the coach's speaker played, both timed on
PortAudio's clock, so the time from the end of a spoken command to the coach falling silent
is measured on the real stack.

One request per line on stdin, one JSON answer per line on stdout. ``say PATH`` plays a
16 kHz mono WAV into the room and answers ``{"start": t, "end": t}`` once it has been played
(the times its first and last samples reached the room). ``clock`` answers
``{"pa": t, "monotonic": m}``: PortAudio's time and ``time.monotonic()`` at one moment, to place
events timed by other processes on the recordings. ``quit`` writes the speaker
recording to ``OUT.npy`` (float32, 16 kHz) and the time of its first sample to ``OUT.json``,
and the microphone's (what the room heard) likewise to ``OUT-mic.npy`` / ``OUT-mic.json``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import sounddevice as sd

RATE = 16000
BLOCK = 160


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as wav:
        assert wav.getframerate() == RATE and wav.getnchannels() == 1, path
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768


class Voice:
    """The person: one utterance at a time into the room's output stream."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pcm: np.ndarray | None = None
        self.pos = 0
        self.start = self.end = 0.0
        self.done = threading.Event()

    def say(self, pcm: np.ndarray) -> dict[str, float]:
        with self.lock:
            self.pcm, self.pos, self.start = pcm, 0, 0.0
            self.done.clear()
        self.done.wait(timeout=len(pcm) / RATE + 10)
        return {"start": self.start, "end": self.end}

    def callback(self, outdata: np.ndarray, frames: int, time_info: object,
                 status: object) -> None:
        outdata.fill(0)
        dac = float(getattr(time_info, "outputBufferDacTime", 0.0))
        with self.lock:
            pcm = self.pcm
            if pcm is None:
                return
            if self.pos == 0:
                self.start = dac
            take = min(frames, len(pcm) - self.pos)
            outdata[:take, 0] = pcm[self.pos:self.pos + take]
            self.pos += take
            if self.pos >= len(pcm):
                self.end = dac + take / RATE
                self.pcm = None
                self.done.set()


class Recorder:
    """An input stream's audio and the capture time of its first sample."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.first = 0.0

    def callback(self, indata: np.ndarray, frames: int, time_info: object,
                 status: object) -> None:
        if not self.chunks:
            self.first = float(getattr(time_info, "inputBufferAdcTime", 0.0))
        self.chunks.append(indata[:, 0].copy())

    def save(self, out: Path) -> None:
        np.save(out.with_suffix(".npy"),
                np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32))
        out.with_suffix(".json").write_text(json.dumps({"start": self.first}))


def main(out: Path) -> None:
    voice = Voice()
    speaker, mic = Recorder(), Recorder()

    # The person's stream is timed by its DAC times, so a deep buffer costs no accuracy and
    # keeps their voice whole when the machine is busy (an underrun restarts the stream).
    with sd.OutputStream(device="vc_room", samplerate=RATE, channels=1, dtype="float32",
                         blocksize=BLOCK, latency=0.15, callback=voice.callback) as room, \
            sd.InputStream(device="vc_speaker_monitor", samplerate=RATE, channels=1,
                           dtype="float32", blocksize=BLOCK, latency=0.02,
                           callback=speaker.callback), \
            sd.InputStream(device="vc_mic", samplerate=RATE, channels=1, dtype="float32",
                           blocksize=BLOCK, latency=0.02, callback=mic.callback):
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            words = line.split(maxsplit=1)
            if not words or words[0] == "quit":
                break
            if words[0] == "clock":
                print(json.dumps({"pa": room.time, "monotonic": time.monotonic()}), flush=True)
            if words[0] == "say":
                print(json.dumps(voice.say(read_wav(words[1].strip()))), flush=True)
    speaker.save(out)
    mic.save(out.with_name(out.name + "-mic"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
