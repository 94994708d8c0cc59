"""`voice-coach demo`: the whole product with no hardware, from the command line."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_coach.cli import main


def test_demo_prints_the_event_log_and_writes_a_stereo_wav(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.wav"
    assert main(["demo", "--to", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    heard = [line for line in lines if " heard '" in line]
    # Every scripted command was heard, in order, in the "MM:SS heard 'x' (0.nn) -> y" form.
    commands = [line.split("'")[1] for line in heard]
    assert commands == ["wake", "lower-back-hip", "pause", "resume", "repeat", "next", "stop"]
    assert heard[2].endswith("-> paused") and heard[3].endswith("-> playing")
    assert all(re.fullmatch(r"\d\d:\d\d heard '[a-z-]+' \([01]\.\d\d\) -> [a-z -]+", line)
               for line in heard), heard
    assert any("session ended (stopped)" in line for line in lines)
    assert "7 commands heard" in captured.err

    with wave.open(str(out), "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getframerate() == 16000
        data = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2) / 32768.0
    mic, coach = data[:, 0], data[:, 1]
    # The user's first words (at 1.5 s, before the coach ever spoke) are on the mic only.
    first = slice(int(1.5 * 16000), int(2.3 * 16000))
    assert np.sqrt(np.mean(mic[first] ** 2)) > 0.02 > np.sqrt(np.mean(coach[first] ** 2))
    # Levels of a real bedside microphone set up as the README advises: the user's words
    # peak around -12 dBFS, the coach's echo (10-11 s, the coach alone) no higher, and the
    # loudest moment stays well clear of full scale (no clipping).
    assert peak_db(mic) < -3.0
    assert -16.0 < peak_db(mic[first]) < -8.0
    assert -24.0 < peak_db(mic[16000 * 10:16000 * 11]) < -8.0
    # The coach's speech is on the right and its echo on the left, a few ms later.
    assert np.sqrt(np.mean(coach**2)) > 0.02
    lag = int(np.argmax(np.correlate(mic[16000 * 10:16000 * 11],
                                     coach[16000 * 10:16000 * 21 // 2], mode="valid")))
    assert 0.03 * 16000 < lag < 0.12 * 16000
    # The demo used a temporary state folder: nothing was saved for the real user.
    assert main(["history"]) == 0
    assert "no sessions yet" in capsys.readouterr().out


def peak_db(x: np.ndarray) -> float:
    return float(20 * np.log10(max(float(np.max(np.abs(x))), 1e-10)))
