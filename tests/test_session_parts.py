"""The Session's helpers: sentence splitting, section arithmetic, reply texts."""

from __future__ import annotations

import pytest

from voice_coach.core import replies
from voice_coach.core.cues import Cue
from voice_coach.core.navigation import Sections, repeat_target
from voice_coach.core.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lie down.  Let your knees\nfall open!", ("Lie down.", "Let your knees fall open!")),
        ("Is that comfortable? Good.", ("Is that comfortable?", "Good.")),
        ("Breathe in... and out.", ("Breathe in... and out.",)),
        ('He said "rest." Then relax.', ('He said "rest."', "Then relax.")),
        (
            "Use a pillow, e.g. A folded towel. Rest.",
            ("Use a pillow, e.g. A folded towel.", "Rest."),
        ),
        ("Meet at 3 p.m. today.", ("Meet at 3 p.m. today.",)),
        ("Hold. 3. 2. 1.", ("Hold.", "3.", "2.", "1.")),
        ("무릎을 세우세요. 숨을 쉬세요.", ("무릎을 세우세요.", "숨을 쉬세요.")),
        ("好。很好。", ("好。", "很好。")),
        ("No final stop", ("No final stop",)),
        ("", ()),
        ("   ", ()),
        (None, ()),
    ],
)
def test_split_sentences(text: str | None, expected: tuple[str, ...]) -> None:
    assert split_sentences(text) == expected


def cue(index: int, section: int, kind: str = "say", step: int = 0) -> Cue:
    return Cue(index, section, f"S{section}", step, kind, "Text.", 0.0)  # type: ignore[arg-type]


def test_sections_are_counted_by_position_even_if_numbered_sparsely() -> None:
    cues = [cue(0, 0), cue(1, 0), cue(2, 5), cue(3, 9), cue(4, 9)]
    sections = Sections.of(cues)
    assert sections.starts == (0, 2, 3)
    assert [sections.position(i) for i in range(5)] == [0, 0, 1, 2, 2]
    assert [sections.next_start(i) for i in range(5)] == [2, 2, 3, None, None]
    assert sections.start_of(4) == 3


def test_back_target_depends_on_how_far_into_the_section() -> None:
    sections = Sections((0, 3, 6))
    assert sections.back_target(3, 0.5, grace=4.0) == 0
    assert sections.back_target(3, 5.0, grace=4.0) == 3
    assert sections.back_target(5, 0.0, grace=4.0) == 3
    assert sections.back_target(0, 0.0, grace=4.0) == 0


def test_repeat_target_skips_pacing_cues_and_stays_in_the_section() -> None:
    cues = [
        cue(0, 0, "say", 0),
        cue(1, 1, "breath", 0),
        cue(2, 1, "breath", 0),
        cue(3, 1, "say", 1),
        cue(4, 1, "hold", 1),
        cue(5, 1, "count", 2),
    ]
    sections = Sections.of(cues)
    assert repeat_target(cues, sections, 5) == 3
    assert repeat_target(cues, sections, 3) == 3
    # No instruction earlier in section 1: the step's first cue, not section 0's "say".
    assert repeat_target(cues, sections, 2) == 1


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (10, "Less than a minute left."),
        (89, "About 1 minute left."),
        (91, "About 2 minutes left."),
        (540, "About 9 minutes left."),
    ],
)
def test_minutes_phrase(seconds: float, phrase: str) -> None:
    assert replies.minutes_phrase(seconds) == phrase


def test_replies_are_short_and_status_has_the_numbers() -> None:
    assert all(len(text.split()) <= 20 for text in replies.ALL_FIXED)
    assert replies.status(3, 8, "Pelvic tilts", 540, "playing") == (
        "Section 3 of 8, Pelvic tilts. About 9 minutes left."
    )
    assert replies.section_phrase(2, 4, "") == "Section 2 of 4."
