"""``voice-coach run`` on a real sound server, in real time, with a person in the room.

``LiveScene`` starts a private PulseAudio (soundserver.py), the person and the measurement
microphone at the speaker (live_room.py), and ``voice-coach run`` as a user starts it, with a
config that names the devices. The tests and bench/bench_live.py drive it: ``say`` a phrase,
``wait_for`` a log line, then read what the speaker played.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from soundserver import SoundServer, write_wav

from voice_coach import paths
from voice_coach.sim.speakers import UserVoices

HERE = Path(__file__).resolve().parent
RATE = 16000


@dataclass(frozen=True)
class Said:
    text: str
    start: float
    """When its first sample reached the room, PortAudio's clock (s)."""
    end: float
    """When its last sample did."""
    speech_end: float
    """When its last voiced sample did (the WAV's trailing silence left out)."""


class LiveScene:
    def __init__(self, folder: Path, *, voice: str = "festival:kal", echo_ms: int = 60,
                 drifting: bool = False, routine_dir: Path | None = None,
                 volume: float = 0.8, log_level: str = "INFO",
                 command: tuple[str, ...] = ("run",), server: str = "pulseaudio",
                 extra_config: str = "") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.log_level = log_level
        self.command = command
        """The sub-command and its arguments (``run``, or e.g. ``play ROUTINE``)."""
        self.voice = voice
        self.voices = UserVoices(paths.cache_dir() / "user-voices")
        self.server = SoundServer(folder / "server", echo_ms=echo_ms, drifting=drifting,
                                  kind=server)
        self.lines: list[tuple[float, str]] = []
        self.said: list[Said] = []
        config = folder / "config.toml"
        routines = f'routines_dir = "{routine_dir}"\n' if routine_dir else ""
        config.write_text('[audio]\ninput_device = "vc_mic"\noutput_device = "vc_speaker"\n'
                          f'[speech]\nvolume = {volume}\n[general]\n{routines}{extra_config}')
        self.config = config
        self.daemon: subprocess.Popen[str] | None = None
        self.room: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> LiveScene:
        self.server.start()
        env = self.server.env
        self.room = subprocess.Popen(
            [sys.executable, str(HERE / "live_room.py"), str(self.folder / "speaker")],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.room.stdout is not None
        assert json.loads(self.room.stdout.readline()).get("ready"), "room did not start"
        self.daemon = subprocess.Popen(
            [sys.executable, "-m", "voice_coach.cli", "--log-level", self.log_level,
             *self.command, "--config", str(self.config),
             *(["--state-dir", str(self.folder / "state")] if self.command[0] == "run" else [])],
            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __enter__(self) -> LiveScene:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read(self) -> None:
        assert self.daemon is not None and self.daemon.stderr is not None
        for line in self.daemon.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))

    @property
    def log(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def count(self, text: str) -> int:
        return sum(text in line for _, line in self.lines)

    def wait_for(self, pattern: str, seconds: float, after: int = 0) -> str | None:
        """The first log line from line ``after`` on that matches ``pattern`` (a regular
        expression), waiting up to ``seconds``; None when it did not come."""
        deadline = time.monotonic() + seconds
        regex = re.compile(pattern)
        while True:
            for _, line in self.lines[after:]:
                if regex.search(line):
                    return line
            if time.monotonic() > deadline or (self.daemon and self.daemon.poll() is not None):
                return None
            time.sleep(0.05)

    def say(self, text: str, voice: str | None = None) -> Said:
        """Speak ``text`` into the room (blocks while it plays)."""
        pcm = self.voices.say(text, voice or self.voice)
        name = re.sub(r"\W+", "_", f"{voice or self.voice}_{text}") + ".wav"
        wav = write_wav(self.folder / name, pcm, RATE)
        assert self.room is not None and self.room.stdin and self.room.stdout
        self.room.stdin.write(f"say {wav}\n")
        self.room.stdin.flush()
        times = json.loads(self.room.stdout.readline())
        voiced = np.flatnonzero(np.abs(pcm) > 10 ** (-40 / 20))
        tail = (len(pcm) - 1 - voiced[-1]) / RATE if len(voiced) else 0.0
        said = Said(text, times["start"], times["end"], times["end"] - tail)
        self.said.append(said)
        return said

    def clock(self) -> tuple[float, float]:
        """(PortAudio time, time.monotonic()) at one moment: maps this process's monotonic
        times onto the recordings' clock."""
        assert self.room is not None and self.room.stdin and self.room.stdout
        self.room.stdin.write("clock\n")
        self.room.stdin.flush()
        answer = json.loads(self.room.stdout.readline())
        return float(answer["pa"]), float(answer["monotonic"])

    def stop(self) -> int | None:
        """SIGTERM the daemon (as systemd would), stop the room and the server."""
        code = None
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                code = self.daemon.wait(30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
        elif self.daemon is not None:
            code = self.daemon.returncode
        if self._reader is not None:
            self._reader.join(5)
        if self.room is not None and self.room.poll() is None:
            assert self.room.stdin is not None
            self.room.stdin.write("quit\n")
            self.room.stdin.flush()
            try:
                self.room.wait(10)
            except subprocess.TimeoutExpired:
                self.room.kill()
        self.server.stop()
        return code

    def speaker(self) -> tuple[np.ndarray, float]:
        """What the speaker played (16 kHz) and the time of its first sample (after stop)."""
        pcm = np.load(self.folder / "speaker.npy")
        start = json.loads((self.folder / "speaker.json").read_text())["start"]
        return pcm, float(start)


def silent_from(pcm: np.ndarray, start: float, after: float, hold_s: float = 0.15,
                floor_db: float = -50.0) -> float | None:
    """The first time after ``after`` from which ``pcm`` (starting at ``start``) stays below
    ``floor_db`` for ``hold_s``: when the coach fell silent."""
    frame = RATE // 100
    first = max(0, int((after - start) * RATE) // frame)
    levels = [float(np.sqrt(np.mean(np.square(pcm[i * frame:(i + 1) * frame])) + 1e-12))
              for i in range(first, len(pcm) // frame)]
    quiet = np.array(levels) < 10 ** (floor_db / 20)
    need = int(hold_s * 100)
    for k in range(len(quiet) - need):
        if quiet[k:k + need].all():
            return start + (first + k) * frame / RATE
    return None


def heard_lines(log: str) -> list[str]:
    return re.findall(r"heard '([\w-]+)' \(", log)


