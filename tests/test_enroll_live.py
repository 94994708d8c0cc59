"""`voice-coach enroll` on a real sound server (a private PulseAudio), in real time: the coach's
prompts on the speaker, a person answering into the room after each (tests/live_stack.py)."""

from __future__ import annotations

import re
from pathlib import Path

from live_stack import LiveScene

from voice_coach.personal import profile


def test_enroll_one_command_on_the_real_sound_server(tmp_path: Path) -> None:
    state = tmp_path / "state"
    scene = LiveScene(tmp_path / "scene", command=("enroll", "pause", "--takes", "2",
                                                   "--state-dir", str(state)))
    with scene:
        answered, mark = 0, 0
        while answered < 6:
            line = scene.wait_for(r"prompt done: ", 60, after=mark)
            assert line is not None, scene.log
            mark = next(i for i in range(mark, len(scene.lines))
                        if scene.lines[i][1] == line) + 1
            if re.search(r"Say: pause|Once more|Again", line):
                scene.say("pause")
                answered += 1
            elif "Thank you" in line:
                break
        assert scene.daemon is not None and scene.daemon.wait(30) == 0, scene.log
    takes = profile.load(profile.profile_dir(state))
    assert [(t.command, t.phrase) for t in takes] == [("pause", "pause")] * 2, scene.log
    assert answered <= 4, scene.log  # at most two takes asked again in a quiet room
