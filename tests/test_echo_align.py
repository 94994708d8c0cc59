"""The echo aligner on real Piper speech through a simulated reverberant room: a restarted
output stream whose timestamps are off moves the echo, and the reference follows it once."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
from listen_scene import NoiselessPiper

from voice_coach.listen.echo.align import EchoAligner
from voice_coach.listen.echo.delay import DelayEstimator
from voice_coach.listen.echo.front_end import UNTRUSTED_MARGIN_S, EchoFrontEnd
from voice_coach.listen.echo.reference import ReferenceBuffer
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.listener import Listener
from voice_coach.listen.phrases import load_language
from voice_coach.listen.resample import resample
from voice_coach.sim.room import RoomParams, render

RATE = 16000
BLOCK = 320
LINES = ("Lie down on your back and let your arms rest at your sides.",
         "Slowly bend the right knee and slide the foot toward you.",
         "Hold it there, keep breathing, and stop if anything hurts.",
         "Let your shoulders sink into the bed and soften your jaw.")
ROOM = RoomParams(delay_s=0.060, echo_gain_db=-6.0, reverb_rt60_s=0.4, distortion=0.1,
                  noise_db=-55.0, seed=3)


@pytest.fixture(scope="module")
def coach16() -> np.ndarray:
    """About 30 s of Piper speech with pauses between lines, 16 kHz."""
    synth = NoiselessPiper()
    gap = np.zeros(int(0.6 * synth.sample_rate), np.float32)
    parts = [p for _ in range(2) for line in LINES for p in (synth.synthesize(line), gap)]
    return resample(np.concatenate(parts).astype(np.float32), synth.sample_rate)


def run(aligner: EchoAligner, mic: np.ndarray, reference: np.ndarray
        ) -> list[tuple[float, float]]:
    """Feed block by block, reading the reference as moved so far; (time, move) of moves."""
    moves, moved = [], 0
    for i in range(0, len(mic) - BLOCK + 1, BLOCK):
        lo = i - moved
        ref = reference[lo:lo + BLOCK] if lo >= 0 else np.zeros(BLOCK, np.float32)
        move = aligner.update(mic[i:i + BLOCK], ref)
        if move:
            moves.append((i / RATE, move))
            moved += round(move * RATE)
    return moves


def test_a_steady_room_moves_nothing(coach16: np.ndarray) -> None:
    mic = render(coach16, RATE, ROOM)
    aligner = EchoAligner()
    assert run(aligner, mic, coach16) == []
    assert aligner.target_s is not None and abs(aligner.target_s - ROOM.delay_s) < 0.001


@pytest.mark.parametrize("error_ms", [20.0, -12.0])
def test_timestamps_off_after_a_restart_are_followed_once(
        coach16: np.ndarray, error_ms: float) -> None:
    mic = render(coach16, RATE, ROOM)
    half = len(coach16) // 2 // BLOCK * BLOCK
    error = round(error_ms / 1000 * RATE)
    # From the restart on, the timestamps put each reference sample `error` too early.
    seen = np.concatenate([coach16[:half], coach16[half + error:] if error > 0
                           else np.concatenate([np.zeros(-error, np.float32), coach16[half:]]),
                           np.zeros(2 * BLOCK, np.float32)])
    aligner = EchoAligner()
    moves = run(aligner, mic, seen)
    assert len(moves) == 1, moves
    when, move = moves[0]
    assert abs(move * 1000 - error_ms) <= 1.0
    assert half / RATE < when < half / RATE + 2.5  # within a line of the coach's
    assert aligner.moved_s == move


def test_a_voice_unrelated_to_the_coach_sets_nothing(coach16: np.ndarray) -> None:
    noise = np.random.default_rng(1).standard_normal(len(coach16)).astype(np.float32) * 0.05
    aligner = EchoAligner()
    assert run(aligner, noise, coach16) == []
    assert aligner.target_s is None


def test_moving_the_reference_moves_the_delay_found(coach16: np.ndarray) -> None:
    mic = render(coach16[:RATE * 8], RATE, ROOM)
    buf = ReferenceBuffer(RATE, quality="QQ")
    buf.tap(coach16[:RATE * 8], 0.0)
    estimator = DelayEstimator()
    for i in range(0, RATE * 4, BLOCK):
        estimator.update(mic[i:i + BLOCK], buf.read(i / RATE, BLOCK))
    before = estimator.estimate()
    assert before is not None and abs(before.delay_s - ROOM.delay_s) < 0.002
    buf.move(0.025)
    estimator.shift(0.025)
    assert abs(buf.moved_s - 0.025) < 1e-9
    assert np.array_equal(buf.read(1.025, 100), coach16[RATE:RATE + 100])
    shifted = estimator.estimate()
    assert shifted is not None and abs(shifted.delay_s - (ROOM.delay_s - 0.025)) < 0.001
    for i in range(RATE * 4, RATE * 8 - BLOCK, BLOCK):
        estimator.update(mic[i:i + BLOCK], buf.read(i / RATE, BLOCK))
    after = estimator.estimate()
    assert after is not None and abs(after.delay_s - (ROOM.delay_s - 0.025)) < 0.002


def test_a_wrong_first_delay_is_given_up_for_the_echo(coach16: np.ndarray) -> None:
    mic = render(coach16, RATE, ROOM)
    aligner = EchoAligner()
    aligner.target_s = 0.2  # as if a burst of something else had been agreed on first
    assert run(aligner, mic, coach16) == []
    assert aligner.target_s is not None and abs(aligner.target_s - ROOM.delay_s) < 0.001


def test_reads_wait_for_the_reference_moved_either_way(coach16: np.ndarray) -> None:
    buf = ReferenceBuffer(RATE, quality="QQ")
    buf.tap(coach16[:RATE], 0.0)
    end = buf.available_until
    buf.move(0.02)  # moved reads lie 20 ms back: the unmoved ones still end where they did
    assert buf.available_until == pytest.approx(end)
    buf.move(-0.05)  # moved reads now lie 30 ms ahead of the stamped ones
    assert buf.available_until == pytest.approx(end - 0.03)
    assert np.array_equal(buf.read(0.5, 100, moved=False), coach16[RATE // 2:RATE // 2 + 100])


def test_untrusted_spans_cover_only_the_coachs_audio() -> None:
    front = EchoFrontEnd(aec=False)
    loud = np.full(BLOCK, 0.1, np.float32)
    quiet = np.zeros(BLOCK, np.float32)
    front.process(loud, loud)  # trusted: nothing marked
    front.linear_trusted = False
    front.process(loud, loud)  # samples 320-640: marked
    front.process(loud, quiet)  # the coach silent: not marked
    front.linear_trusted = True
    margin = round(UNTRUSTED_MARGIN_S * RATE)
    assert front.untrusted_during(0, 300)  # before it, but within the margin
    assert front.untrusted_during(700, 800) is False
    assert front.untrusted_during(600, 700)
    assert front.untrusted_during(320 - margin + 10, 320 - margin + 20)
    assert not front.untrusted_during(320 - margin - 20, 320 - margin - 10)


def test_the_listener_follows_a_restart_without_losing_the_room(
        coach16: np.ndarray, caplog: pytest.LogCaptureFixture) -> None:
    """The reference's timestamps come 20 ms early from 18 s on (a restarted output stream):
    the reference moves once, and the linear canceller keeps the room it learnt."""
    mic = render(coach16, RATE, ROOM)
    listener = Listener(Engine("pocketsphinx"), load_language("en"))
    heard: list[np.ndarray] = []
    listener.tap = lambda m, r, h: heard.append(h)
    jump = 18.0
    caplog.set_level(logging.INFO, logger="voice_coach.listen")
    for i in range(0, len(mic) - BLOCK + 1, BLOCK):
        t = i / RATE
        listener.add_reference(coach16[i:i + BLOCK], t - (0.02 if t >= jump else 0.0), RATE)
        listener.process(mic[i:i + BLOCK], t)
    moves = [float(m) for m in re.findall(r"the echo moved by ([+-][\d.]+) ms", caplog.text)]
    assert len(moves) == 1 and abs(moves[0] - 20.0) <= 1.0, moves
    assert "starting it afresh" not in caplog.text
    tail = slice(len(mic) - 6 * RATE, len(mic) - RATE)
    cleaned = np.concatenate(heard)
    removed = 10 * np.log10(np.sum(np.square(mic[tail], dtype=np.float64))
                            / np.sum(np.square(cleaned[tail], dtype=np.float64)))
    assert removed >= 10.0
