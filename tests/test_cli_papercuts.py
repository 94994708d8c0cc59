"""Small things a new user runs into on the command line, each run as the user runs it (a real
`voice-coach` process): one clear line, the right exit code, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from soundserver import SoundServer


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def one_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voice-coach: "), result.stderr
    return lines[0]


def test_output_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    # `config --show | head -1`: the reader is gone before everything is written.
    process = subprocess.Popen([sys.executable, "-m", "voice_coach.cli", "config", "--show"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(60) == 141 and stderr == ""


def test_the_same_through_head(tmp_path: Path) -> None:
    shell = f"{sys.executable} -m voice_coach.cli config --show | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("# effective config from") and result.stderr == ""
    assert result.returncode in (0, 141)


def test_log_under_a_file_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("")
    line = one_error(cli(["simulate", "lower-back-hip", "--log", str(blocker / "log.jsonl")],
                         tmp_path))
    assert f"{blocker} is a file, not a folder" in line and "does not exist" not in line


@pytest.mark.parametrize("option, example", [("--log", "events.jsonl"), ("--to", "session.wav")])
def test_simulate_output_given_a_folder_names_its_option(tmp_path: Path, option: str,
                                                         example: str) -> None:
    line = one_error(cli(["simulate", "lower-back-hip", option, str(tmp_path)], tmp_path))
    assert f"{tmp_path}: is a folder; {option} needs a file name such as {example}" in line


def test_play_a_folder(tmp_path: Path) -> None:
    line = one_error(cli(["play", str(tmp_path)], tmp_path))
    assert f"{tmp_path}: is a folder, not a routine file" in line and "voice-coach list" in line


@pytest.mark.parametrize("action", [["--init"], ["--show"], ["--init", "--force"]])
def test_config_on_a_folder(tmp_path: Path, action: list[str]) -> None:
    line = one_error(cli(["config", *action, "--config", str(tmp_path)], tmp_path))
    assert f"{tmp_path}: is a folder; --config needs a file name such as config.toml" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("script, says", [
    ("-5:pause", "-5 s is before the start"),
    ("10:pause,-5:resume", "item 2 '-5:resume': -5 s is before the start"),
    ("1e9:pause", "after the end of the simulation (--max-seconds 14400)"),
])
def test_script_times_that_can_never_be_heard(tmp_path: Path, script: str, says: str) -> None:
    out = tmp_path / "out.wav"
    line = one_error(cli(["simulate", "lower-back-hip", "--script", script, "--to", str(out)],
                         tmp_path))
    assert says in line and not out.exists()


def test_script_time_after_max_seconds(tmp_path: Path) -> None:
    line = one_error(cli(["simulate", "lower-back-hip", "--script", "30:pause",
                          "--max-seconds", "20"], tmp_path))
    assert "30 s is after the end of the simulation (--max-seconds 20)" in line


@pytest.mark.parametrize("value", ["-1", "0", "x"])
def test_history_last_must_be_a_count(tmp_path: Path, value: str) -> None:
    result = cli(["history", "--last", value, "--state-dir", str(tmp_path / "s")], tmp_path)
    assert result.returncode == 2 and "--last" in result.stderr, result.stderr
    assert "no sessions yet" not in result.stdout


def test_unknown_device_lists_the_devices(tmp_path: Path) -> None:
    # A real sound server with two null sinks, reached through ALSA's pulse plugin.
    with SoundServer(tmp_path / "server", echo_ms=None) as server:
        env = {**server.env, "HOME": str(tmp_path)}
        line = one_error(cli(["play", "lower-back-hip", "--device", "USB"], tmp_path, env))
        listed = cli(["devices"], tmp_path, env).stdout
    assert line.startswith('voice-coach: --device "USB": no output device name contains it; '
                           "output devices: ")
    for name in ("vc_speaker", "pulse", "default"):
        assert f'"{name}"' in line and name in listed


def test_demo_without_festival_names_the_packages(tmp_path: Path) -> None:
    # Only sox on the PATH; a fresh cache, so the simulated user must be synthesized.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sox = shutil.which("sox")
    assert sox is not None
    (bin_dir / "sox").symlink_to(sox)
    env = {**os.environ, "PATH": str(bin_dir), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = cli(["demo", "--max-minutes", "1"], tmp_path, env)
    errors = [line for line in result.stderr.splitlines() if line.startswith("voice-coach:")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert "text2wave is not installed" in errors[0]
    assert "sudo apt-get install festival festvox-kallpc16k festvox-kdlpc16k" in errors[0]
    assert "Traceback" not in result.stderr
