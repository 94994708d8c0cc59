"""coach_alone on real Piper speech and a Festival user: the coach's voice through a direct
path is the coach's alone block by block, also a little off the aligner's delay; a user's
word over it is not, nor is anything in a reverberant room; the mask is on the cleaned
clock."""

from __future__ import annotations

import numpy as np
import pytest
from coach_line import DELAY, RATE, coach_line, delayed, said_over
from test_echo_fit import ROOM, loud_span

from voice_coach.listen.echo.coach_alone import ALONE, BLOCK, DRY, CoachAlone
from voice_coach.sim.room import render
from voice_coach.sim.speakers import UserVoices


@pytest.fixture(scope="module")
def coach16() -> np.ndarray:
    return coach_line()


def masked(mic: np.ndarray, playback: np.ndarray, delay: int | None, latency: int = 0
           ) -> np.ndarray:
    """The mask over the whole of ``mic``, fed in 20 ms blocks as the listener does."""
    alone = CoachAlone(latency)
    return np.concatenate([alone.process(mic[s:s + BLOCK], _reader(playback, s), delay)[0]
                           == ALONE for s in range(0, len(mic) - BLOCK + 1, BLOCK)])


def loud_blocks(x: np.ndarray) -> np.ndarray:
    """Per block of ``x``: whether it is within 30 dB of the loudest block."""
    n = len(x) // BLOCK * BLOCK
    power = np.mean(x[:n].reshape(-1, BLOCK).astype(np.float64) ** 2, axis=1)
    return power > power.max() * 1e-3


def test_the_coach_alone_through_a_direct_path_is_found(coach16: np.ndarray) -> None:
    mic = delayed(coach16, DELAY)
    alone = masked(mic, coach16, DELAY)[::BLOCK]
    loud = loud_blocks(mic)
    assert alone[loud].mean() > 0.95
    # 1.5 ms off the delay the aligner keeps (it moves the reference for 1 ms and more).
    assert masked(mic, coach16, DELAY - 24)[::BLOCK][loud].mean() > 0.95
    # Before the aligner has found the echo, nothing is the coach's.
    assert not masked(mic, coach16, None).any()


def test_a_user_over_the_coach_is_not_the_coach(coach16: np.ndarray,
                                                user_voices: UserVoices) -> None:
    word = user_voices.say("pause", "festival:kal")
    echo = delayed(coach16, DELAY)
    start, _ = loud_span(echo)
    mic, said = said_over(echo, word, start, 0.5)  # 6 dB under the echo
    alone = masked(mic, coach16, DELAY)[::BLOCK]
    voiced = loud_blocks(np.concatenate([np.zeros(start, np.float32), said]))
    voiced = np.pad(voiced, (0, len(alone) - len(voiced)))
    assert voiced.sum() >= 10
    assert not alone[voiced].any()


def test_a_reverberant_room_gives_no_verdict(coach16: np.ndarray) -> None:
    mic = render(coach16, RATE, ROOM).astype(np.float32)
    assert masked(mic, coach16, DELAY)[::BLOCK].mean() < 0.05


@pytest.mark.parametrize("latency", [0, 160, 480])
def test_the_mask_comes_out_on_the_cleaned_clock(coach16: np.ndarray, latency: int) -> None:
    mic = delayed(coach16, DELAY)
    plain, late = masked(mic, coach16, DELAY), masked(mic, coach16, DELAY, latency)
    assert len(late) == len(plain)
    assert not late[:latency].any()
    np.testing.assert_array_equal(late[latency:], plain[:len(plain) - latency])


LINES = ("Let both knees rest to the right, slowly, and feel the stretch in your side.",
         "Now bring them back to the middle and breathe out.")


def test_a_command_before_the_coach_goes_on_ends_with_the_users_voice(
        user_voices: UserVoices) -> None:
    # Cancellers that have lost the echo path (aec off: the mic unchanged) hear the coach
    # go on 0.08 s after the user's "pause": the utterance ran on into the coach's words
    # until the coach alone counted as silence.
    from listen_scene import NoiselessPiper, coach_speech, listen

    from voice_coach.listen.engines.engine import Engine
    from voice_coach.listen.listener import Listener
    from voice_coach.listen.phrases import load_language
    from voice_coach.listen.resample import resample

    coach = coach_speech(NoiselessPiper(), LINES, gap_s=1.2)
    echo = delayed(resample(coach.pcm, coach.rate), DELAY)
    word = user_voices.say("pause", "festival:kal")
    voiced = np.flatnonzero(np.abs(word) > 0.05 * np.abs(word).max())
    word_end = round((coach.lines[1][0] + DELAY / RATE - 0.08) * RATE)
    at = word_end - voiced[-1]
    mic = echo.copy()
    mic[at:at + len(word)] += 0.3 * word / np.abs(word).max()
    listener = Listener(Engine("pocketsphinx"), load_language("en"), aec=False)
    heard = listen(listener, mic, coach)
    assert [h.command for h in heard] == ["pause"], heard
    assert heard[0].time - word_end / RATE < 0.5


def states(mic: np.ndarray, playback: np.ndarray, delay: int) -> np.ndarray:
    """CoachAlone's state per 20 ms block of ``mic``."""
    alone = CoachAlone(0)
    return np.array([alone.process(mic[s:s + BLOCK], reader, delay)[0][0]
                     for s in range(0, len(mic) - BLOCK + 1, BLOCK)
                     for reader in [_reader(playback, s)]])


def _reader(playback: np.ndarray, at: int):  # noqa: ANN202
    def read(first: int, n: int) -> np.ndarray:
        idx = at + first + np.arange(n)
        ok = (idx >= 0) & (idx < len(playback))
        out = np.zeros(n, np.float32)
        out[ok] = playback[idx[ok]]
        return out
    return read


def test_the_mic_is_dry_after_the_coach_only_on_a_direct_path(coach16: np.ndarray
                                                                    ) -> None:
    playback = np.concatenate([coach16, np.zeros(2 * RATE, np.float32)])
    noise = 1e-3 * np.random.default_rng(1).standard_normal(len(playback)).astype(np.float32)
    end = (len(coach16) + DELAY + 2 * BLOCK) // BLOCK  # first block after the echo ends
    direct = states(delayed(playback, DELAY) + noise, playback, DELAY)
    assert (direct[end:] == DRY).all()  # until the coach speaks again
    reverberant = states(render(playback, RATE, ROOM).astype(np.float32) + noise, playback,
                         DELAY)
    assert not (reverberant == DRY).any()  # a room's tail is still there: let AEC3 remove it
