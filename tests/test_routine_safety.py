"""Every session hears "stop if something hurts" before its first movement, wherever it starts
(the beginning, a chosen section, a resumed place, "next" during the opening), and the effort
line before each effortful part (docs/safety.md). The bundled routines are compiled and played
by the real Session on a virtual clock from every section start; one is rendered for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_session import Driver

from voice_coach.cli import main
from voice_coach.core import replies
from voice_coach.core.actions import Speak
from voice_coach.core.sentences import split_sentences
from voice_coach.errors import UserError
from voice_coach.routine import bundled_dir, compile_routine, load_routine, parse_routine
from voice_coach.routine.model import Routine

BUNDLED = sorted(bundled_dir().glob("*.yaml"))


def spoken_until_first_movement(routine: Routine, start: int, commands: dict[float, str]
                                ) -> tuple[list[str], str]:
    """What the Session says from cue ``start`` (with ``commands`` at virtual seconds) until
    the first movement: the first cue sentence that is neither the routine's opening (cue 0)
    nor a safety line. Returns (everything said before it: a cue's whole text once, each
    reply; the movement's first sentence)."""
    from voice_coach.app.prepare import Prepared, make_session

    cues = compile_routine(routine)
    session = make_session(Prepared(routine, cues, start), 1.0, 0.8)
    driver = Driver(session)
    driver.start()
    said: list[str] = []
    pending = dict(commands)
    while True:
        for at in [t for t in pending if t <= driver.now]:
            driver.command(pending.pop(at))
        while len(said) < len(driver.heard):
            speak: Speak = driver.heard[len(said)][1]
            cue = None if speak.cue_index is None else cues[speak.cue_index]
            if cue is not None and cue.index != 0 and not cue.safety:
                return said, speak.text
            text = speak.text if cue is None else cue.text or ""
            said.append("" if said and text == said[-1] and cue is not None else text)
        assert driver.now < 600, "no movement in ten minutes"
        driver.step()


def section_starts(routine: Routine) -> list[int]:
    cues = compile_routine(routine)
    return [next(c.index for c in cues if c.section == s) for s in range(len(routine.sections))]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_a_safety_line_comes_before_the_first_movement_from_every_section(path: Path) -> None:
    routine = load_routine(path)
    for number, start in enumerate(section_starts(routine), 1):
        said, movement = spoken_until_first_movement(routine, start, {})
        expected = routine.safety.first if start == 0 else routine.safety.again
        assert any(expected in text for text in said), (number, said, movement)
    cues = compile_routine(routine)
    assert cues[1].safety and cues[1].text == routine.safety.first  # right after the opening


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_a_resumed_session_hears_the_short_line_first(path: Path) -> None:
    # A saved place can be any cue, in the middle of a section.
    routine = load_routine(path)
    cues = compile_routine(routine)
    for start in range(2, len(cues), 7):
        said, _ = spoken_until_first_movement(routine, start, {})
        assert said and said[0].startswith("Continuing at section"), said
        assert said[0].endswith(routine.safety.again), said


def test_next_during_the_opening_still_hears_the_short_line() -> None:
    routine = load_routine(bundled_dir() / "lower-back-hip.yaml")
    said, movement = spoken_until_first_movement(routine, 0, {1.0: "next"})
    assert said[-1] == f"Section 2 of 10, Right hip opener. {routine.safety.again}", said
    assert routine.safety.first not in said
    assert "Bend your right knee" in movement


def test_the_short_line_is_not_repeated_once_the_first_was_heard() -> None:
    from voice_coach.app.prepare import Prepared, make_session

    routine = load_routine(bundled_dir() / "lower-back-hip.yaml")
    cues = compile_routine(routine)
    driver = Driver(make_session(Prepared(routine, cues, 0), 1.0, 0.8))
    driver.start()
    driver.run_until(lambda: driver.session.cue_index > 1)
    driver.command("next")
    driver.run_for(1.0)
    texts = [s.text for _, s in driver.heard]
    first = split_sentences(routine.safety.first)
    assert texts.count(first[0]) == 1 and texts.index(first[0]) < texts.index("Section 2 of 10, "
                                                                             "Right hip opener.")
    assert not any(routine.safety.again in t for t in texts), texts


def test_the_effort_line_comes_before_each_effortful_part() -> None:
    routine = load_routine(bundled_dir() / "lower-back-hip.yaml")
    cues = compile_routine(routine)
    effort = [c for c in cues if c.safety and c.text == routine.safety.effort]
    after = [cues[c.index + 1] for c in effort]
    # The long flatten hold (the effort line before its "Last one"), then for each side the
    # clamshells and the side-lying stretch, each opened by the line.
    assert [c.text for c in after][:1] == ["Last one. Breathe in and arch."]
    assert [c.section_title for c in effort[1:]] == [
        "Right clamshells", "Right side-lying hip stretch", "Left clamshells",
        "Left side-lying hip stretch"]
    starts = section_starts(routine)
    assert all(c.index in starts for c in effort[1:])
    long_hold = next(c for c in cues[after[0].index:] if c.kind == "hold")
    assert long_hold.seconds >= 20 and long_hold.section == after[0].section
    # Started at the clamshells: the short line, then the effort line.
    number = next(n for n, s in enumerate(starts) if cues[s].section_title == "Right clamshells")
    said, _ = spoken_until_first_movement(routine, starts[number], {})
    assert said[0].endswith(routine.safety.again) and said[1] == routine.safety.effort


def test_the_opening_asks_to_check_with_a_clinician() -> None:
    cues = compile_routine(load_routine(bundled_dir() / "lower-back-hip.yaml"))
    assert "clinician" in (cues[0].text or "")


HEAD = "title: T\nsections:\n  - section: A\n    blocks:\n"


def test_a_routine_says_its_own_safety_words_and_marks_effort() -> None:
    routine = parse_routine(
        "title: T\nsafety:\n  first: Careful now.\n  again: Still careful.\n"
        "  effort: Hard part.\nsections:\n  - section: A\n    blocks:\n"
        "      - pause: 2\n      - repeat: 2\n        blocks:\n"
        "          - say: Lift.\n            effortful: true\n"
        "  - section: B\n    effortful: true\n    blocks:\n      - say: Push.\n",
        Path("t.yaml"))
    cues = compile_routine(routine)
    # No spoken opening: the first line comes first; the effort line before each effortful
    # block (inside the repeat too) and at the start of an effortful section.
    assert [(c.text, c.safety) for c in cues if c.text] == [
        ("Careful now.", True), ("Hard part.", True), ("Lift.", False), ("Hard part.", True),
        ("Lift.", False), ("Hard part.", True), ("Push.", False)]
    assert routine.safety.again == "Still careful."


@pytest.mark.parametrize(("text", "where", "fragment"), [
    ("title: T\nsafety:\n  firts: Careful.\n" + HEAD[9:] + "      - pause: 1\n", "3:3",
     "unknown key 'firts'"),
    ("title: T\nsafety: Careful.\n" + HEAD[9:] + "      - pause: 1\n", "2:9", "safety lines"),
    (HEAD + "      - say: Lift.\n        effortful: yes please\n", "6:20", "true or false"),
    (HEAD + "      - sides:\n        effortful: true\n        blocks:\n          - say: A.\n",
     "6:9", "unknown key 'effortful' for sides"),
])
def test_bad_safety_keys_name_the_line(text: str, where: str, fragment: str) -> None:
    with pytest.raises(UserError) as err:
        parse_routine(text, Path("t.yaml"))
    assert str(err.value).startswith(f"t.yaml:{where}:") and fragment in str(err.value), err.value


def test_a_rendered_session_from_a_chosen_section_says_it(tmp_path: Path) -> None:
    # The real app path: `simulate --from-section` renders with Piper and logs what was said.
    log = tmp_path / "events.jsonl"
    assert main(["simulate", "lower-back-hip", "--from-section", "6", "--to",
                 str(tmp_path / "out.wav"), "--log", str(log), "--max-seconds", "45"]) == 0
    said = [e["detail"]["text"] for e in map(json.loads, log.read_text().splitlines())
            if e["kind"] == "say"]
    assert said[0] == f"Continuing at section 6 of 10, Right clamshells. {replies.SAFETY_AGAIN}"
    effort = split_sentences(replies.SAFETY_EFFORT)
    assert said[1:1 + len(effort)] == list(effort)
    assert "roll onto your left side" in said[1 + len(effort)]
