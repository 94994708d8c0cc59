"""`voice-coach mic-test`: levels and verdicts on recordings of known level, and on a real
sound server with a person's speech played into the room."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from soundserver import SoundServer, write_wav

from voice_coach.sim.speakers import UserVoices

RATE = 16000


def mic_test(*args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli", "mic-test", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def recording(voices: UserVoices, gain_db: float, noise_dbfs: float = -60.0) -> np.ndarray:
    """1.5 s of room noise, "pause" by kal at ``gain_db`` over its peak of -12 dBFS, 1.5 s
    more noise."""
    speech = voices.say("pause", "festival:kal")
    speech = speech / np.max(np.abs(speech)) * 10 ** ((-12 + gain_db) / 20)
    pad = np.zeros(int(1.5 * RATE), np.float32)
    pcm = np.concatenate([pad, speech, pad])
    noise = np.random.default_rng(0).standard_normal(len(pcm)) * 10 ** (noise_dbfs / 20)
    return (pcm + noise).astype(np.float32)


def value(out: str, label: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith(label))
    return float(line.split()[1])


def test_levels_follow_the_recording_and_the_command_is_heard(
        tmp_path: Path, user_voices: UserVoices) -> None:
    good = mic_test("--from", str(write_wav(tmp_path / "good.wav", recording(user_voices, 0),
                                            RATE)))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "heard 'pause' (" in good.stdout
    assert abs(value(good.stdout, "room:") - (-60)) <= 1.5
    assert "OK: the level suits the listener" in good.stdout
    # 10 dB quieter speech, the same room: the speech level drops by 10 dB.
    softer = mic_test("--from", str(write_wav(tmp_path / "soft.wav",
                                              recording(user_voices, -10), RATE)))
    assert abs(value(good.stdout, "speech:") - value(softer.stdout, "speech:") - 10) <= 1.0
    assert abs(value(softer.stdout, "room:") - (-60)) <= 1.5


def test_quiet_clipping_and_silent_microphones_get_advice(
        tmp_path: Path, user_voices: UserVoices) -> None:
    quiet = mic_test("--from", str(write_wav(tmp_path / "quiet.wav",
                                             recording(user_voices, -30, -90), RATE)))
    assert quiet.returncode == 1
    assert "problem: your voice is quiet" in quiet.stdout
    clipped = mic_test("--from", str(write_wav(tmp_path / "loud.wav",
                                               recording(user_voices, 20), RATE)))
    assert clipped.returncode == 1
    assert "problem: the microphone clipped" in clipped.stdout
    assert int(next(line for line in clipped.stdout.splitlines()
                    if line.startswith("clipping:")).split()[1]) > 0
    silent = mic_test("--from", str(write_wav(tmp_path / "silent.wav",
                                              np.zeros(3 * RATE, np.float32), RATE)))
    assert silent.returncode == 1
    assert "problem: no speech heard" in silent.stdout
    assert "heard: no command" in silent.stdout


def test_on_a_real_sound_server(tmp_path: Path, user_voices: UserVoices) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[audio]\ninput_device = "vc_mic"\n')
    wav = write_wav(tmp_path / "pause.wav", user_voices.say("pause", "festival:kal") * 0.5,
                    RATE)
    with SoundServer(tmp_path / "server", echo_ms=None) as server:
        result: list[subprocess.CompletedProcess[str]] = []
        runner = threading.Thread(target=lambda: result.append(mic_test(
            "--seconds", "8", "--config", str(config), env=server.env)))
        runner.start()
        time.sleep(4.0)  # the recognizer loads, the stream starts
        server.say(wav).wait(10)
        runner.join(60)
    assert result, "mic-test did not finish"
    out = result[0].stdout
    assert "speak now" in out
    assert "heard 'pause' (" in out, out + result[0].stderr
    assert value(out, "speech:") > value(out, "room:") + 20


@pytest.mark.parametrize("bad", ["--device", "--from"])
def test_bad_device_or_file_is_one_line(tmp_path: Path, bad: str) -> None:
    arg = "no such mic" if bad == "--device" else str(tmp_path / "missing.wav")
    result = mic_test(bad, arg, "--seconds", "1")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("voice-coach: ")
