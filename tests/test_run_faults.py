"""`voice-coach run` refusing to start, with one clear line: no PortAudio, no devices, missing
voice or model, bad config; and the device-retry logic on its own clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_coach.app.devices_watch import Retry, StallDetector, Watched
from voice_coach.cli import main


def run_cli(args: list[str], tmp_path: Path, extra_path: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = f"{extra_path}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run([sys.executable, "-m", "voice_coach.cli", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def test_no_audio_device_is_one_line_and_exit_1(tmp_path: Path) -> None:
    # Real PortAudio; this machine has no sound card at all.
    result = run_cli(["run", "--state-dir", str(tmp_path / "s")], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no audio output device found" in lines[0], result.stderr
    # What it suggests works: run has no --to; demo and play --to need no sound card.
    assert "voice-coach demo" in lines[0] and "voice-coach play ROUTINE --to" in lines[0]
    assert "use --to" not in lines[0]
    assert not (tmp_path / "s").exists()  # nothing started, nothing written


def test_no_portaudio_says_what_to_install(tmp_path: Path) -> None:
    # PortAudio cannot be uninstalled here: a stand-in sounddevice fails to import exactly as
    # the real one does without libportaudio2 (OSError at import time).
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    result = run_cli(["run"], tmp_path, extra_path=fake)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "apt install libportaudio2" in result.stderr


def test_missing_voice_names_it_and_the_fetch_command(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[speech]\nvoice = "voices/missing.onnx"\n')
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "missing.onnx" in err and "voice-coach models fetch" in err
    assert err.count("\n") == 1


def test_bad_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[listen]\nwake_phrase = 3\n")
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "[listen] wake_phrase" in err and str(config) in err


def test_missing_recognizer_model_names_it_and_the_fetch_command(tmp_path: Path) -> None:
    from voice_coach.app.live_run import load_listener
    from voice_coach.config import Config
    from voice_coach.errors import UserError

    config = Config(engine="vosk", vosk_model=tmp_path / "no-such-model")
    with pytest.raises(UserError) as caught:
        load_listener(config)
    assert "no-such-model" in str(caught.value)
    assert "voice-coach models fetch" in str(caught.value)


def test_retry_is_every_interval_until_the_device_opens() -> None:
    opened: list[float] = []
    reports: list[tuple[bool, str]] = []
    plugged_in_at = 10.0
    now = 0.0

    def open_device() -> None:
        opened.append(now)
        if now < plugged_in_at:
            raise OSError(19, "No such device")

    watch = Watched("microphone", open_device, lambda: None,
                    lambda lost, detail: reports.append((lost, detail)), interval=3.0)
    watch.poll(0.0)
    assert opened == []  # nothing to retry while it works
    now = 1.0
    watch.failed(now, OSError(19, "gone"))
    watch.failed(now + 0.5, OSError(19, "gone again"))  # reported once
    while now < 20.0:
        now = round(now + 0.02, 2)
        watch.poll(now)
    assert reports == [(True, "[Errno 19] gone"), (False, "")]
    assert opened == [4.0, 7.0, 10.0]
    assert not watch.retry.is_lost


def test_retry_and_stall_detector_basics() -> None:
    retry = Retry(interval=2.0)
    assert not retry.due(100.0)
    assert retry.lost(1.0) and not retry.lost(1.5)
    assert not retry.due(2.9) and retry.due(3.0) and not retry.due(4.0) and retry.due(5.0)
    assert retry.attempts == 2
    stall = StallDetector(stall_seconds=1.0)
    assert not stall.stalled(0.0, 0.0)
    assert not stall.stalled(0.5, 0.9)  # moving
    assert not stall.stalled(0.5, 1.8)
    assert stall.stalled(0.5, 2.0)  # stuck for 1 s


def test_systemd_user_unit_runs_the_daemon_and_stops_it_with_sigterm() -> None:
    import configparser

    unit = Path(__file__).resolve().parents[1] / "packaging" / "systemd" / "voice-coach.service"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    exec_start = parser["Service"]["ExecStart"].split()
    assert exec_start[0].endswith("/bin/voice-coach") and exec_start[1] == "run"
    assert parser["Service"]["KillSignal"] == "SIGTERM"
    assert parser["Service"]["Restart"] == "on-failure"
    assert parser["Install"]["WantedBy"] == "default.target"  # a user unit, not multi-user
    assert "User" not in parser["Service"]  # user units run as their owner
