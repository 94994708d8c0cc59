"""The routine as data: frozen dataclasses produced by the loader, read by the compiler."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, overload

from voice_coach.core import replies

SIDES: tuple[str, ...] = ("right", "left")
"""Sides a ``sides`` block may name, in their default order."""

OTHER_SIDE: dict[str, str] = {"right": "left", "left": "right"}


@dataclass(frozen=True)
class Say:
    """Speak an instruction (it may hold several sentences)."""

    text: str
    """Words to speak, whitespace already normalised."""


@dataclass(frozen=True)
class Pause:
    """Silence."""

    seconds: float
    """Length of the silence in seconds at pace 1.0."""


BREATH_CUES = ("Breathe in.", "And out.")
"""What is said at each inhale and exhale unless the routine says otherwise."""


@dataclass(frozen=True)
class Breathe:
    """Paced breaths: an inhale word, an exhale word, optionally a held breath between."""

    count: int
    """Number of breaths."""
    inhale: float
    """Seconds for each inhale."""
    exhale: float
    """Seconds for each exhale."""
    hold: float = 0.0
    """Seconds to hold the breath after each inhale (0 = no hold)."""
    cues: tuple[str, str] = BREATH_CUES
    """Words spoken at the start of each inhale and each exhale."""
    hold_cue: str | None = None
    """Word spoken when the breath is held (``None`` = silent hold)."""
    spoken: int | None = None
    """How many breaths get spoken cue words; later breaths are silent pacing
    (``None`` = every breath)."""


@dataclass(frozen=True)
class Hold:
    """Stay in a position for a time, optionally with a spoken countdown at the end."""

    seconds: float
    """Total length of the hold in seconds at pace 1.0."""
    countdown: int = 0
    """Speak the numbers of the last ``countdown`` seconds ("Three. Two. One.")."""
    text: str | None = None
    """Instruction spoken as the hold starts (``None`` = silent)."""


@dataclass(frozen=True)
class Repeat:
    """Run ``blocks`` ``times`` times in a row."""

    times: int
    """How many times (at least 1)."""
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Sides:
    """A template run once per side, with ``{side}``/``{other_side}`` filled in."""

    sides: tuple[str, ...]
    """Sides in the order they are run, each one of :data:`SIDES`."""
    blocks: tuple[Block | Section, ...]
    """Template blocks (whole sections at the top level); their texts may hold ``{side}``,
    ``{Side}``, ``{other_side}``, ``{Other_side}``."""


@dataclass(frozen=True)
class SafetyLine:
    """Where the routine's safety line of ``kind`` is said (docs/safety.md): placed by the
    compiler ("first") and before ``effortful`` sections and blocks ("effort")."""

    kind: Literal["first", "effort"]


Block = Say | Pause | Breathe | Hold | Repeat | Sides | SafetyLine


@dataclass(frozen=True)
class Section:
    """A named chapter: the unit that "next" and "back" move by."""

    title: str
    """Spoken by "status" and shown in progress lines."""
    blocks: tuple[Block, ...]
    """Top-level blocks; a cue's ``step`` is the index of its block in this tuple."""
    effortful: bool = False
    """Hard work (a long hold, strength): the routine's effort line opens the section."""


@dataclass(frozen=True)
class Safety:
    """What the coach says so that nobody works through pain (docs/safety.md)."""

    first: str = replies.SAFETY_FIRST
    """Before the first movement of a session that starts at the beginning (the compiler
    puts it right after the routine's opening)."""
    again: str = replies.SAFETY_AGAIN
    """Short form, said by the Session when a session starts anywhere else (resumed, from a
    chosen section) or jumps past the first line before it was heard."""
    effort: str = replies.SAFETY_EFFORT
    """Before each effortful section or block."""


@dataclass(frozen=True)
class Routine:
    """A whole validated routine file."""

    id: str
    """Short name used on the command line (``voice-coach play ID``)."""
    title: str
    """Human title."""
    language: str
    """Language code of the texts, such as ``en``."""
    rate: float
    """Speaking speed the routine was written for (1.0 = the voice's natural speed)."""
    estimated_minutes: float | None
    """Author's estimate of the length in minutes, if given."""
    sections: tuple[Section, ...]
    """The chapters, in order (never empty)."""
    path: Path
    """File the routine was loaded from."""
    description: str = ""
    """Optional one-paragraph description."""
    closing: str = ""
    """Said once the routine is complete ("Sleep well."); empty: the coach's generic line."""
    safety: Safety = Safety()
    """The routine's safety lines (its ``safety:`` key, else the coach's own)."""


PLACEHOLDERS: tuple[str, ...] = ("side", "Side", "other_side", "Other_side")
"""Names that may appear in braces inside a ``sides`` template."""


def side_values(side: str) -> dict[str, str]:
    """The text each placeholder stands for while running ``side``."""
    other = OTHER_SIDE[side]
    return {"side": side, "Side": side.capitalize(), "other_side": other,
            "Other_side": other.capitalize()}


def fill_text(text: str, side: str) -> str:
    """``text`` with every placeholder replaced for ``side`` (the loader has vetted them)."""
    for name, value in side_values(side).items():
        text = text.replace("{" + name + "}", value)
    return text


@overload
def fill_block(block: Section, side: str) -> Section: ...
@overload
def fill_block(block: Block, side: str) -> Block: ...
@overload
def fill_block(block: Block | Section, side: str) -> Block | Section: ...
def fill_block(block: Block | Section, side: str) -> Block | Section:
    """A copy of ``block`` with the placeholders of all its texts filled in for ``side``."""
    match block:
        case Say(text=text):
            return Say(fill_text(text, side))
        case Hold(text=str() as text):
            return replace(block, text=fill_text(text, side))
        case Breathe():
            cues = (fill_text(block.cues[0], side), fill_text(block.cues[1], side))
            hold_cue = fill_text(block.hold_cue, side) if block.hold_cue else None
            return replace(block, cues=cues, hold_cue=hold_cue)
        case Repeat():
            return replace(block, blocks=tuple(fill_block(b, side) for b in block.blocks))
        case Sides():
            return replace(block, blocks=tuple(fill_block(b, side) for b in block.blocks))
        case Section():
            return Section(fill_text(block.title, side),
                           tuple(fill_block(b, side) for b in block.blocks), block.effortful)
    return block
