"""The demo's and end-to-end tests' simulated user: when each line is said, and again."""

from __future__ import annotations

import numpy as np

from voice_coach.app.executor import LogEntry
from voice_coach.app.virtual_room import ScriptedUser, UserLine

RATE = 16000


def word(seconds: float) -> np.ndarray:
    """A 'recording': a tone of ``seconds`` with 0.5 s of trailing silence."""
    t = np.arange(int(seconds * RATE)) / RATE
    return np.concatenate([0.3 * np.sin(2 * np.pi * 300 * t), np.zeros(RATE // 2)])


def run(user: ScriptedUser, events: dict[float, list[LogEntry]], until: float) -> None:
    for step in range(int(until * 50)):
        now = step / 50
        for entry in events.get(round(now, 2), []):
            user.observe(entry)
        user.poll(now)


def test_a_line_not_obeyed_is_said_again_and_the_event_that_obeys_it_triggers_the_next() -> None:
    said: list[float] = []
    user = ScriptedUser(
        [UserLine("pause", delay=0.0, until="heard:pause"),
         UserLine("resume", after="heard:pause", delay=1.0)],
        say=lambda text, voice: word(0.4),
        schedule=lambda t, pcm, gain: said.append(t))
    # Not obeyed the first time: said again 2 s after its last word; obeyed at 3.0 s.
    run(user, {3.0: [LogEntry(3.0, "heard", {"command": "pause"})]}, until=6.0)
    assert [text for _, _, text in user.said] == ["pause", "pause", "resume"]
    assert said == [0.0, 2.4, 4.0]
    # A line ends at its last sound, not at its recording's trailing silence.
    assert user.said[0][1] == 0.4
    assert user.done


def test_a_line_is_said_at_most_tries_times() -> None:
    user = ScriptedUser([UserLine("stop", delay=0.0, until="heard:stop", tries=3)],
                        say=lambda text, voice: word(0.5),
                        schedule=lambda t, pcm, gain: None)
    run(user, {}, until=20.0)
    assert [start for start, _, _ in user.said] == [0.0, 2.5, 5.0]
    assert user.done
