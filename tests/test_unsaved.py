"""Nothing the user made is lost silently: a state folder that cannot be written stops `run`
before it starts; one that breaks mid-session is retried, logged, and the coach says so once
per session (and no longer promises that the place is kept)."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from readonly import read_only

from voice_coach.app.daemon import Daemon, make_dialogue, routine_options
from voice_coach.app.executor import LogEntry
from voice_coach.app.prepare import block_size
from voice_coach.app.state_writer import SAVE_RETRY_S
from voice_coach.core import replies
from voice_coach.core.events import CommandHeard, StartRequested
from voice_coach.speech import Player, Synthesizer
from voice_coach.state_store import StateStore

ROUTINE = "lower-back-hip"


def run_cli(args: list[str], cwd: Path, wrapper: list[str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "voice_coach.cli", *args]
    return subprocess.run([*(wrapper or []), *command], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_run_refuses_a_state_folder_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine\n")
    line = one_line(run_cli(["run", "--state-dir", str(blocker / "state")], tmp_path))
    # Refused before the audio checks (this machine has no sound card): the state comes first.
    assert f"state folder {blocker / 'state'}" in line and f"{blocker} is a file" in line
    assert blocker.read_text() == "mine\n"


def test_run_refuses_a_state_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("")
    line = one_line(run_cli(["run", "--state-dir", str(blocker)], tmp_path))
    assert f"state folder {blocker}" in line and "is a file" in line


def test_run_refuses_a_history_file_it_cannot_append_to(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "history.jsonl").mkdir(parents=True)
    line = one_line(run_cli(["run", "--state-dir", str(state)], tmp_path))
    assert f"history file {state / 'history.jsonl'} cannot be appended to" in line


@pytest.mark.parametrize("inside", [False, True], ids=["folder", "new-subfolder"])
def test_run_refuses_a_read_only_state_folder(tmp_path: Path, inside: bool) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    wrapper = read_only(folder)
    state = folder / "new" if inside else folder
    line = one_line(run_cli(["run", "--state-dir", str(state)], tmp_path, wrapper))
    assert f"state folder {state} cannot be written" in line
    assert ("Read-only file system" in line or "Permission denied" in line
            or f"{folder} is not writable" in line), line


def test_check_writable_creates_nothing(tmp_path: Path) -> None:
    StateStore(tmp_path / "a" / "b").check_writable()
    assert list(tmp_path.iterdir()) == []


# --- a folder that breaks while the coach runs ------------------------------------------


@pytest.fixture(scope="module")
def synthesizer() -> Iterator[Synthesizer]:
    synth = Synthesizer()
    yield synth
    synth.close()


class Bedside:
    """The daemon with a real Piper voice and Player on a virtual clock, driven the way
    Home Assistant and a user would drive it (posted commands), with no microphone."""

    def __init__(self, state: Path, synthesizer: Synthesizer) -> None:
        store = StateStore(state)
        self.player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate))
        dialogue = make_dialogue(routine_options(None), store, 1.0, 0.8)
        self.daemon = Daemon(dialogue, synthesizer, self.player, store, wake_phrase="hey coach")
        self.log: list[LogEntry] = []
        self.daemon.log_listeners.append(self.log.append)
        self.daemon.start(0.0)

    def run(self, seconds: float) -> None:
        end = self.player.time + seconds
        while self.player.time < end:
            self.daemon.step(self.player.time)
            self.player.read_block()

    def said(self, text: str) -> int:
        return sum(1 for e in self.log if e.kind == "say" and e.detail["text"] == text)

    def saves_failing(self) -> list[bool]:
        return [bool(e.detail["failing"]) for e in self.log if e.kind == "saving"]


def break_folder(state: Path) -> None:
    shutil.rmtree(state)
    state.write_text("")  # a file where the folder was: every write fails


def test_a_folder_that_breaks_mid_session_is_retried_and_said_once(
        tmp_path: Path, synthesizer: Synthesizer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    state = tmp_path / "state"
    bed = Bedside(state, synthesizer)
    bed.daemon.post(StartRequested(ROUTINE, confirm=False))
    bed.run(8.0)
    assert (state / "progress.json").is_file()

    break_folder(state)
    bed.run(60.0)  # several cues, each one a failed save
    assert bed.said(replies.CANNOT_SAVE) == 1
    assert bed.daemon.writer.failures >= 3 and bed.daemon.writer.unsaved
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and str(state) in errors[0].getMessage()

    state.unlink()  # repaired (a freed disk): the next retry writes the place
    bed.run(SAVE_RETRY_S + 1.0)
    assert not bed.daemon.writer.unsaved
    assert json.loads((state / "progress.json").read_text())["routine_id"] == ROUTINE
    failing = bed.saves_failing()
    assert failing[-1] is False and all(failing[:-1]) and len(failing) >= 4

    break_folder(state)
    bed.run(30.0)
    assert bed.said(replies.CANNOT_SAVE) == 1  # once per session, however often it fails
    bed.daemon.post(CommandHeard("stop"))
    bed.run(8.0)
    assert bed.said(replies.GOODBYE) == 0 and bed.said(replies.GOODBYE_UNSAVED) == 1

    # A new session is told again.
    bed.daemon.post(StartRequested(ROUTINE, confirm=False))
    bed.run(30.0)
    assert bed.said(replies.CANNOT_SAVE) == 2

    # Quitting with the folder still broken: what could not be written is in the log.
    caplog.clear()
    bed.daemon.shutdown(bed.player.time)
    lost = [r.getMessage() for r in caplog.records if "NOT saved" in r.getMessage()]
    assert any(ROUTINE in line and '"how": "stopped"' in line for line in lost), lost
    assert any(line.startswith("progress NOT saved") for line in lost), lost
