"""Plays a session on the sound card: the device callback pulls blocks, this loop steps the
Executor on the stream clock every block."""

from __future__ import annotations

import time
from collections.abc import Callable

from voice_coach.app.executor import Executor, SynthesizerLike
from voice_coach.audio import BLOCK_SECONDS as STEP_SECONDS
from voice_coach.core.session import Session
from voice_coach.core.states import SessionState
from voice_coach.speech import Player


def play_live(
    session: Session,
    synthesizer: SynthesizerLike,
    player: Player,
    device: str | int | None,
    on_step: Callable[[float], None] | None = None,
) -> bool:
    """Play ``session`` to the end; returns True when interrupted by Ctrl-C."""
    from voice_coach.speech.device import DeviceOutput

    coach = Executor(session, synthesizer, player)
    # Called on the audio thread: only posts into the Executor's thread-safe inbox.
    player.on_done = coach.speech_done
    with DeviceOutput(player, device):
        coach.execute(session.start(player.time), player.time)
        try:
            while not (session.state == SessionState.FINISHED and player.is_idle):
                coach.step(player.time)
                if on_step is not None:
                    on_step(player.time)
                time.sleep(STEP_SECONDS)
        except KeyboardInterrupt:
            player.stop()
            time.sleep(2 * STEP_SECONDS)  # let the fade-out reach the speaker
            return True
    return False
