"""Session state machine on a virtual clock: every command in every state, and behaviours.

The Driver below is a harness, not the thing under test: it plays each Speak for a time
derived from its words (like a voice would), reports SpeechDone when that time is over,
and sends a Tick every 20 ms. The Session's decisions are what the tests assert on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from voice_coach.commands import COMMANDS
from voice_coach.core import replies
from voice_coach.core.actions import (
    Action,
    Prefetch,
    SaveProgress,
    SetVolume,
    Speak,
    StateChanged,
    StopAudio,
)
from voice_coach.core.cues import SENTENCE_GAP, Cue
from voice_coach.core.events import CommandHeard, SpeechDone, Tick
from voice_coach.core.sentences import split_sentences
from voice_coach.core.session import STATES, Session

TICK = 0.02
WORDS_PER_SECOND = 2.6


def make_cues(*sections: tuple[str, list[tuple[str, str | None, float]]]) -> list[Cue]:
    """Cues from ``(section title, [(kind, text, seconds), ...])``; one step per cue."""
    cues: list[Cue] = []
    for number, (title, items) in enumerate(sections):
        for step, (kind, text, seconds) in enumerate(items):
            cues.append(Cue(len(cues), number, title, step, kind, text, seconds))  # type: ignore[arg-type]
    return cues


ROUTINE = make_cues(
    (
        "Settling in",
        [
            ("say", "Lie on your back. Let your arms rest by your sides.", 0.0),
            ("breath", "Breathe in.", 4.0),
            ("breath", "Breathe out.", 6.0),
            ("pause", None, 3.0),
        ],
    ),
    (
        "Knee drop",
        [
            ("say", "Bend your right knee. Let it fall open to the side.", 0.0),
            ("hold", "Hold here.", 10.0),
            ("count", "Three. Two. One.", 3.0),
            ("say", "Release slowly.", 0.0),
        ],
    ),
    (
        "Pelvic tilts",
        [
            ("say", "Arch your lower back gently.", 0.0),
            ("breath", "Inhale.", 3.0),
            ("say", "Now flatten your back into the floor.", 0.0),
            ("hold", None, 8.0),
        ],
    ),
    ("Rest", [("say", "Rest and breathe easily.", 0.0), ("pause", None, 5.0)]),
)


def speech_seconds(speak: Speak) -> float:
    return len(speak.text.split()) / (WORDS_PER_SECOND * speak.rate)


@dataclass
class Driver:
    """Plays a Session on a virtual clock; records what happened when."""

    session: Session
    ticks: int = 0
    log: list[tuple[float, Action]] = field(default_factory=list)
    playing: tuple[Speak, float] | None = None
    """The Speak being heard and the virtual time its audio ends."""
    heard: list[tuple[float, Speak]] = field(default_factory=list)
    """Every Speak when it started."""
    volume: float | None = None

    @property
    def now(self) -> float:
        return round(self.ticks * TICK, 6)

    def apply(self, actions: list[Action]) -> list[Action]:
        for action in actions:
            self.log.append((self.now, action))
            if isinstance(action, Speak):
                assert self.playing is None, f"{action} would overlap {self.playing}"
                self.playing = (action, self.now + speech_seconds(action))
                self.heard.append((self.now, action))
            elif isinstance(action, StopAudio):
                self.playing = None
            elif isinstance(action, SetVolume):
                self.volume = action.volume
        return actions

    def start(self) -> list[Action]:
        return self.apply(self.session.start(self.now))

    def command(self, name: str) -> list[Action]:
        return self.apply(self.session.handle(CommandHeard(name), self.now))

    def step(self) -> None:
        self.ticks += 1
        if self.playing is not None and self.playing[1] <= self.now + 1e-9:
            done = self.playing[0].utterance_id
            self.playing = None
            self.apply(self.session.handle(SpeechDone(done), self.now))
        self.apply(self.session.handle(Tick(), self.now))

    def run_for(self, seconds: float) -> None:
        for _ in range(round(seconds / TICK)):
            self.step()

    def run_until(self, condition: Callable[[], bool], limit: float = 300.0) -> None:
        end = self.now + limit
        while not condition():
            assert self.now < end, "condition not reached in time"
            self.step()

    def cue_started_at(self, index: int) -> float:
        """Virtual time of the first SaveProgress for ``index`` (= the cue's start)."""
        for time, action in self.log:
            if isinstance(action, SaveProgress) and action.progress.cue_index == index:
                return time
        raise AssertionError(f"cue {index} never started")

    def mark(self) -> int:
        """A bookmark in ``heard`` for ``cue_speech(since=...)``."""
        return len(self.heard)

    def cue_speech(self, since: int = 0) -> list[Speak]:
        """The cue sentences started after bookmark ``since``."""
        return [s for _, s in self.heard[since:] if s.cue_index is not None]

    def in_cue_sentence(self) -> bool:
        return self.playing is not None and self.playing[0].cue_index is not None


def speaks(actions: list[Action]) -> list[Speak]:
    return [a for a in actions if isinstance(a, Speak)]


def answers(actions: list[Action]) -> list[str]:
    return [a.text for a in speaks(actions) if a.cue_index is None]


def saved(actions: list[Action]) -> list[SaveProgress]:
    return [a for a in actions if isinstance(a, SaveProgress)]


def new_driver(**kwargs: object) -> Driver:
    return Driver(Session("test-routine", ROUTINE, title="Test", **kwargs))  # type: ignore[arg-type]


def at_cue(index: int, *, silent: bool = False, **kwargs: object) -> Driver:
    """A started driver whose session is at cue ``index`` (in its silent part if asked)."""
    driver = new_driver(**kwargs)
    driver.start()
    s = driver.session

    def there() -> bool:
        if s.cue_index != index or s.state != "playing":
            return False
        return driver.playing is None if silent else driver.in_cue_sentence()

    driver.run_until(there)
    return driver


# --- states for the matrix ---------------------------------------------------------------


def state_idle() -> Driver:
    return new_driver()


def state_in_speech() -> Driver:
    driver = new_driver()
    driver.start()
    driver.run_for(0.6)
    assert driver.in_cue_sentence()
    return driver


def state_in_hold() -> Driver:
    driver = at_cue(5, silent=True)
    driver.run_for(1.0)
    assert driver.playing is None and driver.session.cue_index == 5
    return driver


def state_paused() -> Driver:
    driver = state_in_speech()
    driver.command("pause")
    driver.run_for(1.0)
    return driver


def state_finished() -> Driver:
    driver = new_driver()
    driver.start()
    driver.run_until(lambda: driver.session.state == "finished" and driver.playing is None)
    return driver


SETUPS: dict[str, Callable[[], Driver]] = {
    "idle": state_idle,
    "playing-in-speech": state_in_speech,
    "playing-in-hold": state_in_hold,
    "paused": state_paused,
    "finished": state_finished,
}

_SETTINGS = ("slower", "faster", "louder", "quieter", "status", "help", "dance")
EXPECTED: dict[str, dict[str, str]] = {
    "idle": {"resume": "playing", "restart": "playing", "stop": "finished"},
    "playing-in-speech": {"pause": "paused", "stop": "finished"},
    "playing-in-hold": {"pause": "paused", "stop": "finished"},
    "paused": {c: "playing" for c in ("resume", "next", "back", "repeat", "restart")}
    | {"stop": "finished"},
    "finished": {},
}
STAY = {"idle": "idle", "playing-in-speech": "playing", "playing-in-hold": "playing"}
STAY |= {"paused": "paused", "finished": "finished"}


@pytest.mark.parametrize("command", [*COMMANDS, "dance"])
@pytest.mark.parametrize("setup", list(SETUPS))
def test_every_command_in_every_state(setup: str, command: str) -> None:
    driver = SETUPS[setup]()
    actions = driver.command(command)
    expected = EXPECTED[setup].get(command, STAY[setup])
    assert driver.session.state == expected
    assert speaks(actions), f"{command} in {setup} said nothing"
    if driver.session.state in ("paused", "finished"):
        # Nothing of the routine is said while paused or after the end.
        cues_before = len(driver.cue_speech())
        driver.run_for(8.0)
        assert len(driver.cue_speech()) == cues_before
    else:
        driver.run_for(8.0)
    assert driver.session.state in STATES


def test_command_names_are_the_contract() -> None:
    contract = "pause resume next back repeat restart stop slower faster louder quieter status help"
    assert set(COMMANDS) == set(contract.split(" "))


# --- speaking ------------------------------------------------------------------------------


def test_one_speak_per_sentence_each_after_the_previous_is_done() -> None:
    driver = new_driver()
    first = speaks(driver.start())
    assert [(s.text, s.cue_index) for s in first] == [("Lie on your back.", 0)]
    driver.run_until(lambda: len(driver.cue_speech()) == 2)
    (t1, s1), (t2, s2) = driver.heard[:2]
    assert s2.text == "Let your arms rest by your sides." and s2.cue_index == 0
    assert s2.utterance_id > s1.utterance_id
    # The second sentence waited for the first to end, plus the gap.
    assert t2 >= t1 + speech_seconds(s1) + SENTENCE_GAP - 1e-9
    assert t2 <= t1 + speech_seconds(s1) + SENTENCE_GAP + 2 * TICK


def test_timed_cue_lasts_its_seconds_however_short_the_word() -> None:
    driver = at_cue(1)  # "Breathe in." for 4 s
    started = driver.cue_started_at(1)
    driver.run_until(lambda: driver.session.cue_index == 2)
    assert driver.cue_started_at(2) - started == pytest.approx(4.0, abs=2 * TICK)


@pytest.mark.parametrize("rate", [1.0, 0.7])
def test_counts_and_breaths_keep_their_rhythm_without_the_sentence_gap(rate: float) -> None:
    # Each word plus the calm gap after a sentence is longer than a count's one second: the
    # gap separates instructions, it must not slow a countdown or a breath down.
    cues = make_cues(("Hold", [("count", "Three.", 1.0), ("count", "Two.", 1.0),
                               ("count", "One.", 1.0), ("breath", "Breathe in.", 2.0),
                               ("breath", "And slowly out.", 2.5), ("say", "Rest.", 0.0)]))
    driver = Driver(Session("counts", cues, rate=rate))
    driver.start()
    driver.run_until(lambda: driver.session.cue_index == 5)
    starts = [driver.cue_started_at(i) for i in range(6)]
    assert speech_seconds(driver.heard[0][1]) + SENTENCE_GAP / rate > 1.0 / rate
    assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx(
        [1.0 / rate, 1.0 / rate, 1.0 / rate, 2.0 / rate, 2.5 / rate], abs=2 * TICK)


def test_prefetch_at_cue_start_names_the_coming_sentences() -> None:
    driver = new_driver()
    actions = driver.start()
    prefetched = [text for a in actions if isinstance(a, Prefetch) for text in a.texts]
    assert "Let your arms rest by your sides." in prefetched
    assert "Breathe in." in prefetched and "Breathe out." in prefetched
    assert replies.PAUSED in prefetched


# --- pause and resume ----------------------------------------------------------------------


def test_pause_mid_sentence_then_resume_says_that_sentence_again() -> None:
    driver = new_driver()
    driver.start()
    driver.run_until(lambda: len(driver.cue_speech()) == 2)
    driver.run_for(0.5)  # in the middle of the second sentence
    cut = driver.playing[0] if driver.playing else None
    assert cut is not None and cut.text == "Let your arms rest by your sides."
    actions = driver.command("pause")
    assert isinstance(actions[0], StopAudio)
    assert StateChanged("paused", "pause") in actions
    assert answers(actions) == [replies.PAUSED]
    driver.run_for(20.0)
    assert driver.session.state == "paused" and driver.session.cue_index == 0
    assert len(driver.cue_speech()) == 2  # silence while paused
    resumed_at = driver.mark()
    actions = driver.command("resume")
    again = speaks(actions)
    assert [s.text for s in again] == [cut.text]
    assert again[0].utterance_id > cut.utterance_id
    driver.run_for(1.0)
    assert driver.cue_speech(resumed_at)[0].text == cut.text


def test_paused_hold_resumes_with_the_time_it_had_left() -> None:
    driver = at_cue(5, silent=True)  # "Hold here." then 10 s
    hold_start = driver.cue_started_at(5)
    driver.run_until(lambda: driver.now >= hold_start + 4.0)
    driver.command("pause")
    driver.run_for(7.0)
    actions = driver.command("resume")
    assert answers(actions) == [replies.RESUMING_HOLD]
    confirmed = driver.now + speech_seconds(speaks(actions)[0])
    driver.run_until(lambda: driver.session.cue_index == 6)
    # 4 s were used before the pause; the 6 s left count from when the confirmation ends.
    assert driver.cue_started_at(6) == pytest.approx(confirmed + 6.0, abs=3 * TICK)


def test_while_paused_answers_do_not_resume() -> None:
    driver = state_paused()
    before = len(driver.cue_speech())
    for command in ("status", "help", "slower", "louder", "pause", "dance"):
        driver.command(command)
        driver.run_for(5.0)
    assert driver.session.state == "paused"
    assert len(driver.cue_speech()) == before


def test_answer_while_playing_interrupts_then_restarts_the_sentence() -> None:
    driver = state_in_speech()
    cut = driver.playing[0] if driver.playing else None
    assert cut is not None
    actions = driver.command("status")
    assert isinstance(actions[0], StopAudio)
    answer = speaks(actions)[0]
    assert answer.cue_index is None and answer.text.startswith("Section 1 of 4, Settling in.")
    since, asked = driver.mark(), driver.now
    driver.run_until(lambda: len(driver.cue_speech(since)) == 1)
    again_at, again = next((t, s) for t, s in driver.heard[since:] if s.cue_index is not None)
    assert again.text == cut.text and again.utterance_id != cut.utterance_id
    assert again_at >= asked + speech_seconds(answer)  # only after the answer was heard


def test_stale_speech_done_is_ignored() -> None:
    driver = state_in_speech()
    cut = driver.playing[0] if driver.playing else None
    assert cut is not None
    driver.command("help")
    answer = driver.playing[0] if driver.playing else None
    assert answer is not None
    # The player reports the end of the cut-off sentence (late) and of an unknown id.
    for stale in (cut.utterance_id, 9999):
        assert driver.session.handle(SpeechDone(stale), driver.now) == []
    assert driver.session.is_speaking
    driver.run_until(lambda: driver.playing is not None and driver.playing[0].cue_index == 0)
    assert driver.playing is not None and driver.playing[0].text == cut.text


def test_lost_speech_done_does_not_hang_the_session() -> None:
    session = Session("r", ROUTINE)
    first = speaks(session.start(0.0))[0]
    more: list[Action] = []
    now = 0.0
    while now < 30.0 and not speaks(more):
        now += TICK
        more = session.handle(Tick(), now)
    assert speaks(more) and speaks(more)[0].utterance_id > first.utterance_id


# --- navigation ----------------------------------------------------------------------------


def test_next_goes_to_the_first_cue_of_the_next_section_after_announcing_it() -> None:
    driver = at_cue(1)
    actions = driver.command("next")
    assert driver.session.cue_index == 4
    assert answers(actions) == ["Section 2 of 4, Knee drop."]
    assert saved(actions)[-1].progress.cue_index == 4
    since = driver.mark()
    driver.run_until(lambda: bool(driver.cue_speech(since)))
    assert driver.cue_speech(since)[0].text == "Bend your right knee."


def test_next_in_the_last_section_says_so_and_carries_on() -> None:
    driver = at_cue(12)
    cut = driver.playing[0] if driver.playing else None
    actions = driver.command("next")
    assert answers(actions) == [replies.LAST_SECTION]
    assert driver.session.cue_index == 12 and driver.session.state == "playing"
    since = driver.mark()
    driver.run_until(lambda: bool(driver.cue_speech(since)))
    assert cut is not None and driver.cue_speech(since)[0].text == cut.text
    driver.run_until(lambda: driver.session.state == "finished")


@pytest.mark.parametrize(
    ("cue", "silent", "wait", "expected"),
    [
        (6, False, 0.0, 4),  # past the section's first cue: start of this section
        (4, False, 0.0, 0),  # right at the start of a section: the previous section
        (4, False, 4.5, 4),  # a while into the first cue: start of this section
        (0, False, 0.0, 0),  # first section: its own start
        (13, True, 0.0, 12),
    ],
)
def test_back_lands_on_the_right_section_start(
    cue: int, silent: bool, wait: float, expected: int
) -> None:
    driver = at_cue(cue, silent=silent)
    driver.run_until(lambda: driver.now >= driver.cue_started_at(cue) + wait)
    assert driver.session.cue_index == cue
    actions = driver.command("back")
    assert driver.session.cue_index == expected
    assert saved(actions)[-1].progress.cue_index == expected
    title = ROUTINE[expected].section_title
    assert answers(actions) == [f"Section {ROUTINE[expected].section + 1} of 4, {title}."]


@pytest.mark.parametrize(("cue", "expected"), [(6, 4), (5, 4), (9, 8), (11, 10), (2, 0), (12, 12)])
def test_repeat_goes_back_to_the_last_instruction(cue: int, expected: int) -> None:
    driver = at_cue(cue, silent=ROUTINE[cue].text is None)
    actions = driver.command("repeat")
    assert driver.session.cue_index == expected
    # No announcement: the first thing heard is the instruction itself.
    first_sentence = split_sentences(ROUTINE[expected].text)[0]
    assert [(s.text, s.cue_index) for s in speaks(actions)] == [(first_sentence, expected)]


def test_repeat_without_an_earlier_instruction_restarts_the_step() -> None:
    cues = make_cues(("Only breathing", [("breath", "In.", 2.0), ("breath", "Out.", 2.0)]))
    driver = Driver(Session("r", cues))
    driver.start()
    driver.run_until(lambda: driver.session.cue_index == 1)
    driver.command("repeat")
    assert driver.session.cue_index == 1  # each breath is its own step here


def test_restart_goes_to_cue_zero_from_anywhere() -> None:
    driver = at_cue(9)
    actions = driver.command("restart")
    assert driver.session.cue_index == 0
    assert answers(actions) == [replies.RESTARTING]
    paused = state_paused()
    paused.run_for(1.0)
    paused.command("restart")
    assert paused.session.state == "playing" and paused.session.cue_index == 0


def test_jump_while_paused_plays_from_the_new_place() -> None:
    driver = at_cue(1)
    driver.command("pause")
    actions = driver.command("next")
    assert StateChanged("playing", "next") in actions
    since = driver.mark()
    driver.run_until(lambda: bool(driver.cue_speech(since)))
    assert driver.cue_speech(since)[0].cue_index == 4


# --- starting ------------------------------------------------------------------------------


def test_start_from_a_saved_place_says_where_it_continues() -> None:
    driver = new_driver(start_index=8)
    actions = driver.start()
    assert answers(actions) == ["Continuing at section 3 of 4, Pelvic tilts."]
    assert saved(actions)[0].progress.cue_index == 8
    driver.run_until(lambda: bool(driver.cue_speech()))
    assert driver.cue_speech()[0].text == "Arch your lower back gently."


def test_idle_resume_starts_at_the_saved_place_and_restart_at_zero() -> None:
    resumed = new_driver(start_index=4)
    resumed.command("resume")
    assert resumed.session.state == "playing" and resumed.session.cue_index == 4
    restarted = new_driver(start_index=4)
    restarted.command("restart")
    assert restarted.session.state == "playing" and restarted.session.cue_index == 0
    assert restarted.start() == []  # already started: start does nothing


def test_empty_routine_finishes_politely() -> None:
    driver = Driver(Session("empty", []))
    actions = driver.start()
    assert driver.session.state == "finished" and answers(actions) == [replies.EMPTY]
    for command in COMMANDS:
        assert speaks(driver.command(command))
    assert driver.session.time_left() == 0.0


# --- pace and volume -----------------------------------------------------------------------


def test_slower_stretches_holds_and_speech() -> None:
    driver = new_driver()
    driver.command("slower")
    driver.command("slower")
    assert driver.session.rate == pytest.approx(0.8)
    driver.start()
    driver.run_until(lambda: driver.session.cue_index == 6)
    hold = driver.cue_started_at(6) - driver.cue_started_at(5)
    assert hold == pytest.approx(10.0 / 0.8, abs=2 * TICK)
    assert {s.rate for s in driver.cue_speech()} == {0.8}


def test_slower_in_the_middle_of_a_hold_stretches_what_is_left() -> None:
    driver = at_cue(5, silent=True)
    driver.run_until(lambda: driver.now >= driver.cue_started_at(5) + 4.0)
    actions = driver.command("slower")
    assert saved(actions)[-1].progress.rate == pytest.approx(0.9)
    assert any(isinstance(a, Prefetch) and a.rate == pytest.approx(0.9) for a in actions)
    answered = driver.now + speech_seconds(speaks(actions)[0])
    driver.run_until(lambda: driver.session.cue_index == 6)
    assert driver.cue_started_at(6) == pytest.approx(answered + 6.0 / 0.9, abs=3 * TICK)


@pytest.mark.parametrize(
    ("command", "attr", "start", "bound", "reply"),
    [
        ("faster", "rate", 1.0, 1.3, replies.FASTEST),
        ("slower", "rate", 1.0, 0.7, replies.SLOWEST),
        ("louder", "volume", 0.8, 1.0, replies.LOUDEST),
        ("quieter", "volume", 0.8, 0.2, replies.QUIETEST),
        ("louder", "volume", 0.05, 1.0, replies.LOUDEST),  # starts below the floor
        ("slower", "rate", 1.5, 0.7, replies.SLOWEST),  # starts above the range
    ],
)
def test_settings_move_in_small_steps_and_stop_at_a_bound(
    command: str, attr: str, start: float, bound: float, reply: str
) -> None:
    driver = at_cue(0, **{attr: start})
    values = [getattr(driver.session, attr)]
    for _ in range(20):
        actions = driver.command(command)
        values.append(getattr(driver.session, attr))
        if answers(actions) == [reply]:
            break
        if attr == "volume":
            assert [a.volume for a in actions if isinstance(a, SetVolume)] == [values[-1]]
        driver.run_for(1.0)
    else:
        raise AssertionError(f"{command} never reached its bound: {values}")
    assert values[-1] == pytest.approx(bound) and values[-2] == pytest.approx(bound)
    steps = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    assert max(steps) <= 0.1 + 1e-9
    assert driver.session.state == "playing"


# --- status, progress, the end -------------------------------------------------------------

LONG = make_cues(
    ("Start", [("say", "Begin here.", 0.0), ("hold", None, 120.0)]),
    ("Middle", [("say", "Keep going.", 0.0), ("hold", None, 240.0)]),
    ("End", [("say", "Nearly there.", 0.0), ("hold", None, 180.0)]),
)


def test_status_says_section_and_minutes_left() -> None:
    driver = Driver(Session("long", LONG))
    assert speaks(driver.command("status"))[0].text == (
        "Section 1 of 3, Start. About 9 minutes left. Say resume to begin."
    )
    driver.start()
    driver.command("next")
    driver.run_for(1.0)
    assert answers(driver.command("status")) == ["Section 2 of 3, Middle. About 7 minutes left."]
    driver.run_for(181.0)  # three minutes into the 4-minute hold
    assert answers(driver.command("status")) == ["Section 2 of 3, Middle. About 4 minutes left."]
    driver.command("next")
    driver.run_for(160.0)
    assert answers(driver.command("status")) == ["Section 3 of 3, End. Less than a minute left."]


def test_time_left_counts_down_with_play_time_not_pause_time() -> None:
    driver = Driver(Session("long", LONG))
    driver.start()
    driver.run_for(10.0)
    first = driver.session.time_left()
    driver.run_for(60.0)
    assert first - driver.session.time_left() == pytest.approx(60.0, abs=0.5)
    driver.command("pause")
    paused = driver.session.time_left()
    driver.run_for(60.0)
    assert driver.session.time_left() == pytest.approx(paused)
    assert driver.session.time_left(rate=0.5) > 1.9 * paused


def test_progress_is_saved_at_cue_starts_pause_settings_and_stop() -> None:
    driver = new_driver()
    driver.start()
    driver.run_until(lambda: driver.session.cue_index == 5)
    started = [a.progress.cue_index for _, a in driver.log if isinstance(a, SaveProgress)]
    assert started == [0, 1, 2, 3, 4, 5]
    assert saved(driver.command("pause"))[0].progress.cue_index == 5
    louder = saved(driver.command("louder"))[0].progress
    assert (louder.cue_index, louder.volume) == (5, pytest.approx(0.9))
    actions = driver.command("stop")
    assert isinstance(actions[0], StopAudio)
    assert StateChanged("finished", "stop") in actions
    stop = saved(actions)[0].progress
    assert stop == driver.session.progress()
    assert (stop.routine_id, stop.cue_index, stop.finished) == ("test-routine", 5, False)
    assert answers(actions) == [replies.GOODBYE]
    assert driver.session.is_speaking
    driver.run_for(10.0)
    assert not driver.session.is_speaking


def test_finishing_says_a_closing_line_and_saves_finished() -> None:
    driver = at_cue(13, silent=True)
    driver.run_until(lambda: driver.session.state == "finished")
    tail = [a for t, a in driver.log if t >= driver.cue_started_at(13)]
    assert StateChanged("finished", "end") in tail
    final = saved(tail)[-1].progress
    assert final.finished and final.cue_index == len(ROUTINE) - 1
    assert answers(tail) == [replies.CLOSING]
    assert driver.session.time_left() == 0.0
