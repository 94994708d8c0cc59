"""The listener's checks with the fit, on a direct echo path (real Piper coach, Festival user):
words before a command that the playback explains are the coach's, so a command right after
them is the user's own; the same command right after the user's own words is the rest of
that sentence, as before."""

from __future__ import annotations

from typing import NoReturn

import numpy as np
import pytest
from coach_line import DELAY, RATE, coach_line

from voice_coach.listen.accept.acceptance import Acceptance, WordClock
from voice_coach.listen.accept.echo_gate import EnergyLog, GateParams, ReferenceDecoder
from voice_coach.listen.accept.speech_check import SpeechCheck
from voice_coach.listen.audio_ring import AudioRing
from voice_coach.listen.echo.delay import DelayEstimator
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.engines.base import Hypothesis, Word
from voice_coach.listen.parser import CommandParser, ParsedCommand
from voice_coach.listen.phrases import PhraseTable, load_language
from voice_coach.sim.speakers import UserVoices

CLOCK = WordClock(origin=0.0, offset=0, latency=0)


@pytest.fixture(scope="module")
def coach16() -> np.ndarray:
    return coach_line()


def no_decoder(table: PhraseTable) -> NoReturn:
    raise AssertionError("the playback is not decoded in these scenes")


def voiced(x: np.ndarray, at: int) -> tuple[float, float]:
    """Seconds where ``x``, placed at sample ``at``, is voiced (its first to last loud sample)."""
    loud = np.flatnonzero(np.abs(x) > 0.1 * np.abs(x).max())
    return (at + loud[0]) / RATE, (at + loud[-1]) / RATE


def words(text: str, span: tuple[float, float]) -> Hypothesis:
    return Hypothesis(text, (Word(text, 0.9, *span),), span[0], span[1], span[1])


def judge_next_after(coach16: np.ndarray, user_voices: UserVoices, other_is_user: bool
                     ) -> ParsedCommand | str:
    echo = 0.5 * np.concatenate([np.zeros(DELAY, np.float32), coach16])[:len(coach16)]
    mic = echo.copy()
    level = 2 * float(np.std(echo))
    other_at = round(2.0 * RATE)
    if other_is_user:
        said = user_voices.say("keep going", "festival:kal")
        mic[other_at:other_at + len(said)] += said * (level / float(np.std(said)))
        other = voiced(said, other_at)
    else:
        other = (2.0, 2.8)  # the coach's words, as the recognizer may hear them
    nxt = user_voices.say("next", "festival:kal")
    next_at = round((other[1] + 0.2) * RATE) - int(np.argmax(np.abs(nxt) > 0.1 * np.abs(nxt).max()))
    mic[next_at:next_at + len(nxt)] += nxt * (level / float(np.std(nxt)))
    ring = AudioRing(30.0)
    ring.add(mic)
    playback = ReferenceBuffer(RATE)
    playback.tap(np.concatenate([coach16, np.zeros(RATE, np.float32)]), 0.0)
    accept = Acceptance(EnergyLog(), SpeechCheck(), ring, DelayEstimator(RATE), GateParams(),
                        echo_check=True)
    accept.played(coach16)  # the cancellers have heard the coach for seconds
    table = load_language("en")
    accept.not_a_command(words("keep going", other), CLOCK, playback)
    span = voiced(nxt, next_at)
    return accept.judge(words("next", span), ParsedCommand("next", 0.9, "next", span[1]), CLOCK,
                        playback, CommandParser(table, "session"),
                        ReferenceDecoder(no_decoder, table))


def test_a_command_right_after_the_coachs_words_is_the_users(
        coach16: np.ndarray, user_voices: UserVoices) -> None:
    judged = judge_next_after(coach16, user_voices, other_is_user=False)
    assert isinstance(judged, ParsedCommand) and judged.command == "next", judged


def test_a_command_right_after_the_users_own_words_is_the_rest_of_them(
        coach16: np.ndarray, user_voices: UserVoices) -> None:
    judged = judge_next_after(coach16, user_voices, other_is_user=True)
    assert isinstance(judged, str) and judged.startswith("follows other speech"), judged
