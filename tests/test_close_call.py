"""The close-call rule (parser.py): real decodes of festival speech through a simulated room,
where the recognizer's best reading and its runner-up are different commands."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest

from voice_coach.listen.engines.base import Hypothesis
from voice_coach.listen.engines.sphinx_engine import SphinxRecognizer
from voice_coach.listen.listener import FLOOR_SCALE
from voice_coach.listen.modes import command_table
from voice_coach.listen.parser import CommandParser
from voice_coach.listen.phrases import PhraseTable, load_language
from voice_coach.sim.room import Room, RoomParams
from voice_coach.sim.speakers import UserVoices

BEDROOM = RoomParams(delay_s=0.06, echo_gain_db=-6.0, reverb_rt60_s=0.3, distortion=0.1,
                     noise_db=None, seed=7)
"""The listening bench's bedroom (bench/scenes.py), the user's voice alone in it."""
COLLIDING = {"resume": "go on", "louder": "speak up"}
"""Phrasings the English table dropped because they collide ("hold on" / "go on", "speak up" /
"speed up"); a user's own table may still hold them, and the rule must still be safe."""


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> UserVoices:
    return UserVoices(tmp_path_factory.mktemp("user_voices"))


@pytest.fixture()
def listening() -> tuple[SphinxRecognizer, CommandParser]:
    """A fresh recognizer: its cepstral mean follows what it heard before."""
    table = load_language("en")
    groups = tuple(replace(g, phrases=g.phrases + (COLLIDING[g.command],))
                   if COLLIDING.get(g.command) not in (None, *g.phrases) else g
                   for g in table.commands)
    table = command_table(replace(table, commands=groups), FLOOR_SCALE)
    assert isinstance(table, PhraseTable)
    return SphinxRecognizer(table), CommandParser(table, "session")


def heard(recognizer: SphinxRecognizer, voices: UserVoices, text: str, seed: int
          ) -> Hypothesis:
    """``text`` said by kal in the bedroom (room-response draw ``seed``), streamed with a
    second of room tone after it; the one hypothesis it decodes to."""
    pcm = voices.say(text, "festival:kal")
    room = Room(**{**asdict(BEDROOM), "seed": seed})
    room.schedule(0.3, pcm, 0.0)
    wet = room.process(np.zeros(len(pcm) + 16000 + 4800, np.float32), 16000)
    wet = wet / np.abs(wet).max() * 0.3
    wet = wet + np.random.default_rng(seed).normal(0.0, 3e-4, len(wet)).astype(np.float32)
    hyps = []
    for i in range(0, len(wet), 320):
        hyps += recognizer.accept(wet[i:i + 320])
    hyps += recognizer.flush()
    assert len(hyps) == 1, hyps
    return hyps[0]


def test_hold_on_decoded_as_go_on_is_never_obeyed_as_resume(
        listening: tuple[SphinxRecognizer, CommandParser], voices: UserVoices) -> None:
    recognizer, parser = listening
    hyp = heard(recognizer, voices, "hold on", seed=20)
    # The premise: the best path is the wrong, opposite command, the said one its runner-up.
    assert hyp.text == "go on" and "hold on" in hyp.readings, (hyp.text, hyp.readings)
    parsed = parser.parse(hyp)
    assert parsed is not None and parsed.command == "pause", parser.last_rejection


def test_a_close_call_between_two_other_commands_obeys_neither(
        listening: tuple[SphinxRecognizer, CommandParser], voices: UserVoices) -> None:
    recognizer, parser = listening
    hyp = heard(recognizer, voices, "speak up", seed=19)
    assert hyp.text == "speed up" and "speak up" in hyp.readings, (hyp.text, hyp.readings)
    assert parser.parse(hyp) is None
    assert parser.last_rejection.startswith("close call"), parser.last_rejection
