"""Progress and history files: atomic writes, corrupt files, history lines, `history` CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from voice_coach.cli import main
from voice_coach.core.actions import Progress, SessionSummary
from voice_coach.state_store import HistoryEntry, StateStore


def test_progress_round_trip(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    assert store.load_progress() is None
    progress = Progress("lower-back-hip", 17, rate=0.9, volume=0.6, finished=False)
    store.save_progress(progress)
    assert store.load_progress() == progress
    assert store.last_routine() == "lower-back-hip"


def test_progress_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path)
    store.save_progress(Progress("a", 1))

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save_progress(Progress("a", 2))
    monkeypatch.undo()
    # The old place survives and no temp file is left behind.
    assert store.load_progress() == Progress("a", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]


def test_many_saves_leave_one_valid_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for index in range(200):
        store.save_progress(Progress("r", index))
    assert store.load_progress() == Progress("r", 199)
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


@pytest.mark.parametrize("content", [
    b"", b"{", b"[]", b"\xff\xfe garbage", b'{"routine_id": "x"}',
    b'{"routine_id": "x", "cue_index": -3}', b'{"routine_id": "", "cue_index": 1}',
    b'{"routine_id": "x", "cue_index": 1, "rate": "fast"}',
    b'{"routine_id": "x", "cue_index": true}',
])
def test_corrupt_progress_is_logged_and_treated_as_none(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path)
    store.progress_path.write_bytes(content)
    assert store.load_progress() is None
    assert "progress" in caplog.text
    store.save_progress(Progress("x", 2))  # and it can be written over
    assert store.load_progress() == Progress("x", 2)


def test_unreadable_progress_is_not_fatal(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.progress_path.mkdir(parents=True)  # a directory where the file should be
    assert store.load_progress() is None


def entry(routine: str = "lower-back-hip", how: str = "completed") -> HistoryEntry:
    summary = SessionSummary(routine, 0, 40, 8, 8, 2, 905.5, how)
    return HistoryEntry.of(summary, ended_wall=1_750_000_000.0)


def test_history_appends_json_lines_and_skips_bad_ones(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    store = StateStore(tmp_path)
    assert store.history() == []
    first = entry()
    store.append_history(first)
    with store.history_path.open("a") as handle:
        handle.write("{not json\n\n")
    second = entry("bedtime-breathing", "stopped")
    store.append_history(second)
    assert store.history() == [first, second]
    assert ":2: skipping a bad history line" in caplog.text
    lines = store.history_path.read_text().splitlines()
    assert json.loads(lines[0])["how"] == "completed"
    assert first.started == pytest.approx(1_750_000_000.0 - 905.5)
    assert store.last_routine() == "bedtime-breathing"  # no progress file: last history line


def test_history_command_prints_table_and_json(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    assert main(["history", "--state-dir", str(state)]) == 0
    assert "no sessions yet" in capsys.readouterr().out
    store = StateStore(state)
    store.append_history(entry())
    store.append_history(entry("bedtime-breathing", "stopped"))
    store.save_progress(Progress("bedtime-breathing", 5))
    assert main(["history", "--state-dir", str(state)]) == 0
    out = capsys.readouterr().out
    assert "lower-back-hip" in out and "8/8" in out and "15:06" in out and "stopped" in out
    assert "unfinished: bedtime-breathing, section 1 of 4 (Arriving)" in out
    assert main(["history", "--state-dir", str(state), "--json", "--last", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["routine_id"] == "bedtime-breathing"
