"""The simulated bedside room: exact sample counts, timing, delay, levels, noise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voice_coach.sim.room import Room, RoomParams, Utterance, render, render_scene
from voice_coach.sim.speakers import UserVoices

COACH_LINES = (
    "Lie down on your back and let your arms rest at your sides.",
    "Slowly bend the right knee and slide the foot toward you.",
    "Hold it there, keep breathing, and stop if anything hurts.",
    "Next, we repeat the same movement on the other side.",
)


@pytest.fixture(scope="session")
def coach(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, int]:
    """About 15 s of Piper coach speech (joe voice) at the Piper rate."""
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=tmp_path_factory.getbasetemp() / "piper-cache")
    gap = np.zeros(int(0.4 * synth.sample_rate), np.float32)
    parts = [p for line in COACH_LINES for p in (np.asarray(synth.synthesize(line)), gap)]
    return np.concatenate(parts).astype(np.float32), synth.sample_rate


@pytest.fixture(scope="session")
def user_pause(user_voices: UserVoices) -> np.ndarray:
    """A user saying "pause please" in a Festival diphone voice, 16 kHz."""
    return user_voices.say("pause please", "festival:kal")


def _level_db(x: np.ndarray) -> float:
    return 10 * float(np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20))


def test_sample_counts_are_exact_and_output_deterministic(coach: tuple[np.ndarray, int]) -> None:
    ref, rate = coach[0][: 5 * coach[1]], coach[1]
    rng = np.random.default_rng(7)
    room, total, outs = Room(delay_s=0.05, seed=3), 0, []
    i = 0
    while i < len(ref):
        n = int(rng.integers(1, 2000))
        block = room.process(ref[i : i + n], rate)
        total += len(ref[i : i + n])
        i += n
        outs.append(block)
        assert sum(map(len, outs)) == total * 16000 // rate
        assert block.dtype == np.float32
    streamed = np.concatenate(outs)
    params = RoomParams(delay_s=0.05, seed=3)
    assert np.array_equal(render(ref, rate, params, block_s=0.02), render(ref, rate, params, 0.02))
    assert np.allclose(streamed, render(ref, rate, params, block_s=0.37), atol=1e-5)
    assert not np.allclose(streamed, render(ref, rate, replace(params, seed=4)), atol=1e-3)
    assert room.time == pytest.approx(len(streamed) / 16000)


def test_echo_arrives_after_the_set_delay() -> None:
    click = np.zeros(22050, np.float32)
    click[2205] = 1.0  # at 0.1 s of reference time
    params = RoomParams(delay_s=0.0613, reverb_rt60_s=0.0, distortion=0.0, noise_db=None)
    mic = render(click, 22050, params)
    assert int(np.argmax(np.abs(mic))) == round((0.1 + 0.0613) * 16000)
    with pytest.raises(ValueError, match="delay_s"):
        Room(delay_s=0.0005).process(click, 22050)


def test_scheduled_utterance_lands_at_its_time(user_pause: np.ndarray) -> None:
    room = Room(delay_s=0.05, noise_db=None, reverb_rt60_s=0.3)
    room.schedule(1.234, user_pause, gain_db=-6.0)
    mic = np.concatenate([room.process(np.zeros(441, np.float32), 22050) for _ in range(150)])
    xc = np.correlate(mic[: 16000 * 3], user_pause, mode="valid")
    assert int(np.argmax(xc)) == round(1.234 * 16000)
    assert np.abs(mic[: round(1.234 * 16000)]).max() == 0.0  # nothing before it


@pytest.mark.parametrize("target_db", [6.0, 0.0, -6.0])
def test_user_to_echo_levels_hold(
    coach: tuple[np.ndarray, int], user_pause: np.ndarray, target_db: float
) -> None:
    ref, rate = coach
    params = RoomParams(delay_s=0.07, echo_gain_db=-4.0, noise_db=None, seed=1)
    utts = [Utterance(t, user_pause, target_db) for t in (2.1, 6.5, 10.2)]
    mic, truth = render_scene(ref, rate, utts, params)
    assert len(mic) == len(ref) * 16000 // rate
    echo = render(ref, rate, params)
    users = [(u.time_s, u.pcm, t.gain_db) for u, t in zip(utts, truth, strict=True)]
    user = render(np.zeros_like(ref), rate, params, users=users)
    assert np.allclose(mic, echo + user, atol=1e-5)  # the scene is echo + user, nothing else
    for u, t in zip(utts, truth, strict=True):
        assert t.during_echo
        assert u.time_s <= t.start_s < t.end_s <= u.time_s + len(u.pcm) / 16000
        # The level is defined over the active 20 ms frames of this user's speech as it
        # arrives at the mic (reverb tail included); Piper's output varies from run to run,
        # so only the same definition can hold the level to a tight tolerance.
        alone = render(np.zeros_like(ref), rate, params, users=[(u.time_s, u.pcm, t.gain_db)])
        frames = alone[: len(alone) // 320 * 320].reshape(-1, 320).astype(np.float64)
        energy = (frames**2).mean(axis=1)
        idx = np.flatnonzero(np.repeat(energy > energy.max() * 10**-3.5, 320))
        measured = _level_db(alone[idx]) - _level_db(echo[idx])
        assert measured == pytest.approx(target_db, abs=0.2)
        assert t.user_to_echo_db == pytest.approx(target_db, abs=1e-6)


def test_fan_noise_has_its_level_and_is_low_pitched() -> None:
    mic = render(np.zeros(22050 * 4, np.float32), 22050, RoomParams(noise_db=-45.0, seed=2))
    assert _level_db(mic[16000:]) == pytest.approx(-45.0, abs=0.5)
    spec = np.abs(np.fft.rfft(mic[16000:])) ** 2
    freqs = np.fft.rfftfreq(len(mic[16000:]), 1 / 16000)
    assert spec[freqs < 1000].sum() > 10 * spec[freqs > 3000].sum()
