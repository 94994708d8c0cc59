"""``simulate`` and ``play --to`` end to end: real routine, real Session, real Piper audio in a
real WAV, checked sample by sample against what the log says happened."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voice_coach.cli import main
from voice_coach.routine import compile_routine, load_routine, resolve_routine
from voice_coach.speech import Synthesizer, read_wav

VOLUME = 0.8  # the default config volume the rendered audio is scaled by
SILENCE = 1e-3


@pytest.fixture(scope="module")
def synth() -> Synthesizer:
    return Synthesizer()


@pytest.fixture(scope="module")
def cues():
    return compile_routine(load_routine(resolve_routine("lower-back-hip")))


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, int, list[dict]]:
    out = tmp_path_factory.mktemp("sim")
    wav, log = out / "out.wav", out / "events.jsonl"
    code = main(["simulate", "lower-back-hip", "--script", "4:pause,14:resume,45:next",
                 "--to", str(wav), "--log", str(log), "--max-seconds", "70"])
    assert code == 0
    audio, rate = read_wav(wav)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return audio, rate, entries


def says(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["kind"] == "say"]


def heard_at(entries: list[dict], command: str) -> float:
    return next(e["time"] for e in entries if e["kind"] == "heard" and e["detail"]["command"]
                == command)


def segment(audio: np.ndarray, rate: int, start: float, seconds: float) -> np.ndarray:
    first = round(start * rate)
    return audio[first:first + round(seconds * rate)]


def assert_plays(audio: np.ndarray, rate: int, start: float, speech: np.ndarray) -> None:
    """The WAV holds exactly ``speech`` (at the playback volume) from ``start`` on."""
    heard = segment(audio, rate, start, len(speech) / rate)
    # Skip the 20 ms volume ramp a fresh session starts with; 16-bit rounding twice.
    skip = rate // 20
    np.testing.assert_allclose(heard[skip:], VOLUME * speech[skip:len(heard)], atol=3e-4)


def test_pause_silences_the_coach_until_resume(scripted, synth: Synthesizer) -> None:
    audio, rate, entries = scripted
    paused, resumed = heard_at(entries, "pause"), heard_at(entries, "resume")
    reply = next(e for e in says(entries) if e["time"] == paused and e["detail"]["cue"] is None)
    reply_seconds = len(synth.synthesize(reply["detail"]["text"])) / rate
    quiet = segment(audio, rate, paused + reply_seconds + 0.05, resumed - paused - reply_seconds
                    - 0.1)
    assert len(quiet) > rate * 3
    assert np.abs(quiet).max() < SILENCE


def test_resume_restarts_the_interrupted_sentence(scripted, synth: Synthesizer) -> None:
    audio, rate, entries = scripted
    paused, resumed = heard_at(entries, "pause"), heard_at(entries, "resume")
    before = [e for e in says(entries) if e["time"] < paused and e["detail"]["cue"] is not None]
    interrupted = before[-1]["detail"]["text"]
    speech = synth.synthesize(interrupted)
    # The pause really did cut this sentence off part-way.
    assert before[-1]["time"] + len(speech) / rate > paused
    again = next(e for e in says(entries) if e["time"] >= resumed and e["detail"]["cue"]
                 is not None)
    assert again["detail"]["text"] == interrupted
    assert again["time"] == pytest.approx(resumed, abs=0.05)
    assert_plays(audio, rate, again["time"], speech)


def test_next_lands_on_the_first_cue_of_the_next_section(scripted, cues, synth) -> None:
    audio, rate, entries = scripted
    skipped = heard_at(entries, "next")
    before = [e for e in says(entries) if e["time"] < skipped and e["detail"]["cue"] is not None]
    after = next(e for e in says(entries) if e["time"] > skipped and e["detail"]["cue"]
                 is not None)
    section = cues[before[-1]["detail"]["cue"]].section + 1
    first_spoken = next(c for c in cues if c.section == section and c.text)
    assert after["detail"]["cue"] == first_spoken.index
    assert first_spoken.text.startswith(after["detail"]["text"].rstrip(".!?"))
    assert_plays(audio, rate, after["time"], synth.synthesize(after["detail"]["text"]))


def test_play_renders_the_last_section_to_a_wav(tmp_path: Path, cues, capsys) -> None:
    last = cues[-1].section + 1
    wav = tmp_path / "session.wav"
    assert main(["play", "lower-back-hip", "--from-section", str(last), "--to", str(wav)]) == 0
    audio, rate = read_wav(wav)
    err = capsys.readouterr().err
    assert f"section {last}/{last}" in err
    assert "x real time" in err
    expected = sum(c.seconds for c in cues if c.section == last - 1)
    assert len(audio) / rate > expected  # speech adds to the timed parts, never less
    assert np.abs(audio).max() > 0.05


def test_bad_inputs_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert main(["play", "no-such-routine", "--to", str(tmp_path / "x.wav")]) == 1
    assert main(["play", "lower-back-hip", "--from-section", "99",
                 "--to", str(tmp_path / "x.wav")]) == 1
    assert main(["simulate", "lower-back-hip", "--script", "12:dance"]) == 1
    assert main(["simulate", "lower-back-hip", "--script", "inf:pause"]) == 1
    assert main(["play", "lower-back-hip", "--to", str(tmp_path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 5
    assert "no-such-routine" in lines[0]
    assert "--from-section 99" in lines[1]
    assert "dance" in lines[2]
    assert "inf:pause" in lines[3]
    assert "is a folder" in lines[4]
    assert not (tmp_path / "x.wav").exists()


def test_play_volume_sets_the_starting_volume(tmp_path: Path, cues) -> None:
    last = str(cues[-1].section + 1)
    loud, soft = tmp_path / "loud.wav", tmp_path / "soft.wav"
    assert main(["play", "lower-back-hip", "--from-section", last, "--to", str(loud)]) == 0
    assert main(["play", "lower-back-hip", "--from-section", last, "--volume", "0.3",
                 "--to", str(soft)]) == 0
    (a, _), (b, _) = read_wav(loud), read_wav(soft)
    assert abs(len(a) - len(b)) < 0.05 * len(a)  # the same session, only quieter
    ratio_db = 20 * np.log10(np.sqrt(np.mean(b.astype(np.float64) ** 2))
                             / np.sqrt(np.mean(a.astype(np.float64) ** 2)))
    assert ratio_db < -3.0, ratio_db
    with pytest.raises(SystemExit) as error:
        main(["play", "lower-back-hip", "--volume", "3", "--to", str(tmp_path / "x.wav")])
    assert error.value.code == 2
