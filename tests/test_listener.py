"""Closed loop: Piper coach speech through a simulated room (delay, reverb, distortion, fan),
user commands in festival voices mixed in, the real Listener (AEC3 and a linear canceller,
PocketSphinx, echo gate), fed like the app feeds it. Floors here are regression floors (today
12-13 of 13 commands in the kal voice and 9-10 in ked are heard over the coach's voice at equal
loudness; Piper's audio varies from run to run); rates per condition: bench/bench_listen.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from listen_scene import (
    ROOM,
    Coach,
    NoiselessPiper,
    coach_speech,
    during_lines,
    listen,
    listen_live,
    match,
)

from voice_coach.commands import COMMANDS
from voice_coach.core import replies
from voice_coach.listen.accept import acceptance as acceptance_module
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.listener import Listener
from voice_coach.listen.phrases import load_language
from voice_coach.sim.room import Utterance, render
from voice_coach.sim.speakers import UserVoices

PHRASE = {"back": "go back", "restart": "start over", "slower": "slow down",
          "status": "where are we", "help": "what can i say"}
"""The phrase said for each canonical command (the command word itself when not listed)."""

COACH_LINES = (
    "Lie down on your back. Let your legs rest long and straight.",
    "Let your shoulders slide toward your hips, so your neck grows long.",
    "Slowly bend the right knee and slide the foot toward you.",
    "Now let go of any effort in your lower back and around your hips.",
    "Hold it there, keep breathing, and stop if anything hurts.",
    "Next, roll onto your side and let your knees bend a little.",
    "Repeat this on the other side, moving as slowly as you like.",
    replies.HELP,
    replies.PAUSED,
    replies.SLOWER,
    "Stop if it hurts.",
    replies.UNKNOWN,
)


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=tmp_path_factory.getbasetemp() / "piper-cache")
    return coach_speech(synth, COACH_LINES + COACH_LINES[:7])


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(tmp_path_factory.getbasetemp() / "user-voices")


def english() -> Listener:
    return Listener(Engine("pocketsphinx"), load_language("en"))


@pytest.mark.parametrize(("voice", "minimum"), [("festival:kal", 10), ("festival:ked", 7)])
def test_every_command_during_coach_speech(coach: Coach, voices: UserVoices, voice: str,
                                           minimum: int) -> None:
    commands = list(COMMANDS)
    times = during_lines(coach, len(commands) + 1)[1:]  # the first line lets AEC3 settle
    utterances = [Utterance(t, voices.say(PHRASE.get(c, c), voice), user_to_echo_db=0.0)
                  for t, c in zip(times, commands, strict=True)]
    heard, truth = listen_live(english(), coach, utterances)
    assert all(t.during_echo for t in truth)
    found = match(heard, truth, commands)
    detected = [c for c, h in zip(commands, found, strict=True) if h is not None]
    assert len(detected) >= minimum, f"only {detected}"
    matched = {id(h) for h in found if h is not None}
    wrong = [(h.time, h.command, h.text) for h in heard if id(h) not in matched]
    # Over the coach's voice a user's word is sometimes misheard as another phrase (the
    # benchmark measures ~4 % of commands); more than one here means something broke.
    assert len(wrong) <= 1, wrong


def test_commands_in_the_gaps_of_coach_speech(coach: Coach, voices: UserVoices) -> None:
    commands = ["pause", "resume", "next", "repeat", "stop", "louder"]
    times = [end + 0.1 for _, end, _ in coach.lines[1:1 + len(commands)]]
    utterances = [Utterance(t, voices.say(c, "festival:kal"), user_to_echo_db=-6.0)
                  for t, c in zip(times, commands, strict=True)]
    heard, truth = listen_live(english(), coach, utterances)
    found = match(heard, truth, commands)
    # Said right before the coach's next line, whose first words run into the utterance
    # (the listener puts them down to the coach). About 9 in 10 are heard; Piper's audio
    # differs from run to run: at 4 of 6 this fails by chance about 1 run in 60 (at 5 of 6
    # it did 1 in 9).
    assert sum(h is not None for h in found) >= 4, heard


def test_coach_speech_full_of_command_words_triggers_nothing(coach: Coach) -> None:
    listener = english()
    heard, _ = listen_live(listener, coach, [])
    assert heard == []


def test_wake_mode_ignores_bare_commands_and_hears_the_wake_phrase(
        coach: Coach, voices: UserVoices) -> None:
    listener = english()
    listener.set_mode("wake")
    # Three wake phrases, each running into the coach's next line: one heard is enough here
    # (rates: bench/bench_listen.py). Here the 2nd is missed in every run; on a CI machine
    # (Piper's audio differs slightly between machines) the 1st was missed as well.
    said = ["pause", "hey coach", "stop", "hey coach", "next", "hey coach"]
    times = [end + 0.1 for _, end, _ in coach.lines[2:2 + len(said)]]
    utterances = [Utterance(t, voices.say(s, "festival:kal"), user_to_echo_db=0.0)
                  for t, s in zip(times, said, strict=True)]
    heard, truth = listen_live(listener, coach, utterances)
    assert {h.command for h in heard} <= {"wake"}
    assert len(heard) >= 1


def test_choice_mode_hears_routine_titles(coach: Coach, voices: UserVoices) -> None:
    listener = english()
    listener.set_mode("choice", {"lower-back-hip": ["lower back and hip release", "lower back"],
                                 "bedtime-breathing": ["bedtime breathing"],
                                 "usual": ["the usual"]})
    said = ["lower back", "bedtime breathing"]
    times = [end + 0.1 for _, end, _ in coach.lines[3:3 + len(said)]]
    utterances = [Utterance(t, voices.say(s, "festival:kal"), user_to_echo_db=0.0)
                  for t, s in zip(times, said, strict=True)]
    heard, truth = listen_live(listener, coach, utterances)
    found = match(heard, truth, ["lower-back-hip", "bedtime-breathing"])
    assert any(h is not None for h in found), heard


@pytest.mark.parametrize(("pause_s", "rule", "obeyed"), [(0.3, True, False), (0.3, False, True),
                                                      (1.0, True, True)])
def test_a_command_that_ends_someone_elses_sentence_is_not_obeyed(
        voices: UserVoices, pause_s: float, rule: bool, obeyed: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The recognizer splits speech at pauses: "... with the children | go back" is one
    # sentence; "go back" a second later is a command. Without the rule the split is obeyed,
    # so the first case fails for the rule's reason, not because the two were one utterance.
    if not rule:
        monkeypatch.setattr(acceptance_module, "CONTINUATION_S", 0.0)
    sentence = voices.say("we sat down with the children", "festival:kal")
    command = voices.say("go back", "festival:kal")
    at = 0.5 + len(sentence) / 16000 + pause_s
    mic = render(np.zeros(round((at + len(command) / 16000 + 1.5) * 16000), np.float32), 16000,
                 ROOM, users=[(0.5, sentence, 0.0), (at, command, 0.0)])
    listener = english()
    heard = [h.command for h in listen(listener, mic, None)]
    assert heard == (["back"] if obeyed else []), (heard, list(listener.rejections))
    if not obeyed:
        assert "follows other speech" in listener.rejections[-1][2]


def test_heard_time_is_on_the_mic_clock(coach: Coach, voices: UserVoices) -> None:
    utterance = Utterance(coach.lines[1][1] + 0.1, voices.say("pause", "festival:kal"),
                          user_to_echo_db=0.0)
    heard, truth = listen_live(english(), coach, [utterance])
    hits = [h for h in heard if h.command == "pause"]
    assert hits and truth[0].end_s < hits[0].time < truth[0].end_s + 1.0


@pytest.fixture(scope="module")
def first_line() -> Coach:
    """The coach's first words, a 9 s line, with nothing before them to learn the room from;
    the same audio every run, so where the coach pauses is fixed (with Piper's noise, a
    command once fell in a pause and rightly counted)."""
    return coach_speech(NoiselessPiper(), [replies.HELP])


@pytest.mark.parametrize(("phrase", "command", "at"), [("stop", "stop", 2.0),
                                                      ("go back", "back", 1.6)])
def test_commands_over_the_coachs_first_seconds_wait_for_the_cancellers(
        first_line: Coach, voices: UserVoices, phrase: str, command: str, at: float,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Before the cancellers have heard ECHO_LEARNING_S of playback, what they pass of the
    # coach cannot be told from a voice, so nothing said over the coach counts (the demo's
    # first line once decoded as "repeat"). A user's command loud enough to be heard through
    # unlearned cancellers (+10 dB) shows it: rejected for that reason; without the rule,
    # obeyed.
    utterance = [Utterance(at, voices.say(phrase, "festival:kal"), user_to_echo_db=10.0)]
    listener = english()
    heard, _ = listen_live(listener, first_line, utterance)
    assert [h for h in heard if h.time < 5.0] == []
    assert any(c == command and "still being learned" in why
               for _, c, why in listener.rejections), list(listener.rejections)
    monkeypatch.setattr(acceptance_module, "ECHO_LEARNING_S", 0.0)
    heard, _ = listen_live(english(), first_line, utterance)
    assert command in [h.command for h in heard if h.time < 5.0], heard


def test_scene_module_is_importable_without_audio() -> None:
    assert Path(__file__).with_name("listen_scene.py").is_file()


class DuckCounting(Listener):
    """The real Listener, counting how long the app would keep the coach ducked."""

    ducked_blocks = 0
    _app_callback = None
    _ducked_now = False

    @property  # type: ignore[override]
    def on_voice(self):  # noqa: ANN201 - mirrors the attribute it replaces
        return self._record if self._app_callback else None

    @on_voice.setter
    def on_voice(self, callback) -> None:  # noqa: ANN001
        self._app_callback = callback

    def _record(self, voice: bool) -> None:
        self._ducked_now = voice
        self._app_callback(voice)

    def process(self, mic_block, start_time):  # noqa: ANN001, ANN201
        self.ducked_blocks += self._ducked_now
        return super().process(mic_block, start_time)


def test_coach_speech_alone_rarely_ducks(coach: Coach) -> None:
    # Regression: exact-zero frames from AEC3 once drove the noise floor to 0, and the coach
    # then stayed ducked ~96 % of the time with nobody talking; before the detector learned
    # each room's residual, ~15 %. Today ~3 %, mostly while AEC3 converges. (The daemon does
    # not duck: with the linear canceller it no longer helps, see bench/bench_listen.py.)
    listener = DuckCounting(Engine("pocketsphinx"), load_language("en"))
    heard, _ = listen_live(listener, coach, [], duck=True)
    assert heard == []
    ducked_s = listener.ducked_blocks * 0.02
    assert ducked_s < 0.08 * len(coach.pcm) / coach.rate
