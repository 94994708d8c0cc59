"""Plays a session on the sound card: the device callback pulls blocks, this loop steps the
Executor on the stream clock every block. Progress and the history line are written as
``run`` writes them (a session played is a session done)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from voice_coach.app.executor import Executor, Hooks, SynthesizerLike
from voice_coach.app.state_writer import StateWriter
from voice_coach.audio import BLOCK_SECONDS as STEP_SECONDS
from voice_coach.core.recorded import RecordedSession
from voice_coach.core.states import SessionState
from voice_coach.speech import Player

log = logging.getLogger(__name__)


def play_live(
    session: RecordedSession,
    synthesizer: SynthesizerLike,
    player: Player,
    device: str | int | None,
    writer: StateWriter,
    on_step: Callable[[float], None] | None = None,
) -> bool:
    """Play ``session`` to the end; returns True when interrupted (Ctrl-C, SIGTERM)."""
    from voice_coach.speech.device import DeviceOutput

    hooks = Hooks(save_progress=lambda action: writer.save(action.progress),
                  session_ended=lambda action: writer.record(action.summary))
    coach = Executor(session, synthesizer, player, hooks)
    # Called on the audio thread: only posts into the Executor's thread-safe inbox.
    player.on_done = coach.speech_done
    try:
        with DeviceOutput(player, device):
            coach.execute(session.start(player.time), player.time)
            try:
                while not (session.session.state == SessionState.FINISHED and player.is_idle):
                    coach.step(player.time)
                    writer.step(time.monotonic())
                    if on_step is not None:
                        on_step(player.time)
                    time.sleep(STEP_SECONDS)
            except KeyboardInterrupt:
                player.stop()
                coach.execute(session.interrupt(player.time), player.time)
                time.sleep(2 * STEP_SECONDS)  # let the fade-out reach the speaker
                return True
    finally:
        writer.close()
    return False
