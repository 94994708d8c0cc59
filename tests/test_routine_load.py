"""Loading and validating routine YAML: the good files load, each bad file names FILE:LINE:COL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voice_coach.errors import UserError
from voice_coach.routine import (
    Breathe,
    Hold,
    Pause,
    Repeat,
    Say,
    Sides,
    bundled_dir,
    load_routine,
    parse_routine,
)

DATA = Path(__file__).parent / "data" / "routines"
BAD_FILES = sorted((DATA / "bad").glob("*.yaml"))


def expected_error(path: Path) -> str:
    """Each bad fixture starts with ``# expect: LINE:COL: message start``."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# expect: (.+)", first)
    assert match, f"{path} lacks an '# expect:' line"
    return match.group(1)


def test_there_are_bundled_routines_and_all_load() -> None:
    files = sorted(bundled_dir().glob("*.yaml"))
    assert any(p.stem == "lower-back-hip" for p in files)
    for path in files:
        routine = load_routine(path)
        assert routine.id == path.stem
        assert routine.title and routine.sections


def test_good_fixture_model() -> None:
    routine = load_routine(DATA / "good-small.yaml")
    assert routine.id == "good-small"
    assert (routine.title, routine.language) == ("Small test routine", "en")
    assert routine.rate == pytest.approx(0.9)
    assert routine.estimated_minutes == pytest.approx(2.0)
    assert routine.description == "A tiny routine used by the tests."
    assert routine.path == DATA / "good-small.yaml"
    # The top-level sides template of a section becomes one section per side.
    assert [s.title for s in routine.sections] == ["Start", "Right leg", "Left leg", "Tilts"]
    start = routine.sections[0].blocks
    assert start[0] == Say("Lie down. Get comfortable.")
    assert start[1] == Pause(2.5)
    assert start[2] == Breathe(count=2, inhale=4, exhale=6, hold=1, cues=("In.", "Out."),
                               hold_cue="Hold.", spoken=1)
    right = routine.sections[1].blocks
    assert right[0] == Say("Lift the right leg, keep the left leg down.")
    assert right[1] == Hold(10, countdown=3, text="Left leg stays heavy.")
    tilts = routine.sections[3].blocks
    assert isinstance(tilts[0], Repeat) and tilts[0].times == 3
    assert tilts[0].blocks == (Say("Arch."), Pause(1))
    # A sides block inside a section keeps its template until compile time.
    assert isinstance(tilts[1], Sides) and tilts[1].sides == ("right", "left")
    assert tilts[1].blocks == (Say("Turn to the {side}."), Hold(5))


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_routine_names_file_line_and_problem(path: Path) -> None:
    with pytest.raises(UserError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{expected_error(path)}"), message


def test_bad_fixtures_cover_the_required_mistakes() -> None:
    names = {p.stem for p in BAD_FILES}
    assert {"unknown-block", "unknown-key", "negative-seconds", "non-number-seconds",
            "missing-text", "bad-side", "repeat-without-blocks", "empty-section",
            "empty-sections", "unknown-placeholder", "yaml-syntax"} <= names


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nowhere\.yaml: cannot read routine"):
        load_routine(tmp_path / "nowhere.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"empty\.yaml:1:1: empty file"):
        load_routine(empty)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"latin\.yaml: not UTF-8"):
        load_routine(latin)


def test_id_defaults_to_the_file_name() -> None:
    routine = parse_routine("title: T\nsections: [{section: S, blocks: [{say: Hi.}]}]\n",
                            Path("My Morning Routine.yaml"))
    assert routine.id == "my-morning-routine"
    assert routine.rate == 1.0 and routine.language == "en" and routine.estimated_minutes is None


def test_text_keeps_yaml_words_as_written() -> None:
    # "Yes" would be a boolean to a plain YAML loader; for a coach it is a word to say.
    routine = parse_routine("title: T\nsections: [{section: S, blocks: [{say: Yes}]}]\n",
                            Path("t.yaml"))
    assert routine.sections[0].blocks[0] == Say("Yes")


def test_breathe_hold_option_is_not_a_second_block() -> None:
    source = ("title: T\nsections:\n  - section: S\n    blocks:\n"
              "      - breathe: 1\n        inhale: 2\n        exhale: 3\n        hold: 4\n")
    block = parse_routine(source, Path("t.yaml")).sections[0].blocks[0]
    assert block == Breathe(count=1, inhale=2, exhale=3, hold=4)


@pytest.mark.parametrize(("snippet", "at", "fragment"), [
    ("{sides: [left, left], blocks: [{say: x}]}", "left]", "listed twice"),
    ("{sides: , blocks: [{sides: , blocks: [{say: x}]}]}", "{sides: , blocks: [{say",
     "cannot be inside"),
    ("{hold: 0}", "0", "hold seconds is too small"),
    ("{pause: true}", "true", "pause seconds must be a number"),
    ("{breathe: 2, inhale: 3, exhale: 3, spoken: 3}", "3}", "spoken is 3"),
    ("{breathe: 2, inhale: 3, exhale: 3, cues: [In.]}", "[In.]", "must be two texts"),
    ("{pause: 5000}", "5000", "too large"),
    ("{say: Hi., section: X}", "section", "unknown key 'section' for say"),
])
def test_more_mistakes_inline(snippet: str, at: str, fragment: str) -> None:
    """The error points at the first character of ``at`` within the snippet."""
    prefix = "  - {section: S, blocks: ["
    source = f"title: T\nsections:\n{prefix}{snippet}]}}\n"
    column = len(prefix) + snippet.index(at) + 1
    with pytest.raises(UserError) as caught:
        parse_routine(source, Path("t.yaml"))
    message = str(caught.value)
    assert message.startswith(f"t.yaml:3:{column}:") and fragment in message, message


def test_closing_words_are_read_and_may_not_be_empty() -> None:
    body = "title: T\nsections:\n  - section: S\n    blocks: [{say: Hi.}]\n"
    assert parse_routine(body, Path("t.yaml")).closing == ""
    routine = parse_routine(body + "closing: >\n  Rest now.\n  Sleep well.\n", Path("t.yaml"))
    assert routine.closing == "Rest now. Sleep well."
    with pytest.raises(UserError, match=r"^t\.yaml:5:\d+: missing text"):
        parse_routine(body + "closing: ''\n", Path("t.yaml"))
