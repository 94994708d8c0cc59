"""Where "next", "back" and "repeat" land: index arithmetic over the compiled cue list."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from voice_coach.core.cues import Cue


@dataclass(frozen=True)
class Sections:
    """The sections of a cue list, by the index of their first cue.

    Sections are counted by position (a new section starts wherever ``cue.section``
    changes), so "section 3 of 8" is right even if the compiler numbered them sparsely.
    """

    starts: tuple[int, ...]
    """Index of the first cue of each section, ascending; ``(0,)``-based, empty for no cues."""

    @classmethod
    def of(cls, cues: Sequence[Cue]) -> Sections:
        starts = [i for i, cue in enumerate(cues) if i == 0 or cue.section != cues[i - 1].section]
        return cls(tuple(starts))

    @property
    def count(self) -> int:
        return len(self.starts)

    def position(self, cue_index: int) -> int:
        """0-based position of the section holding ``cue_index``."""
        return max(0, bisect_right(self.starts, cue_index) - 1)

    def start_of(self, cue_index: int) -> int:
        """Index of the first cue of the section holding ``cue_index``."""
        return self.starts[self.position(cue_index)] if self.starts else 0

    def next_start(self, cue_index: int) -> int | None:
        """First cue of the following section, or None in the last section."""
        following = self.position(cue_index) + 1
        return self.starts[following] if following < self.count else None

    def back_target(self, cue_index: int, seconds_into_cue: float, grace: float) -> int:
        """Start of this section, or of the previous one when we are right at the start.

        Like a music player's "previous": once past the section's first cue (or more than
        ``grace`` seconds into it) "back" means "again from the top of this section"; at
        its very beginning it means the section before.
        """
        start = self.start_of(cue_index)
        if cue_index > start or seconds_into_cue > grace:
            return start
        previous = self.position(cue_index) - 1
        return self.starts[previous] if previous >= 0 else start


def repeat_target(cues: Sequence[Cue], sections: Sections, cue_index: int) -> int:
    """The last instruction ("say" cue) at or before ``cue_index`` within its section.

    Breath and count words are pacing, not instructions, so they are skipped. Without an
    instruction earlier in the section, the current step starts again from its first cue.
    """
    start = sections.start_of(cue_index)
    for index in range(cue_index, start - 1, -1):
        if cues[index].is_instruction:
            return index
    step = cues[cue_index].step
    index = cue_index
    while index > start and cues[index - 1].step == step:
        index -= 1
    return index
