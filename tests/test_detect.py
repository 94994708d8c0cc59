"""``voice-coach detect`` on recordings: a routine rendered by ``voice-coach simulate`` played
in a simulated room with a spoken command mixed in, and bad input files."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_coach.cli import main
from voice_coach.listen.sources import read_wav
from voice_coach.sim.room import RoomParams, Utterance, render_scene
from voice_coach.sim.speakers import UserVoices


def write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())


def quiet_start(ref: np.ndarray, rate: int, after_s: float, length_s: float = 1.6) -> float:
    """The first time after ``after_s`` where the reference is silent for ``length_s``."""
    frame = rate // 50
    energy = np.convolve((ref[: len(ref) // frame * frame].reshape(-1, frame) ** 2).mean(1),
                         np.ones(int(length_s * 50)), "valid")
    start = int(after_s * 50)
    return (start + int(np.argmin(energy[start:] > 1e-7 * length_s * 50))) / 50


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    root = tmp_path_factory.mktemp("detect")
    ref_path = root / "coach.wav"
    assert main(["simulate", "bedtime-breathing", "--to", str(ref_path),
                 "--max-seconds", "40"]) == 0
    ref, rate = read_wav(ref_path)
    said_at = quiet_start(ref, rate, 8.0) + 0.1
    command = UserVoices(tmp_path_factory.getbasetemp() / "user-voices").say(
        "pause", "festival:kal")
    params = RoomParams(delay_s=0.08, echo_gain_db=-6.0, reverb_rt60_s=0.15, noise_db=-60.0)
    mic, truth = render_scene(ref, rate, [Utterance(said_at, command, user_to_echo_db=6.0)],
                              params)
    mic_path = root / "mic.wav"
    write_wav(mic_path, mic, 16000)
    return mic_path, ref_path, truth[0].end_s


def test_detect_finds_the_command_at_its_time(recording: tuple[Path, Path, float],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    mic, ref, end = recording
    assert main(["detect", str(mic), "--reference", str(ref), "--json",
                 "--engine", "pocketsphinx"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["command"] for line in lines] == ["pause"]
    assert end < lines[0]["time"] < end + 1.0
    assert set(lines[0]) == {"time", "command", "text", "confidence", "source"}


def test_detect_rejects_a_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("pause\n")
    assert main(["detect", str(text)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(text) in err and len(err.splitlines()) == 1


def test_detect_rejects_a_missing_reference(recording: tuple[Path, Path, float],
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    mic, _, _ = recording
    assert main(["detect", str(mic), "--reference", str(tmp_path / "none.wav")]) == 2
    assert "none.wav" in capsys.readouterr().err
