"""A cache folder that cannot be used (under a file, read-only) costs time, nothing else: one
warning, then `play` and `demo` run without a cache, as the user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from readonly import read_only


def run_cli(args: list[str], cwd: Path, cache: Path, wrapper: list[str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([*(wrapper or []), sys.executable, "-m", "voice_coach.cli", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "WARNING" in line or "Traceback" in line]


def unusable_cache(tmp_path: Path, how: str) -> tuple[Path, list[str]]:
    if how == "under-a-file":
        blocker = tmp_path / "cache-file"
        blocker.write_text("")
        return blocker / "cache", []
    folder = tmp_path / "cache"
    folder.mkdir()
    return folder, read_only(folder)


@pytest.mark.parametrize("how", ["under-a-file", "read-only"])
def test_play_warns_once_and_renders_without_a_cache(tmp_path: Path, how: str) -> None:
    cache, wrapper = unusable_cache(tmp_path, how)
    out = tmp_path / "last.wav"
    result = run_cli(["play", "lower-back-hip", "--from-section", "10", "--to", str(out)],
                     tmp_path, cache, wrapper)
    assert result.returncode == 0, result.stderr
    lines = warnings(result.stderr)
    assert len(lines) == 1 and "running without a cache" in lines[0], result.stderr
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > 60 * wav.getframerate()


def test_demo_runs_without_a_cache(tmp_path: Path) -> None:
    # The simulated user's voices are cached too (user-voices): that used to crash the demo.
    cache, wrapper = unusable_cache(tmp_path, "under-a-file")
    result = run_cli(["demo"], tmp_path, cache, wrapper)
    assert result.returncode == 0, result.stderr
    lines = [line for line in warnings(result.stderr) if "PocketSphinx" not in line]
    assert len(lines) == 1 and "running without a cache" in lines[0], result.stderr
    assert "session ended (stopped)" in result.stdout
