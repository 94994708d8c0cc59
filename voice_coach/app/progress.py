"""The one-line progress display of ``play``: section, step and time left."""

from __future__ import annotations

import sys
from typing import TextIO

from voice_coach.core.session import Session


def clock(seconds: float) -> str:
    """``75.4`` -> ``"1:15"``."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class ProgressLine:
    """Rewrites one terminal line (or prints a line per section when not a terminal)."""

    def __init__(self, session: Session, stream: TextIO | None = None) -> None:
        self.session = session
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self._shown: tuple[int, int] | None = None

    def update(self, now: float) -> None:
        cue = self.session.cue
        if cue is None:
            return
        key = (cue.section, cue.step) if self.live else (cue.section, 0)
        if key == self._shown:
            return
        self._shown = key
        text = (
            f"{clock(now)}  section {cue.section + 1}/{self.session.section_count} "
            f"{cue.section_title} · step {cue.step + 1} · "
            f"{clock(self.session.time_left())} left"
        )
        if self.live:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the rewritten line (once, however often it is called)."""
        if self.live and self._shown is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._shown = None
