"""``voice-coach check`` and ``list``, and finding routines by id or path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voice_coach.cli import main
from voice_coach.cli.check import format_minutes
from voice_coach.errors import UserError
from voice_coach.routine import (
    bundled_dir,
    compile_routine,
    estimate_seconds,
    list_routines,
    load_routine,
    resolve_routine,
)

DATA = Path(__file__).parent / "data" / "routines"
GOOD = DATA / "good-small.yaml"
BUNDLED = bundled_dir() / "lower-back-hip.yaml"


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the real user's config or routines."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good-small.yaml")
    (folder / "broken.yaml").write_text("title: Broken\nsections:\n  - section: A\n"
                                        "    blocks:\n      - pause: -1\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a routine\n", encoding="utf-8")
    return folder


def test_check_ok_prints_title_sections_and_minutes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BUNDLED), str(GOOD)]) == 0
    out, err = capsys.readouterr()
    for path in (BUNDLED, GOOD):
        routine = load_routine(path)
        minutes = format_minutes(estimate_seconds(compile_routine(routine), routine.rate))
        line = f"{path}: OK — {routine.title}, {len(routine.sections)} sections, {minutes}"
        assert line in out.splitlines()
    assert err == ""


def test_check_fails_with_located_errors_but_checks_every_file(
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = sorted((DATA / "bad").glob("*.yaml"))
    assert main(["check", *map(str, bad), str(GOOD)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [line for line in out.splitlines() if ": OK — " in line]
    assert f"{GOOD}: OK" in out
    lines = err.splitlines()
    assert len(lines) == len(bad)
    for path, line in zip(bad, lines, strict=True):
        assert line.startswith(f"{path}:"), line
        assert line.split(":")[1].isdigit() and line.split(":")[2].isdigit(), line


def test_check_missing_file_and_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "gone.yaml")]) == 1
    assert "gone.yaml: cannot read routine" in capsys.readouterr().err
    assert main(["check", str(bundled_dir())]) == 0
    assert f"{BUNDLED}: OK" in capsys.readouterr().out


def test_check_warns_when_estimated_minutes_is_far_off(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "off.yaml"
    path.write_text(GOOD.read_text(encoding="utf-8").replace("estimated_minutes: 2",
                                                             "estimated_minutes: 30"),
                    encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"{path}: OK" in out
    assert f"{path}: warning: estimated_minutes is 30" in err


def test_list_shows_bundled_and_user_and_survives_broken(
        user_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--routines-dir", str(user_dir)]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "Lower back and hip release" in rows["lower-back-hip"]
    assert rows["lower-back-hip"].endswith("bundled")
    assert "Small test routine" in rows["good-small"] and rows["good-small"].endswith("user")
    assert "broken" not in rows
    assert f"{user_dir / 'broken.yaml'}:5:16: pause seconds is negative" in err


def test_list_uses_the_configured_default_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "lower-back-hip" in out and "no routines of your own" in out


def test_list_routines_api(user_dir: Path) -> None:
    infos = list_routines(user_dir)
    by_id = {(i.id, i.source): i for i in infos}
    assert by_id[("lower-back-hip", "bundled")].minutes is not None
    assert 12 <= by_id[("lower-back-hip", "bundled")].minutes <= 24  # calm pace: about 20
    good = by_id[("good-small", "user")]
    assert good.error is None and good.path == user_dir / "good-small.yaml"
    broken = by_id[("broken", "user")]
    assert broken.error and broken.minutes is None


def test_resolve_by_id_path_and_user_override(user_dir: Path, tmp_path: Path) -> None:
    assert resolve_routine("lower-back-hip", user_dir) == BUNDLED
    assert resolve_routine(str(GOOD), None) == GOOD
    assert resolve_routine("good-small", user_dir) == user_dir / "good-small.yaml"
    # A user routine with a bundled routine's id replaces it, whatever its file is called.
    mine = user_dir / "my-version.yaml"
    mine.write_text(GOOD.read_text(encoding="utf-8").replace("id: good-small",
                                                             "id: lower-back-hip"),
                    encoding="utf-8")
    assert resolve_routine("lower-back-hip", user_dir) == mine
    listed = [i for i in list_routines(user_dir) if i.id == "lower-back-hip"]
    assert [i.source for i in listed] == ["user"]
    # A file name that is not any routine's id still finds the file.
    shutil.copy(GOOD, user_dir / "by-name.yaml")
    assert resolve_routine("by-name", user_dir) == user_dir / "by-name.yaml"
    # A file whose id differs from its name is found by its id.
    renamed = user_dir / "whatever.yaml"
    renamed.write_text(GOOD.read_text(encoding="utf-8").replace("id: good-small", "id: nice"),
                       encoding="utf-8")
    assert resolve_routine("nice", user_dir) == renamed


def test_resolve_unknown_lists_known_ids(user_dir: Path) -> None:
    with pytest.raises(UserError) as caught:
        resolve_routine("no-such-routine", user_dir)
    message = str(caught.value)
    assert "unknown routine 'no-such-routine'" in message
    assert "lower-back-hip" in message and "good-small" in message
    with pytest.raises(UserError, match="no such routine file"):
        resolve_routine("missing/file.yaml", user_dir)
