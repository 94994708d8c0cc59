"""A command said in the coach's pause with the coach's next words run into the same utterance.

The user says "stop" just before the coach speaks again, and the recognizer hears "stop the"
(the coach's "the..." through the canceller's residue). The strict parser rejects it for the
extra word; this rule accepts the command inside it when the extra words are plainly the
coach's: the playback was audible under each of them, AEC3 left little of them (someone who
talks on leaves their own voice), and the command itself began while the playback was silent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.parser import CommandParser, ParsedCommand

COMMAND_ONSET_S = 0.25
"""Start of a command during which the coach must have been silent for its run-in words to be
put down to the coach, s."""
RUN_IN_MAX_RESIDUAL_DB = -15.0
"""AEC3's output over the echo it removed during run-in words, at most (dB): the coach's
own words leave -25 dB or less, a person who talks on leaves their voice."""


def run_in_command(
    parser: CommandParser,
    hyp: Hypothesis,
    audible: Callable[[Sequence[Word]], bool],
    residual_db: Callable[[Sequence[Word]], float],
) -> tuple[ParsedCommand, Hypothesis] | None:
    """The command inside ``hyp`` and the hypothesis of its words, or None.

    ``audible(words)``: whether the coach's playback had sound during those words;
    ``residual_db(words)``: AEC3's output over the echo it removed during them, dB.
    """
    if len(hyp.words) < 2:
        return None
    found = parser.embedded(hyp)
    if found is None:
        return None
    parsed, sub = found
    own = {id(w) for w in sub.words}
    extra = [w for w in hyp.words if id(w) not in own]
    first = sub.words[0]
    onset = Word(first.word, first.confidence, first.start,
                 min(first.end, first.start + COMMAND_ONSET_S))
    if audible([onset]) or not all(audible([w]) for w in extra):
        return None
    if residual_db(extra) > RUN_IN_MAX_RESIDUAL_DB:
        return None
    return parsed, sub
