"""`voice-coach run` as a process, on a stand-in PortAudio (this machine has no sound card):
the live loop, threads, devices and signals are real; the stand-in sounddevice module plays a
WAV of the user as the microphone and drops what the speaker gets (tests/data/fake_sounddevice.py).
SIGTERM mid-session: progress saved, history closed, both streams closed, exit code 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voice_coach import paths
from voice_coach.core import replies
from voice_coach.sim.speakers import UserVoices
from voice_coach.speech import Synthesizer, WavWriter

DATA = Path(__file__).parent / "data"


def user_wav(path: Path, lines: tuple[tuple[float, str], ...]) -> None:
    """The user, as the microphone hears them: (seconds, text) lines."""
    voices = UserVoices(paths.cache_dir() / "user-voices")
    mic = np.zeros(16000 * 40, np.float32)
    for at, text in lines:
        pcm = voices.say(text, "festival:kal")
        start = int(at * 16000)
        mic[start:start + len(pcm)] += pcm
    with WavWriter(path, 16000) as wav:
        wav.write(mic)


class Daemon:
    """`voice-coach run` in a subprocess on the stand-in PortAudio; its log is collected."""

    started: list[Daemon] = []
    """Every daemon a test started (``_no_daemon_left`` kills what a failed test left)."""

    def __init__(self, tmp_path: Path, lines: tuple[tuple[float, str], ...], **env: str):
        fake = tmp_path / "fake"
        fake.mkdir()
        shutil.copy(DATA / "fake_sounddevice.py", fake / "sounddevice.py")
        user_wav(tmp_path / "mic.wav", lines)
        with Synthesizer() as synth:  # warm the shared cache so the timing does not drift
            for text in ("Which practice?", "Lower back and hip release. Let's begin.",
                         "Welcome.", replies.PAUSED):
                synth.synthesize(text)
        path = f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        self.state = tmp_path / "state"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voice_coach.cli", "run", "--log-level", "INFO",
             "--state-dir", str(self.state)],
            env=dict(os.environ, PYTHONPATH=path, FAKE_SD_MIC=str(tmp_path / "mic.wav"), **env),
            stderr=subprocess.PIPE, text=True)
        Daemon.started.append(self)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.log:
            assert time.monotonic() < deadline and self.process.poll() is None, self.log
            time.sleep(0.1)

    def terminate(self) -> int:
        try:
            self.process.send_signal(signal.SIGTERM)
            return self.process.wait(20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._reader.join(5)


@pytest.fixture(autouse=True)
def _no_daemon_left() -> Iterator[None]:
    yield
    while Daemon.started:
        daemon = Daemon.started.pop()
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(10)


def test_sigterm_mid_session_saves_closes_and_exits_0(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path, ((2.0, "hey coach"), (6.0, "lower back")))
    daemon.wait_for("session started: lower-back-hip", 60)
    time.sleep(1.0)
    assert daemon.terminate() == 0, daemon.log
    log, state = daemon.log, daemon.state
    assert "heard 'wake' (" in log and "heard 'lower-back-hip' (" in log
    assert "fake-sd: closed InputStream" in log and "fake-sd: closed OutputStream" in log
    progress = json.loads((state / "progress.json").read_text())
    assert progress["routine_id"] == "lower-back-hip" and not progress["finished"]
    history = [json.loads(line) for line in (state / "history.jsonl").read_text().splitlines()]
    assert [h["how"] for h in history] == ["interrupted"]
    assert f"stopped; progress saved in {state}" in log
    assert "Traceback" not in log


def test_sigterm_before_any_session_claims_no_save(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path, ())
    daemon.wait_for("ready: say 'hey coach'", 60)
    assert daemon.terminate() == 0, daemon.log
    assert "stopped; no session was played, nothing to save" in daemon.log
    assert "progress saved" not in daemon.log and not daemon.state.exists()


def test_unplugged_microphone_pauses_and_comes_back(tmp_path: Path) -> None:
    # Unplugged from 11 s to 14 s of the microphone's world clock; "resume" said at 24 s
    # (after the coach's announcements, which would otherwise talk over it).
    daemon = Daemon(tmp_path, ((1.5, "hey coach"), (5.0, "lower back"), (24.0, "resume")),
                    FAKE_SD_MIC_GONE="11:14")
    daemon.wait_for("microphone is back", 60)
    daemon.wait_for("heard 'resume'", 30)
    assert daemon.terminate() == 0, daemon.log
    log = daemon.log
    lost = log.index("microphone lost")
    assert "fake-sd: input device vanished" in log[:lost]
    assert "'state': 'paused'" in log[lost:]  # the loss paused the session
    assert "The microphone is not working" in log[lost:]
    assert "heard 'resume' (" in log and "-> playing" in log[log.index("heard 'resume'"):]
    assert "Traceback" not in log


def stream_time(log: str, text: str) -> float:
    """The coach's stream time on the first coach log line containing ``text``."""
    line = next(line for line in log.splitlines() if text in line and "coach:" in line)
    return float(line.split("coach:")[1].split()[0])


def test_unplugged_speaker_pauses_keeps_time_and_comes_back(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path, ((1.5, "hey coach"), (5.0, "lower back")),
                    FAKE_SD_OUT_GONE="11:13")
    daemon.wait_for("The speaker is back. Say resume when you are ready.", 60)
    assert daemon.terminate() == 0, daemon.log
    log = daemon.log
    lost = log.index("speaker lost")
    assert "fake-sd: output device vanished" in log[:lost]
    assert "'state': 'paused'" in log[lost:]
    assert "fake-sd: closed OutputStream" in log[lost:]
    assert log.count("fake-sd: open OutputStream") == 2  # reopened
    # The stream clock went on while the speaker was gone (the stand-in pulled the player).
    paused_at = stream_time(log, "'state': 'paused'")
    back_at = stream_time(log, "The speaker is back")
    assert back_at - paused_at > 1.5
    assert "Traceback" not in log
