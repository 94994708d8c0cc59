"""The run-in rule on hand-built hypotheses (the rule is the unit; the real parser judges)."""

from __future__ import annotations

from collections.abc import Sequence

from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import load_language
from voice_coach.listen.run_in import COMMAND_ONSET_S, run_in_command

# "stop" at 1.0-1.4 s, then the coach's "the" at 1.5-1.7 s.
WORDS = (Word("stop", 0.9, 1.0, 1.4), Word("the", 0.6, 1.5, 1.7))
HYP = Hypothesis("stop the", WORDS, 1.0, 1.7, 2.0)


def coach_from(t: float):
    """``audible`` for a coach whose playback starts at ``t`` s."""
    return lambda words: words[-1].end > t


def residual(db: float):
    return lambda words: db


def parser() -> CommandParser:
    return CommandParser(load_language("en"), "session")


def test_command_before_the_coach_speaks_again_is_kept() -> None:
    found = run_in_command(parser(), HYP, coach_from(1.45), residual(-25.0))
    assert found is not None
    parsed, sub = found
    assert parsed.command == "stop" and sub.text == "stop"
    assert (sub.start, sub.end) == (1.0, 1.4)


def test_words_the_canceller_left_are_a_person_talking_on() -> None:
    assert run_in_command(parser(), HYP, coach_from(1.45), residual(-5.0)) is None


def test_a_command_begun_over_the_coach_is_not_a_run_in() -> None:
    assert run_in_command(parser(), HYP, coach_from(1.0 + COMMAND_ONSET_S / 2),
                          residual(-25.0)) is None
    assert run_in_command(parser(), HYP, coach_from(0.0), residual(-25.0)) is None


def test_extra_words_in_silence_are_not_the_coach() -> None:
    def never(words: Sequence[Word]) -> bool:
        return False

    assert run_in_command(parser(), HYP, never, residual(-25.0)) is None


def test_a_whole_phrase_or_no_phrase_is_not_a_run_in() -> None:
    one = Hypothesis("stop", WORDS[:1], 1.0, 1.4, 1.7)
    assert run_in_command(parser(), one, coach_from(1.45), residual(-25.0)) is None
    other = Hypothesis("the knee", (Word("the", 0.9, 1.0, 1.2), Word("knee", 0.9, 1.5, 1.7)),
                       1.0, 1.7, 2.0)
    assert run_in_command(parser(), other, coach_from(1.45), residual(-25.0)) is None
