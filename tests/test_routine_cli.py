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
    # Every bad file is named (some have more than one mistake, each on its own line).
    assert sorted({Path(line.split(":")[0]) for line in lines}) == bad
    for line in lines:
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


MANY_MISTAKES = """\
titel: Many mistakes
sections:
  - section: A
    blocks:
      - pause: -1
      - say: "{sid} hello"
      - hold: ten
        countdown: 50
        extra: 1
      - breathe: 0
        inhale: x
  - say: outside
"""


def test_check_reports_every_error_in_a_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(MANY_MISTAKES, encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    expected = [
        ("1:1", "unknown key 'titel'"), ("1:1", "missing 'title:'"),
        ("5:16", "pause seconds is negative"), ("6:14", "unknown placeholder {sid}"),
        ("7:15", "hold seconds must be a number"), ("8:20", "countdown is 50"),
        ("9:9", "unknown key 'extra' for hold"), ("10:9", "breathe needs 'exhale:'"),
        ("10:18", "breathe count is 0"), ("11:17", "inhale seconds must be a number"),
        ("12:5", "expected a section"),
    ]
    lines = err.splitlines()
    assert len(lines) == len(expected), err
    for line, (where, fragment) in zip(lines, expected, strict=True):
        assert line.startswith(f"{path}:{where}: ") and fragment in line, line


def test_a_routine_with_many_errors_still_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(MANY_MISTAKES, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:1:1: unknown key 'titel'")
    assert message.endswith(f"(and 10 more; 'voice-coach check {path}' lists them all)")


def _with_id(folder: Path, name: str, routine_id: str) -> Path:
    path = folder / name
    path.write_text(GOOD.read_text(encoding="utf-8").replace("id: good-small",
                                                             f"id: {routine_id}"),
                    encoding="utf-8")
    return path


def test_two_files_with_one_id_are_named_not_picked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    first, second = _with_id(folder, "a.yaml", "twin"), _with_id(folder, "b.yaml", "twin")
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{first}: id 'twin' is also used by {second}; routines in one folder need different ids",
        f"{second}: id 'twin' is also used by {first}; routines in one folder need different ids",
    ]
    # Files in different folders may share an id (only one folder is the user's).
    other = tmp_path / "other"
    other.mkdir()
    assert main(["check", str(first), str(_with_id(other, "a.yaml", "twin"))]) == 0
    capsys.readouterr()

    assert main(["list", "--routines-dir", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "twin" not in out
    assert err.splitlines() == [
        f"voice-coach: skipped routine: {first}: id 'twin' is also used by {second}; "
        "give each routine its own 'id:'",
        f"voice-coach: skipped routine: {second}: id 'twin' is also used by {first}; "
        "give each routine its own 'id:'",
    ]
    with pytest.raises(UserError, match=r"routine id 'twin' is used by more than one file "
                                        rf"\({second}, {first}\)"):
        resolve_routine("twin", folder)
    # Each can still be played by its file, or by its file name.
    assert resolve_routine(str(first), folder) == first
    assert resolve_routine("b", folder) == second


def test_two_user_files_replacing_a_bundled_routine_do_not_fall_back_to_it(
        tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    _with_id(folder, "a.yaml", "lower-back-hip")
    _with_id(folder, "b.yaml", "lower-back-hip")
    assert not [i for i in list_routines(folder) if i.error is None and i.id == "lower-back-hip"]
    with pytest.raises(UserError, match="used by more than one file"):
        resolve_routine("lower-back-hip", folder)


def test_a_user_routine_replacing_a_bundled_one_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    mine = _with_id(folder, "my-back.yaml", "lower-back-hip")
    assert main(["list", "--routines-dir", str(folder)]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["lower-back-hip"].endswith("user, replaces bundled")
    assert main(["check", str(mine), str(BUNDLED)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"{mine}: warning: id 'lower-back-hip' is a bundled routine's; "
                                "in your routines folder this file replaces the bundled one"]
    assert f"{BUNDLED}: OK" in out


def test_list_says_when_the_routines_folder_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo"
    assert main(["list", "--routines-dir", str(missing)]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"voice-coach: --routines-dir {missing}: no such folder\n")
    assert main(["list", "--routines-dir", str(GOOD)]) == 1
    assert capsys.readouterr().err == f"voice-coach: --routines-dir {GOOD}: is not a folder\n"
    # The configured (default) folder not existing yet is normal on a fresh install.
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "lower-back-hip" in out
    assert out.splitlines()[-1].startswith("(no routines of your own: the folder ")
    assert out.splitlines()[-1].endswith(" does not exist yet)")


def test_estimate_warning_says_minute_for_one(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("id: short\ntitle: Short\nestimated_minutes: 5\nsections:\n"
                    "  - section: Only\n    blocks:\n      - say: Rest here.\n"
                    "      - hold: 50\n", encoding="utf-8")
    routine = load_routine(path)
    assert round(estimate_seconds(compile_routine(routine), routine.rate) / 60) == 1
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == (f"{path}: warning: estimated_minutes is 5, but the "
                                       "routine adds up to about 1 minute\n")


def test_playing_a_user_routine_that_replaces_a_bundled_one_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    mine = _with_id(folder, "my-back.yaml", "lower-back-hip")
    with caplog.at_level("WARNING"):
        assert resolve_routine("lower-back-hip", folder) == mine
        assert resolve_routine("good-small", GOOD.parent) == GOOD
    assert [r.getMessage() for r in caplog.records] == [
        f"{mine}: your routine replaces the bundled 'lower-back-hip'"]
