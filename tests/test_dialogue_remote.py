"""Requests from Home Assistant in the Dialogue: a start is offered (yes / no / silence), never
forced on a running session; buttons are commands like spoken ones; the history says which
came from where; pace and volume set outright."""

from __future__ import annotations

from test_dialogue import BACK, BED, Driver, make, modes, said

from voice_coach.core.actions import Notice, SessionEnded, SessionStarted, SetVolume, Speak
from voice_coach.core.dialogue import OFFER_TIMEOUT
from voice_coach.core.events import CommandHeard, SettingRequested, StartRequested
from voice_coach.core.replies import NOT_NOW, OFFER
from voice_coach.core.view import Activity, coach_view
from voice_coach.listen.modes import choice_table
from voice_coach.listen.phrases import load_language


def offer(d: Driver, routine: str = BED.id, confirm: bool = True) -> list:
    return d.feed(d.dialogue.handle(StartRequested(routine, confirm), d.now))


def press(d: Driver, command: str) -> list:
    return d.feed(d.dialogue.handle(CommandHeard(command, 1.0, "home", None, "home"), d.now))


def notices(actions: list) -> list[str]:
    return [a.text for a in actions if isinstance(a, Notice)]


def test_a_start_from_home_is_offered_and_starts_on_yes() -> None:
    d = make()
    out = offer(d)
    assert said(out) == [OFFER.format(title=BED.title)]
    assert d.dialogue.state == "offered"
    # Listening for the language's yes/no answers (the dialogue names no phrasings itself).
    mode = d.dialogue.listen_mode
    assert mode.mode == "choice" and dict(mode.choices) == {"yes": (), "no": ()}
    assert coach_view(d.dialogue).activity == Activity.CHOOSING
    d.run(4.0)  # the offer (2.4 s here) and its echo tail are over
    d.hear("yes")
    out = d.run(5.0)
    started = [a for a in d.log if isinstance(a, SessionStarted)]
    assert [s.routine_id for s in started] == [BED.id]
    assert d.dialogue.state == "in_session" and "session" in modes(out)


def test_yes_heard_while_the_offer_is_said_is_its_echo() -> None:
    d = make()
    offer(d)
    d.hear("yes")  # "Say yes to begin." is still playing
    d.run(0.5)
    assert d.dialogue.state == "offered"


def test_no_or_stop_declines_and_silence_drops_the_offer_quietly() -> None:
    for answer in ("no", "stop"):
        d = make()
        offer(d)
        d.run(3.0)
        out = d.hear(answer)
        assert said(out) == [NOT_NOW] and d.dialogue.state == "idle"
        assert notices(out) == [f"{BED.title} not started: declined"]
    d = make()
    offer(d)
    d.run(3.0)
    out = d.run(OFFER_TIMEOUT - 1.0)
    assert d.dialogue.state == "offered" and said(out) == []
    out = d.run(2.0)
    assert d.dialogue.state == "idle"
    assert said(out) == []  # the person may be asleep: nothing said
    assert notices(out) == [f"{BED.title} not started: no answer in 30 s"]
    assert not any(isinstance(a, SessionStarted) for a in d.log)


def test_immediate_start_and_a_start_during_a_session_is_refused() -> None:
    d = make()
    offer(d, BACK.id, confirm=False)
    d.run(5.0)
    assert d.dialogue.state == "in_session" and d.dialogue.session is not None
    assert d.dialogue.session.routine_id == BACK.id
    out = offer(d, BED.id, confirm=False) + offer(d, BED.id)
    assert notices(out) == [f"{BED.title} not started: a session is running"] * 2
    assert d.dialogue.session.routine_id == BACK.id and said(out) == []
    assert notices(offer(make(), "no-such-routine")) == ["no routine 'no-such-routine' to start"]


def test_buttons_are_commands_and_the_history_counts_them_apart() -> None:
    d = make()
    offer(d, BACK.id, confirm=False)
    d.run(3.0)
    press(d, "pause")
    d.run(2.0)
    assert coach_view(d.dialogue).activity == Activity.PAUSED
    d.hear("resume")
    d.run(2.0)
    press(d, "next")
    d.run(1.0)
    press(d, "stop")
    d.run(10.0)
    ended = [a for a in d.log if isinstance(a, SessionEnded)]
    assert len(ended) == 1
    summary = ended[0].summary
    assert (summary.how, summary.started_by) == ("stopped", "home")
    assert (summary.voice_commands, summary.home_commands) == (1, 3)
    assert coach_view(d.dialogue, finished=True).activity == Activity.FINISHED


def test_settings_from_home_are_set_outright_and_silently() -> None:
    d = make()
    out = d.feed(d.dialogue.handle(SettingRequested("volume", 0.4), d.now))
    assert out == [SetVolume(0.4)] and d.dialogue.volume == 0.4
    d.feed(d.dialogue.handle(SettingRequested("rate", 0.8), d.now))
    offer(d, BACK.id, confirm=False)
    d.run(3.0)
    session = d.dialogue.session
    assert session is not None and session.volume == 0.4 and session.rate == 0.8
    out = d.feed(d.dialogue.handle(SettingRequested("rate", 1.2), d.now))
    out += d.feed(d.dialogue.handle(SettingRequested("volume", 0.9), d.now))
    assert session.rate == 1.2 and session.volume == 0.9
    assert not [a for a in out if isinstance(a, Speak)]
    view = coach_view(d.dialogue)
    assert (view.rate, view.volume, view.routine_id) == (1.2, 0.9, BACK.id)
    assert view.section_label == "Back 1 (1 of 3)" and view.time_left_s > 0


def test_the_offer_listens_for_the_languages_own_yes_and_no() -> None:
    for language, yes in (("en", "yes please"), ("ko", "네")):
        table = load_language(language)
        offered = choice_table(table, (("no", ()), ("yes", ())), lambda _word: True)
        groups = {g.command: g.phrases for g in offered.commands}
        assert yes in groups["yes"] and groups["no"]
        assert "stop" in groups  # stop still declines
