"""Player: block framing, completion timing, stop, volume ramps and the echo-reference taps."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from voice_coach.speech.player import RAMP_S, STOP_FADE_S, Player

RATE = 16000


def tone(n: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(np.arange(n) * 0.05) + 0.1).astype(np.float32)


def collect_done(player: Player) -> list[tuple[int, int]]:
    """(utterance_id, index of the block during which on_done fired)."""
    done: list[tuple[int, int]] = []
    player.on_done = lambda uid: done.append((uid, player.samples_emitted // player.block_size - 1))
    return done


@pytest.mark.parametrize("block", [320, 441, 1024])
def test_blocks_have_exact_size_and_carry_the_audio_in_order(block: int) -> None:
    player = Player(RATE, block)
    a, b = tone(1000), tone(777, 0.3)
    player.play(1, a)
    player.play(2, b)
    out = np.concatenate([player.read_block() for _ in range(4)])
    assert all(len(player.read_block()) == block for _ in range(3))
    expected = np.concatenate([a, b])
    assert np.array_equal(out[: len(expected)], expected[: len(out)])
    assert not out[len(expected):].any()
    assert player.time == pytest.approx(7 * block / RATE)
    assert player.is_idle


def test_silence_when_idle() -> None:
    player = Player(RATE, 320)
    block = player.read_block()
    assert block.dtype == np.float32 and block.shape == (320,) and not block.any()


@pytest.mark.parametrize("length, block_index", [(1000, 3), (640, 1), (641, 2), (1, 0), (0, 0)])
def test_on_done_fires_after_the_block_with_the_last_sample(length: int, block_index: int) -> None:
    player = Player(RATE, 320)
    done = collect_done(player)
    player.play(7, tone(length))
    for _ in range(6):
        player.read_block()
    assert done == [(7, block_index)]


def test_stop_silences_within_one_block_and_drops_queued_utterances() -> None:
    player = Player(RATE, 320)
    done = collect_done(player)
    player.play(1, tone(RATE))
    player.play(2, tone(RATE))
    player.read_block()
    player.read_block()
    player.stop()
    block = player.read_block()
    fade = int(STOP_FADE_S * RATE)
    assert block[:fade].any() and not block[fade:].any()
    assert np.all(np.abs(np.diff(block[: fade + 1])) < 0.05)  # a fade, not a click
    assert not np.concatenate([player.read_block() for _ in range(60)]).any()
    assert done == [] and player.is_idle


def test_audio_queued_after_stop_plays_right_after_the_fade() -> None:
    player = Player(RATE, 320)
    done = collect_done(player)
    player.play(1, tone(RATE))
    player.read_block()
    player.stop()
    confirmation = tone(200, 0.2)
    player.play(2, confirmation)
    block = player.read_block()
    fade = int(STOP_FADE_S * RATE)
    assert np.array_equal(block[fade:fade + 200], confirmation)
    assert done == [(2, 1)]


def test_volume_changes_are_ramped_never_jumps() -> None:
    player = Player(RATE, 320)
    player.play(1, np.ones(RATE, dtype=np.float32))
    player.read_block()
    player.set_volume(0.0)
    down = np.concatenate([player.read_block() for _ in range(3)])
    max_step = 1.0 / (RAMP_S * RATE)
    assert np.abs(np.diff(down)).max() <= max_step + 1e-6
    assert down[0] > 0.99 and down[int(RAMP_S * RATE) + 1:].max() == 0.0
    player.set_volume(0.5)
    up = np.concatenate([player.read_block() for _ in range(3)])
    assert np.abs(np.diff(up)).max() <= max_step + 1e-6
    assert up[-1] == pytest.approx(0.5) and player.volume == 0.5


def test_taps_receive_exactly_the_played_blocks_with_start_times() -> None:
    player = Player(RATE, 441, volume=0.6)
    seen: list[tuple[np.ndarray, float]] = []
    player.add_tap(lambda block, start: seen.append((block.copy(), start)))
    player.play(1, tone(2000))
    player.set_volume(0.3)
    played = [player.read_block() for _ in range(6)]
    assert len(seen) == 6
    for k, (block, start) in enumerate(seen):
        assert np.array_equal(block, played[k])
        assert start == pytest.approx(k * 441 / RATE)
    assert np.abs(played[0]).max() < 0.6 * 0.6 + 0.01  # volume was applied before the tap


def test_a_failing_tap_does_not_stop_playback_or_completion() -> None:
    player = Player(RATE, 320)
    done = collect_done(player)

    def broken(block: np.ndarray, start: float) -> None:
        raise RuntimeError("listener bug")

    player.add_tap(broken)
    player.play(3, tone(100))
    assert player.read_block()[:100].any()
    assert done == [(3, 0)]


def test_control_from_another_thread_while_blocks_are_read() -> None:
    player = Player(RATE, 320)
    stop = threading.Event()

    def control() -> None:
        uid = 0
        while not stop.is_set():
            uid += 1
            player.play(uid, tone(500))
            player.set_volume((uid % 10) / 10)
            if uid % 3 == 0:
                player.stop()

    thread = threading.Thread(target=control)
    thread.start()
    try:
        blocks = [player.read_block() for _ in range(3000)]
    finally:
        stop.set()
        thread.join()
    assert all(b.shape == (320,) and np.abs(b).max() <= 1.0 for b in blocks)
    assert player.samples_emitted == 3000 * 320
