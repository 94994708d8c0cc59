"""`play` to the speaker is a session too: progress and history are kept as `run` keeps them
(on a real sound server); a render to a file keeps none."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from live_stack import LiveScene

ROUTINE = ("id: short-test\ntitle: Short test\nsections:\n"
           "  - section: One\n    blocks:\n      - say: Breathe in.\n      - pause: 1\n"
           "  - section: Two\n    blocks:\n      - say: Let it go.\n      - hold: {hold}\n"
           "      - say: Well done.\n")


HOLD_CUE = 3
"""say, pause | say, hold, say: the hold is the fourth cue."""


def cue(state: Path) -> int:
    try:
        return int(json.loads((state / "progress.json").read_text())["cue_index"])
    except (OSError, ValueError, KeyError):
        return -1


def history(state: Path) -> list[dict]:
    return [json.loads(line) for line in (state / "history.jsonl").read_text().splitlines()]


def test_play_to_the_end_records_a_completed_session(tmp_path: Path) -> None:
    routine = tmp_path / "short.yaml"
    routine.write_text(ROUTINE.format(hold=1))
    state = tmp_path / "state"
    scene = LiveScene(tmp_path / "live", command=("play", str(routine), "--state-dir",
                                                  str(state)))
    with scene:
        assert scene.daemon is not None
        assert scene.daemon.wait(90) == 0, scene.log
    [entry] = history(state)
    assert entry["routine_id"] == "short-test"
    assert entry["how"] == "completed" and entry["started_by"] == "play"
    assert entry["sections_completed"] == entry["section_count"] == 2
    assert json.loads((state / "progress.json").read_text())["finished"] is True


def test_play_stopped_by_sigterm_keeps_the_place(tmp_path: Path) -> None:
    routine = tmp_path / "short.yaml"
    routine.write_text(ROUTINE.format(hold=60))
    state = tmp_path / "state"
    scene = LiveScene(tmp_path / "live", command=("play", str(routine), "--state-dir",
                                                  str(state)))
    with scene:
        assert scene.daemon is not None
        deadline = time.monotonic() + 90
        while cue(state) < HOLD_CUE and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # into the hold of section two
        scene.daemon.send_signal(signal.SIGTERM)
        assert scene.daemon.wait(30) == 0, scene.log
    assert "stopped at section 2" in scene.log
    [entry] = history(state)
    assert entry["how"] == "interrupted" and entry["started_by"] == "play"
    assert entry["sections_completed"] == 1
    progress = json.loads((state / "progress.json").read_text())
    assert progress["routine_id"] == "short-test" and progress["finished"] is False
    assert progress["cue_index"] > 0


def test_render_keeps_no_state_and_a_bad_state_folder_is_refused(tmp_path: Path) -> None:
    routine = tmp_path / "short.yaml"
    routine.write_text(ROUTINE.format(hold=1))
    state = tmp_path / "state"
    render = subprocess.run([sys.executable, "-m", "voice_coach.cli", "play", str(routine),
                             "--state-dir", str(state), "--to", str(tmp_path / "out.wav")],
                            capture_output=True, text=True, timeout=120)
    assert render.returncode == 0, render.stderr
    assert not state.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    refused = subprocess.run([sys.executable, "-m", "voice_coach.cli", "play", str(routine),
                              "--state-dir", str(blocker / "state"), "--device", "0"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert str(blocker) in refused.stderr and "Traceback" not in refused.stderr
