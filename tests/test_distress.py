"""A person in pain stops the coach: "stop, it hurts", "ow", "I need to stop" pause it, in
Festival voices through the simulated room, over the coach and in its pauses, with the real
Listener (docs/safety.md); the coach's own "stop if something hurts" never does. Rates per
condition: bench/bench_listen.py (its distress rows)."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from listen_scene import Coach, coach_speech, listen, listen_live
from test_listener import COACH_LINES as LISTENER_LINES

from voice_coach.cli import main
from voice_coach.core import replies
from voice_coach.listen.accept.speech_check import SpeechCheck
from voice_coach.listen.engines.engine import Engine
from voice_coach.listen.listener import Heard, Listener
from voice_coach.listen.phrases import load_language
from voice_coach.sim.room import Utterance, UtteranceTruth, render
from voice_coach.sim.speakers import UserVoices

DISTRESS = ("stop it hurts", "ow, stop", "stop, stop", "that hurts, stop", "please stop",
            "I need to stop", "ouch")
"""What the issue heard ignored: each must pause the coach."""

COACH_LINES = (
    *LISTENER_LINES[:5],  # ordinary lines, the last with "stop if anything hurts"
    "Let the knee drop open toward the bed, and breathe out slowly.",
    "Stop if it hurts.",
    "Bring the knee back up, then slide the leg down until it lies straight.",
    replies.SAFETY_FIRST,
    "Rest for a moment and notice how the hip feels next to the other one.",
    replies.SAFETY_AGAIN,
    replies.SAFETY_EFFORT,
    replies.PAUSED,
    "Stop at any point if something hurts. Move gently, and stay in a comfortable range.",
    "Wait for the next breath, then pause at the top of the movement.",
)
"""The coach's lines: ordinary ones to say a cry over, and every safety line it says (full
and short), the pause reply and other lines full of distress words."""


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=tmp_path_factory.getbasetemp() / "piper-cache")
    return coach_speech(synth, COACH_LINES, gap_s=2.5)


def english() -> Listener:
    return Listener(Engine("pocketsphinx"), load_language("en"))


@pytest.mark.parametrize("voice", ["festival:kal", "festival:ked"])
def test_cries_of_pain_between_the_coachs_lines_pause_it(coach: Coach, user_voices: UserVoices,
                                                          voice: str) -> None:
    # Said in the coach's pauses, 6 dB quieter than the coach (a user lying down, speaker
    # near the pillow); the first line lets the cancellers learn the room.
    times = [end + 0.3 for _, end, _ in coach.lines[1:1 + len(DISTRESS)]]
    utterances = [Utterance(t, user_voices.say(p, voice), user_to_echo_db=-6.0)
                  for t, p in zip(times, DISTRESS, strict=True)]
    heard, truth = listen_live(english(), coach, utterances)
    found = pauses(heard, truth)
    missed = [p for p, h in zip(DISTRESS, found, strict=True) if h is None]
    # The recognizer misses a cry now and then (the bench measures how often; a person
    # cries again): one miss in the scene is allowed, two are a regression.
    assert len(missed) <= 1, (missed, [(round(h.time, 2), h.command, h.text) for h in heard])
    # One pause per cry heard (a cry decoded in two parts is one pause), nothing else.
    assert sorted(h.command for h in heard) == ["pause"] * (len(DISTRESS) - len(missed)), heard


@pytest.mark.parametrize("voice", ["festival:kal", "festival:ked"])
def test_cries_of_pain_over_the_coachs_voice_pause_it(coach: Coach, user_voices: UserVoices,
                                                       voice: str) -> None:
    # Over the coach's words at equal loudness: the hardest case for the recognizer (strict
    # commands: about 9 in 10 heard on the bench). Here kal 7 and ked 6 of 7 (ked's "ouch" is
    # missed; with the packages of 2026-12-07 its "stop, stop" is obeyed as a stop).
    times = [start + 0.4 for start, end, _ in coach.lines[1:] if end - start > 2.2]
    times = times[:len(DISTRESS)]
    utterances = [Utterance(t, user_voices.say(p, voice), user_to_echo_db=0.0)
                  for t, p in zip(times, DISTRESS, strict=True)]
    heard, truth = listen_live(english(), coach, utterances)
    assert all(t.during_echo for t in truth)
    found = pauses(heard, truth)
    missed = [p for p, h in zip(DISTRESS, found, strict=True) if h is None]
    assert len(missed) <= 1, (missed, [(round(h.time, 2), h.command, h.text) for h in heard])
    # Over the coach a word is now and then heard as another command (ked's "I need to stop"
    # ran on into the coach's words and its tail came out as "stop" here, before this rule as
    # well); more than one means something broke.
    assert len([h for h in heard if h.command != "pause" and h not in found]) <= 1, heard


def pauses(heard: list[Heard], truth: list[UtteranceTruth]) -> list[Heard | None]:
    """For each cry, the first pause decided from its start to 1.5 s after its end (as the
    bench scores: "stop, stop" may be decided on its first word), or a stop for a cry that
    says stop: the coach falls silent either way, and ends where it was asked to."""
    return [next((h for h in heard if (h.command == "pause" or h.command == "stop" and
                                       "stop" in cry) and t.start_s <= h.time
                  <= t.end_s + 1.5), None) for cry, t in zip(DISTRESS, truth, strict=True)]


def test_the_coachs_own_safety_lines_never_pause_it(coach: Coach) -> None:
    # Every safety line, "stop if it hurts", the pause reply ("... or stop to end.") played
    # through the room as echo alone: the echo gate and the voice check still apply to the
    # distress rule.
    listener = english()
    heard, _ = listen_live(listener, coach, [])
    assert heard == [], [(round(h.time, 2), h.command, h.text) for h in heard]


def test_without_the_echo_gate_the_coachs_line_would_pause_it(
        coach: Coach, monkeypatch: pytest.MonkeyPatch) -> None:
    # The previous test can fail: the coach's residual in the first seconds decodes as
    # "hurt". The voice check hears no voice in it; with that check out of the way the echo
    # gate still rejects it, and with the gate off as well the coach pauses itself.
    monkeypatch.setattr(SpeechCheck, "voiced", lambda self, start, end: True)
    listener = english()
    assert listen_live(listener, coach, [])[0] == []
    assert any("echo" in why for _, command, why in listener.rejections if command == "pause")
    heard, _ = listen_live(Listener(Engine("pocketsphinx"), load_language("en"),
                                    echo_check=False), coach, [])
    assert heard and all(h.command == "pause" and h.distress for h in heard), heard


def test_a_cry_split_in_two_is_one_pause(user_voices: UserVoices) -> None:
    # "Ow." then "stop" a moment later: one pause, the stop is the rest of the cry, not an
    # end of the session; a "stop" said well after it still ends the session.
    room_quiet = np.zeros(16000 * 9, np.float32)
    ow = user_voices.say("ow", "festival:kal")
    stop = user_voices.say("stop", "festival:kal")
    users = [(0.5, ow, 0.0), (0.5 + len(ow) / 16000 + 0.15, stop, 0.0),
             (5.0, stop, 0.0)]
    from listen_scene import ROOM

    mic = render(room_quiet, 16000, ROOM, users=users)
    listener = english()
    heard = listen(listener, mic, None)
    assert [h.command for h in heard] == ["pause", "stop"], heard
    assert heard[0].distress and heard[1].time > 5.0


def test_a_stop_that_ends_a_sentence_is_a_cry(user_voices: UserVoices) -> None:
    # "I need to | stop": the recognizer splits at the pause, and "stop" alone would be taken
    # for the rest of someone's sentence (tests/test_listener.py: "... children | go back" is
    # not obeyed). With a distress word in it, the whole was a cry: a pause, not a stop.
    from listen_scene import ROOM

    sentence = user_voices.say("I really need to", "festival:kal")
    stop = user_voices.say("stop", "festival:kal")
    at = 0.5 + len(sentence) / 16000 + 0.3
    mic = render(np.zeros(round((at + 2.5) * 16000), np.float32), 16000, ROOM,
                 users=[(0.5, sentence, 0.0), (at, stop, 0.0)])
    heard = listen(english(), mic, None)
    assert [(h.command, h.distress) for h in heard] == [("pause", True)], heard


def write_wav(path: Path, x: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())


def test_detect_reports_a_cry_as_a_pause(tmp_path: Path, user_voices: UserVoices,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from listen_scene import ROOM

    cry = user_voices.say("stop it hurts", "festival:ked")
    mic = render(np.zeros(16000 * 4, np.float32), 16000, ROOM, users=[(1.0, cry, 0.0)])
    path = tmp_path / "mic.wav"
    write_wav(path, mic)
    assert main(["detect", str(path), "--json", "--engine", "pocketsphinx"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["command"] for line in lines] == ["pause"], lines
    assert {"stop", "hurts"} <= set(lines[0]["text"].split())


def test_a_cry_of_pain_pauses_a_running_session(tmp_path: Path) -> None:
    # `run`'s whole loop in the simulated bedroom (tests/test_run_e2e.py): the coach says its
    # safety line ("... say stop, or ow, and I will pause.") without pausing itself, then the
    # user's "ow, stop" pauses it and is answered; a later "stop" ends the session.
    from test_run_e2e import first, heard, scene_for

    from voice_coach.app.virtual_room import UserLine
    from voice_coach.speech import Synthesizer

    with Synthesizer() as synthesizer:
        scene = scene_for([
            UserLine("hey coach", delay=1.0),
            UserLine("lower back", after="say:Which practice?", delay=1.5),
            UserLine("ow, stop", after="say:Let your whole body grow heavy", delay=2.8,
                     voice="festival:ked"),
            UserLine("stop", after="say:I've paused.", delay=6.0),
        ], tmp_path / "state", synthesizer)
        end = scene.driver.run(240.0, until=scene.finished)
        log = scene.log
        assert scene.finished(), f"stuck at {end:.1f} s; heard {heard(log)}"
        assert heard(log) == ["wake", "lower-back-hip", "pause", "stop"]
        said_safety = first(log, "say", text="say stop, or ow, and I will pause.")
        cry = first(log, "heard", command="pause")
        assert said_safety.time < cry.time and "stop" in cry.detail["text"]
        assert first(log, "state", state="paused").time == cry.time
        assert first(log, "say", text="I've paused.").detail["text"] == replies.PAUSED
        assert first(log, "ended").detail["how"] == "stopped"
        scene.close()
