"""Dialogue state machine on a virtual clock: every state x input, re-prompts, "the usual",
"resume" with and without saved progress, session end, device loss, shutdown.

The Driver is a harness (a pretend speaker): each Speak lasts a time derived from its words
and is then reported with SpeechDone; Ticks come every 50 ms. The Dialogue (and the real
Session inside it) make the decisions the tests assert on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from voice_coach.core import replies
from voice_coach.core.actions import (
    Action,
    PlayEarcon,
    Progress,
    SaveProgress,
    SessionEnded,
    SessionStarted,
    SetListenMode,
    Speak,
    StateChanged,
    StopAudio,
)
from voice_coach.core.choices import USUAL, RoutineOption, choice_phrases
from voice_coach.core.cues import Cue
from voice_coach.core.dialogue import ANSWER_TIMEOUT, ID_SPAN, Dialogue
from voice_coach.core.events import CommandHeard, SpeechDone, Tick
from voice_coach.core.replies import ASK_PRACTICE as ASK

TICK = 0.05


def cues(title_prefix: str, sections: int) -> tuple[Cue, ...]:
    out: list[Cue] = []
    for s in range(sections):
        out.append(Cue(len(out), s, f"{title_prefix} {s + 1}", 0, "say", f"Step {s + 1} one.", 0))
        out.append(Cue(len(out), s, f"{title_prefix} {s + 1}", 1, "hold", None, 3.0))
    return tuple(out)


BACK = RoutineOption("lower-back-hip", "Lower back and hip release", cues("Back", 3))
BED = RoutineOption("bedtime-breathing", "Bedtime breathing", cues("Bed", 2), rate=0.9)


@dataclass
class Driver:
    dialogue: Dialogue
    now: float = 0.0
    log: list[Action] = field(default_factory=list)
    playing: list[tuple[float, int]] = field(default_factory=list)

    def feed(self, actions: list[Action]) -> list[Action]:
        for action in actions:
            if isinstance(action, StopAudio):
                self.playing.clear()
            elif isinstance(action, Speak):
                start = self.playing[-1][0] if self.playing else self.now
                self.playing.append((start + 0.3 * len(action.text.split()), action.utterance_id))
        self.log += actions
        return actions

    def hear(self, command: str) -> list[Action]:
        return self.feed(self.dialogue.handle(CommandHeard(command, 0.9, command), self.now))

    def run(self, seconds: float) -> list[Action]:
        """Let time pass: finish speech that is due, tick."""
        out: list[Action] = []
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = round(self.now + TICK, 6)
            while self.playing and self.playing[0][0] <= self.now:
                _, utterance_id = self.playing.pop(0)
                out += self.feed(self.dialogue.handle(SpeechDone(utterance_id), self.now))
            out += self.feed(self.dialogue.handle(Tick(), self.now))
        return out


def said(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Speak)]


def modes(actions: list[Action]) -> list[str]:
    return [a.mode for a in actions if isinstance(a, SetListenMode)]


def make(saved: Progress | None = None, last: str | None = None) -> Driver:
    return Driver(Dialogue([BACK, BED], saved=saved, last_routine=last, rate=1.0, volume=0.7))


def choosing() -> Driver:
    d = make()
    d.hear("wake")
    d.run(2.0)  # the question and its echo tail are over
    return d


def test_idle_accepts_only_the_wake_phrase() -> None:
    d = make()
    assert d.dialogue.listen_mode.mode == "wake"
    for command in ("pause", "resume", "stop", "next", BACK.id, USUAL, "help"):
        assert d.hear(command) == []
    assert d.run(20.0) == []
    assert d.dialogue.state == "idle"


def test_wake_plays_earcon_then_asks_in_choice_mode() -> None:
    d = make()
    actions = d.hear("wake")
    assert isinstance(actions[0], StopAudio) and isinstance(actions[1], PlayEarcon)
    assert modes(actions) == ["choice"] and said(actions) == [ASK]
    # The earcon is not cut by a StopAudio after it.
    assert not any(isinstance(a, StopAudio) for a in actions[2:])
    choices = dict(d.dialogue.listen_mode.choices)
    assert "lower back" in choices[BACK.id] and "the usual" in choices[USUAL]
    assert d.dialogue.state == "choosing"


def test_choosing_a_routine_confirms_then_starts_the_session() -> None:
    d = choosing()
    actions = d.hear(BACK.id)
    assert said(actions) == ["Lower back and hip release. Let's begin."]
    assert d.dialogue.state == "starting" and d.dialogue.session is None
    started = d.run(3.0)
    assert any(isinstance(a, SessionStarted) and a.start_index == 0 for a in started)
    assert d.dialogue.state == "in_session" and d.dialogue.session is not None
    assert "Step 1 one." in said(started)
    assert d.dialogue.listen_mode.mode == "session"
    # Session utterances are renumbered out of the dialogue's own id range.
    assert all(a.utterance_id >= ID_SPAN for a in started if isinstance(a, Speak))


def test_unrecognized_answer_reprompts_once_then_goes_idle() -> None:
    d = choosing()
    assert said(d.hear("pause")) == ["Sorry, which practice?"]
    d.run(1.0)
    actions = d.hear("next")
    assert said(actions) == ["Okay, maybe later."] and modes(actions) == ["wake"]
    assert d.dialogue.state == "idle"


def test_silence_counts_as_unrecognized() -> None:
    d = choosing()
    out = d.run(ANSWER_TIMEOUT + 1.0)
    assert said(out) == ["Sorry, which practice?"]
    out = d.run(ANSWER_TIMEOUT + 2.0)
    assert said(out) == ["Okay, maybe later."] and d.dialogue.state == "idle"


def test_help_repeat_and_wake_while_choosing_do_not_use_up_the_retry() -> None:
    d = choosing()
    assert "Bedtime breathing" in said(d.hear("help"))[0]
    d.run(6.0)
    assert said(d.hear("repeat")) == [ASK]
    d.run(2.0)
    assert said(d.hear("wake")) == [ASK]
    d.run(2.0)
    assert said(d.hear("nonsense")) == ["Sorry, which practice?"]
    assert d.dialogue.state == "choosing"


def test_repeat_help_wake_while_the_question_plays_are_taken_for_its_echo() -> None:
    d = make()
    d.hear("wake")
    for command in ("repeat", "help", "wake"):
        assert d.hear(command) == []
    d.run(0.7)  # the question (0.6 s) has ended; its echo may still be decided
    assert d.hear("repeat") == []
    d.run(1.0)
    assert said(d.hear("repeat")) == [ASK]  # now it is the user asking
    assert said(d.hear(BED.id)) == ["Bedtime breathing. Let's begin."]  # barge-in is fine


def test_stop_while_choosing_goes_idle() -> None:
    d = choosing()
    actions = d.hear("stop")
    assert said(actions) == ["Okay."] and d.dialogue.state == "idle"


def test_the_usual_is_the_last_routine() -> None:
    d = make(last=BED.id)
    d.hear("wake")
    d.run(1.0)
    assert said(d.hear(USUAL)) == ["Bedtime breathing. Let's begin."]
    d.run(3.0)
    session = d.dialogue.session
    assert session is not None and session.routine_id == BED.id
    assert session.rate == pytest.approx(0.9)  # routine rate x configured rate


def test_the_usual_without_history_reprompts() -> None:
    d = choosing()
    assert said(d.hear(USUAL)) == ["There is no usual practice yet. Sorry, which practice?"]
    assert d.dialogue.state == "choosing"


def test_resume_continues_at_the_saved_cue_with_saved_settings() -> None:
    saved = Progress(BACK.id, 3, rate=0.8, volume=0.5, finished=False)
    d = make(saved=saved)
    d.hear("wake")
    d.run(1.0)
    assert said(d.hear("resume")) == ["Resuming Lower back and hip release."]
    out = d.run(3.0)
    start = next(a for a in out if isinstance(a, SessionStarted))
    assert start.resumed and start.start_index == 3
    session = d.dialogue.session
    assert session is not None and session.cue_index == 3
    assert session.rate == pytest.approx(0.8) and session.volume == pytest.approx(0.5)
    assert any(t.startswith("Continuing at section 2 of 3") for t in said(out))


@pytest.mark.parametrize("saved", [None, Progress(BACK.id, 5, finished=True),
                                   Progress("gone-routine", 2)])
def test_resume_without_unfinished_progress_reprompts(saved: Progress | None) -> None:
    d = make(saved=saved)
    d.hear("wake")
    d.run(1.0)
    assert said(d.hear("resume")) == [
        "There is no unfinished practice to resume. Sorry, which practice?"]
    assert d.dialogue.state == "choosing"


def test_starting_can_be_cancelled_and_ignores_other_commands() -> None:
    d = choosing()
    d.hear(BACK.id)
    assert d.hear("pause") == [] and d.hear("wake") == []
    assert said(d.hear("stop")) == ["Okay."] and d.dialogue.state == "idle"
    assert d.run(5.0) == [] and d.dialogue.session is None


def test_starting_does_not_hang_when_the_confirmation_is_never_reported() -> None:
    d = choosing()
    d.feed(d.dialogue.handle(CommandHeard(BACK.id), d.now))
    d.playing.clear()  # the speaker never reports the confirmation
    out = d.run(30.0)
    assert any(isinstance(a, SessionStarted) for a in out)


def in_session() -> Driver:
    d = choosing()
    d.hear(BACK.id)
    d.run(3.0)
    assert d.dialogue.state == "in_session"
    return d


def test_commands_in_session_go_to_the_session() -> None:
    d = in_session()
    actions = d.hear("pause")
    assert StateChanged("paused", "pause") in actions
    assert d.dialogue.session is not None and d.dialogue.session.state == "paused"
    d.run(5.0)
    d.hear("resume")
    assert d.dialogue.session.state == "playing"
    assert d.hear("wake") == []  # the wake phrase mid-session is ignored
    assert any("did not understand" in t for t in said(d.hear("nonsense")))


def test_stop_says_goodbye_then_returns_to_idle_with_a_history_record() -> None:
    d = in_session()
    d.hear("pause")
    actions = d.hear("stop")
    assert any("Stopping here" in t for t in said(actions))
    assert d.dialogue.state == "in_session"  # until the goodbye has been heard
    out = d.run(10.0)
    ended = [a for a in out if isinstance(a, SessionEnded)]
    assert len(ended) == 1 and ended[0].summary.how == "stopped"
    assert ended[0].summary.pauses == 1 and ended[0].summary.routine_id == BACK.id
    assert d.dialogue.state == "idle" and modes(out)[-1] == "wake"
    assert d.dialogue.resumable is not None  # stop keeps the place


def test_the_coach_listens_only_for_the_wake_phrase_while_it_says_goodbye() -> None:
    # Live, the goodbye's "Stopping here" was heard as "stop" and answered "This session has
    # ended.", cutting the goodbye short.
    d = in_session()
    actions = d.hear("stop")
    assert any("Stopping here" in t for t in said(actions))
    assert modes(actions) == ["wake"]
    for command in ("stop", "louder", "pause", "resume"):
        assert d.hear(command) == []
    assert d.playing, "the goodbye goes on"
    out = d.run(10.0)
    assert [a.summary.how for a in out if isinstance(a, SessionEnded)] == ["stopped"]


def test_completion_returns_to_idle_and_nothing_is_left_to_resume() -> None:
    d = in_session()
    out = d.run(60.0)
    ended = [a.summary for a in out if isinstance(a, SessionEnded)]
    assert [e.how for e in ended] == ["completed"]
    assert ended[0].sections_completed == ended[0].section_count == 3
    assert d.dialogue.state == "idle" and d.dialogue.resumable is None
    saves = [a.progress for a in out if isinstance(a, SaveProgress)]
    assert saves[-1].finished


def test_a_stale_speech_done_from_an_earlier_session_is_ignored() -> None:
    d = in_session()
    d.hear("stop")
    d.run(10.0)
    d.hear("wake")
    d.run(1.0)
    d.hear(BED.id)
    d.run(1.5)
    session = d.dialogue.session
    assert session is not None and session.routine_id == BED.id
    before = session.is_speaking
    assert d.dialogue.handle(SpeechDone(ID_SPAN + 1), d.now) == []
    assert session.is_speaking == before


def test_a_cry_pauses_a_playing_session_and_is_not_answered_while_paused() -> None:
    d = in_session()
    session = d.dialogue.session
    assert session is not None and session.state == "playing"

    def cry(text: str) -> list[Action]:
        return d.feed(d.dialogue.handle(CommandHeard("pause", 0.3, text, distress=True), d.now))

    assert StateChanged("paused", "pause") in cry("ow stop")
    d.run(5.0)
    # Paused: the coach is silent already; "Already paused" would give its own reply a
    # cry to be heard in. A whole "pause" still gets its answer.
    assert cry("ow") == []
    assert said(d.hear("pause")) == [replies.ALREADY_PAUSED]
    assert session.state == "paused"


def test_device_loss_pauses_and_its_return_is_announced() -> None:
    d = in_session()
    actions = d.feed(d.dialogue.device_lost("microphone", d.now))
    assert StateChanged("paused", "pause") in actions
    assert any("microphone is not working" in t for t in said(actions))
    assert d.dialogue.device_lost("microphone", d.now) == []  # said once
    d.run(2.0)
    back = d.feed(d.dialogue.device_back("microphone", d.now))
    assert said(back) == ["The microphone is back. Say resume when you are ready."]
    assert d.dialogue.session is not None and d.dialogue.session.state == "paused"


def test_speaker_loss_pauses_silently_and_loss_while_choosing_goes_idle() -> None:
    d = in_session()
    actions = d.dialogue.device_lost("speaker", d.now)
    assert not any("speaker" in t for t in said(actions))
    assert d.dialogue.session is not None and d.dialogue.session.state == "paused"
    c = choosing()
    c.dialogue.device_lost("microphone", c.now)
    assert c.dialogue.state == "idle"


def test_shutdown_saves_the_place_and_closes_the_record() -> None:
    d = in_session()
    d.run(4.0)
    actions = d.dialogue.shutdown(d.now)
    assert isinstance(actions[0], SaveProgress) and not actions[0].progress.finished
    assert [a.summary.how for a in actions if isinstance(a, SessionEnded)] == ["interrupted"]
    assert make().dialogue.shutdown(0.0) == []


def test_choice_phrases_avoid_command_words_and_clashes() -> None:
    same = RoutineOption("lower-back-two", "Lower back stretch", cues("X", 1))
    table = dict(choice_phrases([BACK, same]))
    assert "lower back" not in table[BACK.id] and "lower back" not in table[same.id]
    assert "lower back stretch" in table[same.id]
    assert all(p not in ("stop", "resume", "next") for ps in table.values() for p in ps)


def test_phrases_to_prepare_include_the_question_and_every_confirmation() -> None:
    phrases = make().dialogue.phrases()
    assert ASK in phrases and "Bedtime breathing. Let's begin." in phrases
    assert "Lower back and hip release. Let's begin." in phrases


@pytest.mark.parametrize(("closing", "last"), [("Sleep well.", "Sleep well."),
                                               ("", replies.CLOSING)])
def test_a_session_chosen_by_voice_ends_with_the_routine_s_own_closing(
    closing: str, last: str,
) -> None:
    bed = RoutineOption(BED.id, BED.title, BED.cues, closing=closing)
    d = Driver(Dialogue([BACK, bed], rate=1.0, volume=0.7))
    d.hear("wake")
    d.run(2.0)
    d.hear(BED.id)
    out = d.run(60.0)
    assert any(isinstance(a, SessionEnded) for a in out)
    assert said(out)[-1] == last
    assert (replies.CLOSING in said(out)) == (not closing)


def test_learn_my_voice_hands_over_to_the_enrollment_and_back() -> None:
    from voice_coach.core.actions import Notice, StartEnrollment
    from voice_coach.core.choices import LEARN_VOICE
    from voice_coach.core.events import EnrollmentDone

    d = choosing()
    assert "learn my voice" in dict(d.dialogue.listen_mode.choices)[LEARN_VOICE]
    actions = d.hear(LEARN_VOICE)
    assert isinstance(actions[-1], StartEnrollment) and said(actions) == []
    assert d.dialogue.state == "enrolling"
    assert d.hear("stop") == [] and d.hear("wake") == [] and d.run(30.0) == []
    back = d.feed(d.dialogue.handle(EnrollmentDone(3), d.now))
    assert d.dialogue.state == "idle" and modes(back) == ["wake"] and said(back) == []
    assert [a.text for a in back if isinstance(a, Notice)] == ["voice enrollment: 3 phrases saved"]
    # It could not run (no writable state folder, a microphone gone): said so, then idle.
    d = choosing()
    d.hear(LEARN_VOICE)
    back = d.feed(d.dialogue.handle(EnrollmentDone(0, "microphone gone"), d.now))
    assert said(back) == [replies.CANNOT_ENROLL] and d.dialogue.state == "idle"
    assert d.feed(d.dialogue.handle(EnrollmentDone(1), d.now)) == []  # late: ignored
