"""The listener with the user's enrolled voice (issue #17): a Festival voice enrolls three
takes of a few phrases through the simulated room (rate, pitch and level varied, another
room-response draw than the test's), then says them over the coach and in its gaps; another
voice says the same phrases; no profile, and a deleted one, leave the listener as it was."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from listen_scene import ROOM, Coach, coach_speech, during_lines, listen_live, match

from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.listener import Listener
from voice_coach.listen.phrases import load_language
from voice_coach.personal import ears, profile
from voice_coach.sim.room import Utterance
from voice_coach.sim.speakers import UserVoices
from voice_coach.sim.takes import takes, write_profile

ENROLLED = (("hold on", "pause"), ("go on", "resume"), ("next", "next"), ("go back", "back"),
            ("say that again", "repeat"), ("stop", "stop"), ("hey coach", "wake"),
            ("give me a minute", "pause"))
"""Phrases the user enrolls; "hold on" / "go on" / "go back" are the ones the issue found
confused by the recognizer alone; "give me a minute" is the user's own, not in the phrase
table: only the templates can hear it."""
SAID = ENROLLED[:6]
COACH_LINES = (
    "Lie down on your back. Let your legs rest long and straight.",
    "Let your shoulders slide toward your hips, so your neck grows long.",
    "Slowly bend the right knee and slide the foot toward you.",
    "Now let go of any effort in your lower back and around your hips.",
    "Hold it there, keep breathing, and stop if anything hurts.",
    "Next, roll onto your side and let your knees bend a little.",
    "Repeat this on the other side, moving as slowly as you like.",
    "Breathe in slowly, and let the breath go with a long sigh.",
)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(tmp_path_factory.getbasetemp() / "user-voices")


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=tmp_path_factory.getbasetemp() / "piper-cache")
    return coach_speech(synth, COACH_LINES, gap_s=2.6)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, voices: UserVoices) -> Path:
    """A state folder whose default profile holds kal's takes."""
    folder = tmp_path_factory.mktemp("state")
    recorded = takes(ENROLLED, "festival:kal", 3, replace(ROOM, seed=40), seed=5,
                     cache=voices.cache_dir)
    write_profile(profile.profile_dir(folder), recorded)
    return folder


def listener(state: Path | None = None) -> Listener:
    built = Listener(Engine("pocketsphinx"), load_language("en"))
    if state is not None:
        ears.attach(built, state, profile.DEFAULT_PROFILE)
    return built


def scene(coach: Coach, voices: UserVoices, voice: str) -> list[Utterance]:
    """Each phrase of SAID twice: over the coach at -6 dB, and in a gap."""
    during = during_lines(coach, len(COACH_LINES))[1:len(SAID) + 1]
    gaps = [end + 0.5 for _, end, _ in coach.lines[1:len(SAID) + 1]]
    out = []
    for (phrase, _), t_during, t_gap in zip(SAID, during, gaps, strict=True):
        pcm = voices.say(phrase, voice)
        out += [Utterance(t_during, pcm, user_to_echo_db=-6.0),
                Utterance(t_gap, pcm, user_to_echo_db=0.0)]
    return sorted(out, key=lambda u: u.time_s)


def expected(utterances: list[Utterance], voices: UserVoices, voice: str) -> list[str]:
    by_pcm = {voices.say(p, voice).tobytes(): c for p, c in SAID}
    return [by_pcm[u.pcm.tobytes()] for u in utterances]


def test_enrolled_commands_are_heard_over_the_coach_and_in_its_gaps(
        coach: Coach, voices: UserVoices, state: Path) -> None:
    utterances = scene(coach, voices, "festival:kal")
    commands = expected(utterances, voices, "festival:kal")
    with_profile = listener(state)
    assert with_profile.spotter is not None
    heard, truth = listen_live(with_profile, coach, utterances)
    found = match(heard, truth, commands)
    before, _ = listen_live(listener(), coach, utterances)
    found_before = match(before, truth, commands)
    assert sum(h is not None for h in found) >= max(10, sum(h is not None
                                                         for h in found_before))
    wrong = [h for h in heard if not any(h is f for f in found)]
    assert wrong == [], wrong


def shorter(coach: Coach, lines: int) -> Coach:
    """The coach's first ``lines`` lines, with the gap after the last."""
    end = coach.lines[lines][0]
    return Coach(coach.pcm[:round(end * coach.rate)], coach.rate, coach.lines[:lines])


def within(utterances: list[Utterance], coach: Coach) -> list[Utterance]:
    end = len(coach.pcm) / coach.rate - 1.0
    return [u for u in utterances if u.time_s + len(u.pcm) / 16000 < end]


def test_another_voice_is_not_heard_on_the_templates_alone(
        coach: Coach, voices: UserVoices, state: Path) -> None:
    short = shorter(coach, 5)
    utterances = within(scene(coach, voices, "festival:ked"), short)
    assert len(utterances) >= 6
    heard, _ = listen_live(listener(state), short, utterances)
    assert [h for h in heard if h.source == "templates"] == []


def test_a_phrase_of_the_users_own_is_heard_in_their_voice_only(
        coach: Coach, voices: UserVoices, state: Path) -> None:
    short = shorter(coach, 4)
    times = [end + 0.6 for _, end, _ in short.lines[1:4]]
    heard = {}
    for voice in ("festival:kal", "festival:ked"):
        pcm = voices.say("give me a minute", voice)
        utterances = [Utterance(t, pcm, user_to_echo_db=0.0) for t in times]
        heard[voice] = listen_live(listener(state), short, utterances)
    found = match(*heard["festival:kal"], ["pause"] * len(times))
    assert all(h is not None and h.source in ("templates", "overruled") for h in found), heard
    # Another voice: not on the takes (what the recognizer alone makes of it is as before).
    assert [h for h in heard["festival:ked"][0] if h.source != "recognizer"] == []


def test_the_wake_phrase_wakes_from_the_templates(voices: UserVoices, state: Path) -> None:
    silent = Coach(np.zeros(16000 * 8, np.float32), 16000)
    utterances = [Utterance(2.0, voices.say("hey coach", "festival:kal"), gain_db=0.0),
                  Utterance(5.0, voices.say("go on", "festival:kal"), gain_db=0.0)]
    ears_on = listener(state)
    ears_on.set_mode("wake")
    heard, _ = listen_live(ears_on, silent, utterances)
    assert [h.command for h in heard] == ["wake"]


def test_without_a_profile_the_listener_hears_as_before(
        coach: Coach, voices: UserVoices, state: Path, tmp_path: Path) -> None:
    utterances = scene(coach, voices, "festival:kal")
    coach = shorter(coach, 4)
    utterances = within(utterances, coach)
    before, _ = listen_live(listener(), coach, utterances)
    assert len(before) >= 3  # enough commands in the scene to compare
    empty = listener(tmp_path)  # a state folder with no profile
    assert empty.spotter is None
    assert listen_live(empty, coach, utterances)[0] == before
    copy = tmp_path / "copy"
    for take in profile.load(profile.profile_dir(state)):
        profile.add_take(profile.profile_dir(copy), take.command, take.phrase, take.samples())
    assert listener(copy).spotter is not None
    profile.remove(profile.profile_dir(copy))  # the user deletes their profile
    deleted = listener(copy)
    assert deleted.spotter is None
    assert listen_live(deleted, coach, utterances)[0] == before


def test_a_damaged_profile_is_one_error_line_and_the_recognizer_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = profile.profile_dir(tmp_path)
    profile.add_take(folder, "pause", "hold on", np.zeros(16000, np.float32))  # no voice
    with caplog.at_level(logging.INFO):
        assert listener(tmp_path).spotter is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "no voice" in errors[0].getMessage()
    assert any("hold-on-1.wav" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)
    (folder / profile.MANIFEST).write_text("{not json")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert listener(tmp_path).spotter is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "takes.json:1" in errors[0].getMessage()


def test_templates_are_kept_beside_the_takes_and_a_damaged_copy_is_rebuilt(
        state: Path) -> None:
    from voice_coach.personal.templates import CACHE

    cached = profile.profile_dir(state) / CACHE
    assert listener(state).spotter is not None
    assert cached.is_file()
    cached.write_bytes(b"not an npz")
    assert listener(state).spotter is not None
    with np.load(cached) as data:
        assert int(data["sizes"].sum()) == len(data["vectors"])
