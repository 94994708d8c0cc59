"""What voice-coach leaves on the machine: no device id from onnxruntime under ~/.cache, and
no hidden half-written WAV when `play --to` is stopped by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ORT_SWITCHES = ("ORT_TELEMETRY_DISABLED", "ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS",
                "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS",
                "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION",
                "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
"""Every variable that turns onnxruntime's telemetry off: none may come from outside."""


def fresh_home(tmp_path: Path, name: str) -> dict[str, str]:
    home = tmp_path / name
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ORT_SWITCHES}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    return env


def traces(env: dict[str, str]) -> list[str]:
    home = Path(env["HOME"])
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if "Microsoft" in p.parts)


def test_onnxruntime_leaves_no_device_id(tmp_path: Path) -> None:
    bare = fresh_home(tmp_path, "bare")
    subprocess.run([sys.executable, "-c", "import onnxruntime"], env=bare, check=True,
                   timeout=120)
    # The control: this onnxruntime does write its device id when nothing stops it.
    assert any(t.endswith("deviceid") for t in traces(bare)), traces(bare)

    ours = fresh_home(tmp_path, "ours")
    subprocess.run([sys.executable, "-c", "import voice_coach, onnxruntime"], env=ours,
                   check=True, timeout=120)
    assert traces(ours) == []
    result = subprocess.run(
        [sys.executable, "-m", "voice_coach.cli", "play", "lower-back-hip", "--from-section",
         "10", "--to", str(tmp_path / "last.wav")],
        env=ours, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert traces(ours) == [] and "telemetry" not in result.stderr


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                          (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_during_play_to_leaves_no_partial_file(tmp_path: Path, signum: int,
                                                        code: int) -> None:
    out = tmp_path / "session.wav"
    # A shell that starts a job in the background without job control has it ignore SIGINT,
    # and Python then never turns it into KeyboardInterrupt: give the child the default.
    process = subprocess.Popen(
        [sys.executable, "-m", "voice_coach.cli", "play", "lower-back-hip", "--to", str(out)],
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".session.wav.*.tmp")):  # rendering has begun
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], stderr
    assert "Traceback" not in stderr, stderr
