"""Random command sequences at random times: the Session never raises and stays consistent.

Plain ``random`` with fixed seeds (no extra dependency); each seed is its own test case so
a failure names the seed to replay.
"""

from __future__ import annotations

import random

import pytest
from test_session import Driver, make_cues

from voice_coach.commands import COMMANDS
from voice_coach.core.actions import Action, SaveProgress, Speak, StateChanged
from voice_coach.core.cues import Cue
from voice_coach.core.events import SpeechDone, Tick
from voice_coach.core.session import STATES, Session

WORDS = [
    "lie",
    "back",
    "knee",
    "open",
    "breathe",
    "slowly",
    "rest",
    "arch",
    "flatten",
    "gently",
    "hold",
    "relax",
    "side",
]
NOISE = ["dance", "", "  PAUSE ", "Next", "resume please"]


def random_routine(rng: random.Random) -> list[Cue]:
    sections = []
    for number in range(rng.randint(1, 4)):
        items: list[tuple[str, str | None, float]] = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(["say", "say", "breath", "hold", "pause", "count"])
            text = None if kind in ("hold", "pause") and rng.random() < 0.6 else random_text(rng)
            items.append((kind, text, rng.choice([0.0, 0.0, 0.5, 2.0, 7.0])))
        sections.append((f"Part {number}", items))
    return make_cues(*sections)


def random_text(rng: random.Random) -> str:
    sentences = [" ".join(rng.choices(WORDS, k=rng.randint(1, 7))).capitalize() + "."]
    return " ".join(sentences * rng.randint(1, 3))


class CheckedDriver(Driver):
    """A Driver that checks the Session's invariants after every batch of actions."""

    def apply(self, actions: list[Action]) -> list[Action]:
        super().apply(actions)
        s = self.session
        assert s.state in STATES
        assert 0 <= s.cue_index < max(len(s.cues), 1)
        assert 0.7 - 1e-9 <= s.rate <= 1.3 + 1e-9
        assert 0.2 - 1e-9 <= s.volume <= 1.0 + 1e-9
        # The Session's idea of what is playing matches the (harness) player's.
        assert s.is_speaking == (self.playing is not None)
        for action in actions:
            if isinstance(action, Speak) and action.cue_index is not None:
                assert s.state == "playing" and action.cue_index == s.cue_index
            if isinstance(action, SaveProgress):
                assert 0 <= action.progress.cue_index < max(len(s.cues), 1)
        changes = [a.state for a in actions if isinstance(a, StateChanged)]
        if changes:
            assert changes[-1] == s.state
        return actions


@pytest.mark.parametrize("seed", range(150))
def test_random_commands_at_random_times(seed: int) -> None:
    rng = random.Random(seed)
    cues = random_routine(rng)
    session = Session(
        f"random-{seed}",
        cues,
        rate=rng.choice([0.7, 0.9, 1.0, 1.3]),
        volume=rng.choice([0.2, 0.5, 1.0]),
        start_index=rng.randrange(len(cues)),
    )
    driver = CheckedDriver(session)
    if rng.random() < 0.8:
        driver.start()
    finished_cue_speech = 0
    for _ in range(rng.randint(5, 30)):
        driver.run_for(rng.choice([0.0, 0.02, 0.3, 1.0, 4.0]))
        roll = rng.random()
        if roll < 0.8:
            driver.command(rng.choice([*COMMANDS, *COMMANDS, *NOISE]))
        elif roll < 0.9:
            # A late report for an utterance that is not the one playing.
            playing = driver.playing[0].utterance_id if driver.playing else -1
            stale = rng.choice([n for n in range(0, 60) if n != playing])
            driver.apply(session.handle(SpeechDone(stale), driver.now))
        else:
            # An event stamped slightly in the past must not move any clock backwards.
            driver.apply(session.handle(Tick(), driver.now - rng.random()))
        if session.state == "finished":
            finished_cue_speech = finished_cue_speech or driver.mark()
    # Nothing of the routine is said after the end.
    if finished_cue_speech:
        assert driver.cue_speech(finished_cue_speech) == []
    # Liveness: whatever happened, once resumed the routine plays to its end.
    if session.state in ("idle", "paused"):
        driver.command("resume")
    driver.run_until(lambda: session.state == "finished" and driver.playing is None, limit=600)
