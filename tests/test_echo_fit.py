"""echo_fit on real Piper speech and a Festival user: the coach's voice through a direct
path is explained even while its lag jumps (a new output stream); a user's voice over it is
not; a reverberant room gives no verdict (the cancellers' tests cover it)."""

from __future__ import annotations

import numpy as np
import pytest
from coach_line import DELAY, RATE, coach_line, delayed, said_over

from voice_coach.listen.accept.echo_fit import BLOCK, TAPS, echo_share
from voice_coach.listen.accept.echo_gate import GateParams, fit_clears
from voice_coach.sim.room import RoomParams, render
from voice_coach.sim.speakers import UserVoices

LATE, EARLY = 8000, 1600  # what the listener searches: 0.5 s late, 0.1 s early


@pytest.fixture(scope="module")
def coach16() -> np.ndarray:
    return coach_line()


def share(mic: np.ndarray, playback: np.ndarray, start: int, end: int) -> float:
    """echo_share of mic[start:end], with the playback around it as the listener reads it."""
    pad = np.zeros(LATE + EARLY + 2 * TAPS + len(mic), np.float32)
    ref = np.concatenate([pad[:LATE + TAPS], playback, pad])
    return echo_share(mic[start:end], ref[start:end + LATE + EARLY + 2 * TAPS], LATE, EARLY)


def loud_span(x: np.ndarray, seconds: float = 0.5) -> tuple[int, int]:
    """The loudest ``seconds`` of x, as a word span would be."""
    n = round(seconds * RATE)
    energy = np.convolve(x.astype(np.float64) ** 2, np.ones(n), "valid")
    start = int(np.argmax(energy))
    return start, start + n


def test_the_coach_through_a_direct_path_is_explained(coach16: np.ndarray) -> None:
    mic = delayed(coach16, DELAY) + 1e-4 * np.random.default_rng(0).standard_normal(
        len(coach16)).astype(np.float32)
    start, end = loud_span(mic)
    assert share(mic, coach16, start, end) > 0.9


def test_an_echo_whose_lag_jumps_mid_word_is_still_explained(coach16: np.ndarray) -> None:
    # A new output stream: its first blocks sit 150 samples later than the rest.
    start, end = loud_span(delayed(coach16, DELAY))
    jump = start + 4 * BLOCK
    mic = np.concatenate([delayed(coach16, DELAY + 150)[:jump], delayed(coach16, DELAY)[jump:]])
    assert share(mic, coach16, start, end) > 0.9


def test_a_user_over_the_coach_is_not_explained(coach16: np.ndarray,
                                                 user_voices: UserVoices) -> None:
    word = user_voices.say("pause", "festival:kal")
    echo = delayed(coach16, DELAY)
    start, _ = loud_span(echo)
    mic, said = said_over(echo, word, start)  # as loud as the echo
    voiced = np.flatnonzero(np.abs(said) > 0.1 * np.abs(said).max())
    assert share(mic, coach16, start + voiced[0], start + voiced[-1]) < 0.1
    # The same span without the user is the coach's.
    assert share(echo, coach16, start + voiced[0], start + voiced[-1]) > 0.9


ROOM = RoomParams(delay_s=0.060, echo_gain_db=-6.0, reverb_rt60_s=0.4, distortion=0.1,
                  noise_db=-55.0, seed=3)


def test_a_reverberant_room_gives_no_verdict(coach16: np.ndarray) -> None:
    mic = render(coach16, RATE, ROOM)
    start, end = loud_span(mic)
    assert share(mic, coach16, start, end) < 0.5


@pytest.mark.parametrize("reverberant", [False, True])
def test_the_fit_clears_a_user_only_where_it_follows_the_coach(
        coach16: np.ndarray, user_voices: UserVoices, reverberant: bool) -> None:
    echo = render(coach16, RATE, ROOM) if reverberant else delayed(coach16, DELAY)
    word = user_voices.say("pause", "festival:kal")
    start = round(2.5 * RATE)  # mid-sentence: the coach speaks through the context before
    mic = echo.copy()
    mic[start:start + len(word)] += word * (np.std(echo) / np.std(word))
    voiced = np.flatnonzero(np.abs(word) > 0.1 * np.abs(word).max())
    first, last = start + voiced[0], start + voiced[-1]
    gate = GateParams()
    guard = first - round(gate.fit_guard_s * RATE)
    context = share(mic, coach16, guard - round(gate.fit_context_s * RATE), guard)
    clears = fit_clears(share(mic, coach16, first, last), context, gate)
    assert clears is not reverberant


def test_silent_playback_explains_nothing(coach16: np.ndarray) -> None:
    start, end = loud_span(coach16)
    assert share(coach16, np.zeros_like(coach16), start, end) == 0.0


def test_a_playback_too_short_for_the_search_is_refused() -> None:
    with pytest.raises(ValueError):
        echo_share(np.ones(800, np.float32), np.ones(800, np.float32), LATE, EARLY)
