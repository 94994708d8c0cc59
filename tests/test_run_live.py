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
from pathlib import Path

import numpy as np

from voice_coach import paths
from voice_coach.sim.speakers import UserVoices
from voice_coach.speech import Synthesizer, WavWriter

DATA = Path(__file__).parent / "data"


def user_wav(path: Path) -> None:
    """The user, as the microphone hears them: "hey coach" at 2 s, "lower back" at 6 s."""
    voices = UserVoices(paths.cache_dir() / "user-voices")
    mic = np.zeros(16000 * 20, np.float32)
    for at, text in ((2.0, "hey coach"), (6.0, "lower back")):
        pcm = voices.say(text, "festival:kal")
        start = int(at * 16000)
        mic[start:start + len(pcm)] += pcm
    with WavWriter(path, 16000) as wav:
        wav.write(mic)


def test_sigterm_mid_session_saves_closes_and_exits_0(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    shutil.copy(DATA / "fake_sounddevice.py", fake / "sounddevice.py")
    user_wav(tmp_path / "mic.wav")
    with Synthesizer() as synth:  # warm the shared cache so the timing does not drift
        for text in ("Which practice?", "Lower back and hip release. Let's begin.", "Welcome."):
            synth.synthesize(text)
    env = dict(os.environ, PYTHONPATH=f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               FAKE_SD_MIC=str(tmp_path / "mic.wav"))
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-m", "voice_coach.cli", "run", "--log-level", "INFO",
         "--state-dir", str(state)], env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip())
            if "session started: lower-back-hip" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(60), "\n".join(lines)
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, "\n".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(5)
    log = "\n".join(lines)
    assert "heard 'wake' (" in log and "heard 'lower-back-hip' (" in log
    assert "fake-sd: closed InputStream" in log and "fake-sd: closed OutputStream" in log
    progress = json.loads((state / "progress.json").read_text())
    assert progress["routine_id"] == "lower-back-hip" and not progress["finished"]
    history = [json.loads(line) for line in (state / "history.jsonl").read_text().splitlines()]
    assert [h["how"] for h in history] == ["interrupted"]
    assert "Traceback" not in log
