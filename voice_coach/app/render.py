"""Runs a session on a virtual clock: the player is pulled block by block as fast as the CPU
allows, so a 15-minute routine renders to a WAV in well under 15 minutes.

The same Executor/Session/Player code runs live; only the clock differs (here the clock is
the number of samples the player has produced).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_coach.app.executor import Executor, LogEntry, PlayerLike, SynthesizerLike
from voice_coach.app.script import ScriptedCommand
from voice_coach.core.events import CommandHeard
from voice_coach.core.session import Session
from voice_coach.core.states import SessionState

BlockSink = Callable[[np.ndarray, float], None]
"""Receives every block the player produced, with its start time in stream seconds."""


@dataclass(frozen=True)
class RenderResult:
    seconds: float
    """Length of the rendered stream in seconds."""
    finished: bool
    """True when the session reached its end (or was stopped) before ``max_seconds``."""


class RenderPlayer(PlayerLike, Protocol):
    """What the render loop needs beyond what the Executor uses."""

    on_done: Callable[[int], None] | None

    @property
    def time(self) -> float: ...
    @property
    def is_idle(self) -> bool: ...
    def read_block(self) -> np.ndarray: ...


def render(
    session: Session,
    synthesizer: SynthesizerLike,
    player: RenderPlayer,
    *,
    sink: BlockSink | None = None,
    script: Sequence[ScriptedCommand] = (),
    on_log: Callable[[LogEntry], None] | None = None,
    on_step: Callable[[float], None] | None = None,
    max_seconds: float = 4 * 3600.0,
    tail_seconds: float = 0.5,
) -> RenderResult:
    """Drive ``session`` to its end, feeding ``script`` commands at their stream times.

    ``tail_seconds`` of silence are kept after the last sample so the end is not clipped.
    """
    coach = Executor(session, synthesizer, player, on_log=on_log)
    player.on_done = coach.speech_done
    pending = list(script)
    coach.execute(session.start(player.time), player.time)
    tail_end: float | None = None
    while player.time < max_seconds:
        now = player.time
        while pending and pending[0].time <= now:
            coach.post(CommandHeard(pending.pop(0).command, 1.0, "scripted"))
        coach.step(now)
        if on_step is not None:
            on_step(now)
        block = player.read_block()
        if sink is not None:
            sink(block, now)
        if session.state == SessionState.FINISHED and player.is_idle and not pending:
            tail_end = tail_end if tail_end is not None else now + tail_seconds
            if now >= tail_end:
                return RenderResult(player.time, True)
    return RenderResult(player.time, False)
