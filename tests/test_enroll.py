"""Enrollment closed loop: the coach's Piper prompts and a Festival user in the simulated
bedroom, takes checked by Silero and PocketSphinx, saved with personal/profile.py; a cough,
a silence and a wrong phrase are asked again; one command redone, interrupted, deleted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voice_coach.app.enroll_ears import TakeJudge
from voice_coach.app.enroll_flow import Item, enroll, plan
from voice_coach.app.enroll_run import make_judge
from voice_coach.app.enroll_sim import EnrollingUser, SimulatedEnrollAudio, cough
from voice_coach.app.virtual_scene import DEMO_ROOM
from voice_coach.cli import main
from voice_coach.config import Config
from voice_coach.errors import UserError
from voice_coach.personal import profile
from voice_coach.personal.take_check import Problem, length_problem, sound_problem, words_problem
from voice_coach.sim.room import Room
from voice_coach.sim.speakers import UserVoices
from voice_coach.speech import Synthesizer


@pytest.fixture(scope="module")
def judge() -> TakeJudge:
    return make_judge(Config(engine="pocketsphinx"))


@pytest.fixture(scope="module")
def synthesizer() -> Iterator[Synthesizer]:
    synth = Synthesizer()
    yield synth
    synth.close()


def _session(synthesizer: Synthesizer, voices: UserVoices, seed: int, voice: str,
             mishaps: dict[int, str]) -> tuple[SimulatedEnrollAudio, EnrollingUser]:
    room = Room(**{**DEMO_ROOM, "seed": seed})
    user = EnrollingUser(voices.say, room.schedule, voice=voice, mishaps=mishaps)
    return SimulatedEnrollAudio.in_room(synthesizer, room, on_prompt=user), user


class StopAfter:
    """Ctrl-C at the ``n``-th take (the audio path is the real simulated one)."""

    def __init__(self, audio: SimulatedEnrollAudio, n: int) -> None:
        self.audio, self.n = audio, n

    def say(self, text: str) -> None:
        self.audio.say(text)

    def record(self) -> np.ndarray:
        self.n -= 1
        if self.n < 0:
            raise KeyboardInterrupt
        return self.audio.record()


def test_words_check_is_lenient_on_accents_and_strict_on_another_command() -> None:
    table = {"go back": "back", "back": "back", "go on": "resume", "hold on": "pause",
             "pause": "pause", "hey coach": "wake"}
    assert words_problem("go back", "back", "go back", table) == (None, "")
    assert words_problem("back", "back", "go back", table) == (None, "")  # another phrasing
    assert words_problem("the coach", "wake", "hey coach", table) == (None, "")  # one word
    assert words_problem("go on", "back", "go back", table) == (Problem.WRONG, "resume")
    assert words_problem("the", "pause", "hold on", table) == (Problem.UNCLEAR, "")
    assert words_problem("", "pause", "stay there", table) == (None, "")  # user's own words


def test_sound_checks_on_a_real_voice(user_voices: UserVoices) -> None:
    rng = np.random.default_rng(1)
    voice = 0.5 * user_voices.say("pause please", "festival:kal")
    pad = np.zeros(4800, np.float32)
    take = np.concatenate([pad, voice, pad])
    floor = rng.normal(0.0, 10 ** (-60 / 20), len(take)).astype(np.float32)
    assert sound_problem(take + floor) is None and length_problem(take + floor) is None
    assert sound_problem(floor) == Problem.SILENT
    assert sound_problem((take + floor) * 0.003) == Problem.QUIET
    assert sound_problem(np.clip(take * 8, -1.0, 1.0)) == Problem.CLIPPED
    assert sound_problem(take + rng.normal(0.0, 0.1, len(take))) == Problem.NOISY
    assert length_problem(np.concatenate([take] * 4)) == Problem.LONG
    loudest = int(np.argmax(np.abs(voice)))
    click = np.concatenate([pad, voice[max(0, loudest - 800):loudest + 800], pad])
    assert sound_problem(click) is None and length_problem(click) == Problem.SHORT


def test_enrollment_in_the_simulated_room_checks_reasks_saves_redoes_and_deletes(
        tmp_path: Path, judge: TakeJudge, synthesizer: Synthesizer,
        user_voices: UserVoices, capsys: pytest.CaptureFixture) -> None:
    folder = profile.profile_dir(tmp_path)
    items = [Item("wake", "hey coach"), Item("back", "go back")]
    # Answers counted from 0: a cough, then "resume" for "go back", then silence.
    audio, user = _session(synthesizer, user_voices, 11, "festival:kal",
                           {1: "cough", 3: "say:resume", 5: "silence"})
    outcomes, interrupted = enroll(items, audio, judge, folder, takes=2, note=lambda _: None)
    assert not interrupted
    assert [o.bad for o in outcomes] == [["no voice"], ["wrong phrase", "silent"]], user.answers
    assert all(o.saved and o.good == 2 and not o.skipped for o in outcomes)
    takes = profile.load(folder)
    assert [(t.command, t.phrase) for t in takes] == [("wake", "hey coach")] * 2 + \
        [("back", "go back")] * 2
    for take in takes:  # what was saved is the voice, and passes the checks again
        verdict, heard = judge(take.samples(), take.command, take.phrase)
        assert verdict.ok and 0.5 < take.seconds < 3.0, (take, heard)

    assert main(["enroll", "--list", "--state-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "hey coach" in listed and "go back" in listed and "    2" in listed

    # Redo "back" in another voice, Ctrl-C after its first take: nothing of it is written.
    wake_files = {t.path.name: t.path.read_bytes() for t in takes if t.command == "wake"}
    redo = plan(judge.table, takes, "back")
    assert redo == [Item("back", "go back")]
    assert plan(judge.table, takes, "pause", "Stay there!") == [Item("pause", "stay there")]
    with pytest.raises(UserError, match="'hold on' already means pause; choose other words"):
        plan(judge.table, takes, "back", "hold on")
    audio, _ = _session(synthesizer, user_voices, 12, "festival:ked", {})
    outcomes, interrupted = enroll(redo, StopAfter(audio, 1), judge, folder, takes=2,
                                   note=lambda _: None)
    assert interrupted and outcomes[0].interrupted and outcomes[0].good == 1
    assert profile.load(folder) == takes
    assert sorted(p.name for p in folder.glob("*.wav")) == sorted(t.path.name for t in takes)

    # Redone to the end: back's takes replaced, the wake's untouched.
    outcomes, interrupted = enroll(redo, audio, judge, folder, takes=2, note=lambda _: None)
    assert outcomes[0].saved and not interrupted
    now = profile.load(folder)
    assert {t.path.name: t.path.read_bytes() for t in now if t.command == "wake"} == wake_files
    new_back = [t for t in now if t.command == "back"]
    assert len(new_back) == 2 and not {t.path for t in new_back} & {t.path for t in takes}
    assert len(list(folder.glob("*.wav"))) == 4

    assert main(["enroll", "--delete", "back", "--state-dir", str(tmp_path)]) == 0
    assert {t.command for t in profile.load(folder)} == {"wake"}
    # The whole profile only with --yes (or a "y" typed on a terminal).
    assert main(["enroll", "--delete", "--state-dir", str(tmp_path)]) == 1
    assert "not deleted" in capsys.readouterr().err
    assert main(["enroll", "--delete", "--yes", "--state-dir", str(tmp_path)]) == 0
    assert not folder.exists()


def test_a_folder_of_takes_is_checked_and_imported(tmp_path: Path, user_voices: UserVoices,
                                                   capsys: pytest.CaptureFixture) -> None:
    from voice_coach.speech.wav import WavWriter

    takes = tmp_path / "takes"
    takes.mkdir()
    for n, pcm in enumerate([user_voices.say("hold on", "festival:kal"),
                             user_voices.say("hold on", "festival:ked"),
                             cough(3, level_dbfs=-24.0)], start=1):
        with WavWriter(takes / f"pause.hold-on.{n}.wav", 16000) as writer:
            writer.write(np.concatenate([np.zeros(4000, np.float32), pcm]))
    out = tmp_path / "profile"
    assert main(["enroll", "--takes", str(takes), "--profile", str(out)]) == 0
    assert "pause.hold-on.3.wav: no voice" in capsys.readouterr().out
    assert [(t.command, t.phrase) for t in profile.load(out)] == [("pause", "hold on")] * 2

    (takes / "hold-on.wav").write_bytes(b"")
    assert main(["enroll", "--takes", str(takes), "--profile", str(out)]) == 1
    assert "hold-on.wav: name it <command>.<phrase-words>.<n>.wav" in capsys.readouterr().err


def test_an_unwritable_state_folder_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    state = tmp_path / "state"
    state.write_text("a file, not a folder")
    assert main(["enroll", "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot be written" in err and str(state) in err
    with pytest.raises(SystemExit):
        main(["enroll", "--takes", "7"])
    assert "2 to 5, not 7" in capsys.readouterr().err


def test_hey_coach_learn_my_voice_enrolls_through_the_daemon_in_the_simulated_room(
        tmp_path: Path, judge: TakeJudge, synthesizer: Synthesizer,
        user_voices: UserVoices) -> None:
    from contextlib import nullcontext

    from voice_coach.app.enroll_daemon import enroller
    from voice_coach.app.virtual_room import UserLine
    from voice_coach.app.virtual_scene import build_scene
    from voice_coach.core.replies import ASK_PRACTICE

    lines = [UserLine("hey coach", delay=0.5),
             UserLine("learn my voice", after=f"say:{ASK_PRACTICE}", delay=2.0),
             # After the enrollment the listener hears the wake phrase again.
             UserLine("hey coach", after="enrolled", delay=1.0)]
    scene = build_scene(Config(engine="pocketsphinx"), lines, state_dir=tmp_path,
                        synthesizer=synthesizer)
    user = EnrollingUser(user_voices.say, scene.room.schedule, voice="festival:ked")
    audio = SimulatedEnrollAudio(synthesizer, scene.player, scene.driver.capture,
                                 on_prompt=user)
    folder = profile.profile_dir(tmp_path)
    scene.daemon.set_enroller(enroller(folder, lambda: judge, lambda: nullcontext(audio),
                                       takes=2, items=[Item("pause", "pause")]))
    woken = lambda: sum(e.kind == "listen" and e.detail["mode"] == "choice"  # noqa: E731
                        for e in scene.log) >= 2
    scene.driver.run(60.0, until=woken)
    kinds = [(e.kind, e.detail) for e in scene.log if e.kind in ("enroll", "enrolled")]
    assert kinds == [("enroll", {}), ("enrolled", {"saved": 1, "problem": ""})], scene.log
    assert [(t.command, t.phrase) for t in profile.load(folder)] == [("pause", "pause")] * 2
    assert [text for _, text in user.answers] == ["pause", "pause"]
    assert woken()
