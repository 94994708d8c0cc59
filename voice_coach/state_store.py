"""What the daemon remembers between runs: where the current session is, and past sessions.

``progress.json`` is rewritten atomically (temp file, fsync, rename) at every cue, so after a
crash or a power cut it holds the old place or the new one, never half of either. A file
that is corrupt anyway (a disk error, a hand edit) is logged and treated as "no progress":
the daemon must start. History is one JSON object per line in ``history.jsonl``; a bad
line is skipped, not fatal.

``check_writable`` is asked before a session can start: a folder that cannot hold progress
would otherwise lose a whole session without a word.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from voice_coach import paths
from voice_coach.core.actions import Progress, SessionSummary
from voice_coach.errors import UserError

log = logging.getLogger(__name__)

PROGRESS_FILE = "progress.json"
HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of ``history.jsonl``."""

    started: float
    """Wall-clock start, Unix seconds."""
    routine_id: str
    sections_completed: int
    section_count: int
    pauses: int
    duration: float
    """Seconds from start to end."""
    how: str
    """"completed", "stopped" or "interrupted"."""
    start_index: int = 0
    """Cue the session started at (> 0 when it was resumed)."""
    end_index: int = 0
    """Cue it was on when it ended."""
    started_by: str = "voice"
    """"voice", "home" when Home Assistant started it, "play" for `voice-coach play`."""
    voice_commands: int = 0
    """Commands heard by voice during the session."""
    home_commands: int = 0
    """Commands from Home Assistant during the session."""

    @classmethod
    def of(cls, summary: SessionSummary, ended_wall: float) -> HistoryEntry:
        return cls(
            started=round(ended_wall - summary.duration, 3),
            routine_id=summary.routine_id,
            sections_completed=summary.sections_completed,
            section_count=summary.section_count,
            pauses=summary.pauses,
            duration=summary.duration,
            how=summary.how,
            start_index=summary.start_index,
            end_index=summary.end_index,
            started_by=summary.started_by,
            voice_commands=summary.voice_commands,
            home_commands=summary.home_commands,
        )


class StateStore:
    """Progress and history files under ``directory`` (default: the XDG state dir)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else paths.state_dir()
        self.progress_path = self.directory / PROGRESS_FILE
        self.history_path = self.directory / HISTORY_FILE

    def check_writable(self) -> None:
        """UserError (one line naming the folder or file and why) unless progress can be
        saved and history appended here. Creates nothing: a missing folder only needs a
        writable parent."""
        folder = self.directory
        if not folder.exists():
            parent = next(p for p in folder.parents if p.exists())
            if not parent.is_dir():
                raise self._refusal(f"{parent} is a file")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise self._refusal(f"{parent} is not writable")
            return
        if not folder.is_dir():
            raise self._refusal("it is a file")
        try:
            fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            raise self._refusal(error.strerror or str(error)) from None
        if self.progress_path.is_dir():
            raise UserError(f"progress file {self.progress_path} is a folder; remove it")
        if self.history_path.exists():
            try:
                os.close(os.open(self.history_path, os.O_WRONLY | os.O_APPEND))
            except OSError as error:
                raise UserError(f"history file {self.history_path} cannot be appended to: "
                                f"{error.strerror or error}") from None

    def _refusal(self, why: str) -> UserError:
        return UserError(f"state folder {self.directory} cannot be written ({why}): progress "
                         "and history would be lost; choose another with --state-dir")

    # --- progress ------------------------------------------------------------------------

    def save_progress(self, progress: Progress) -> None:
        record = {**asdict(progress), "saved": round(time.time(), 3)}
        paths.atomic_write_text(self.progress_path, json.dumps(record) + "\n")

    def load_progress(self) -> Progress | None:
        """The saved place, or None when there is none or the file is unreadable."""
        try:
            text = self.progress_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            log.warning("%s: cannot read saved progress (%s); starting fresh",
                        self.progress_path, error)
            return None
        try:
            return _progress_from(json.loads(text))
        except (ValueError, TypeError, KeyError) as error:
            log.warning("%s: saved progress is corrupt (%s); starting fresh",
                        self.progress_path, error)
            return None

    # --- history -------------------------------------------------------------------------

    def append_history(self, entry: HistoryEntry) -> None:
        """Add one line; O_APPEND plus fsync, so a crash loses at most this line."""
        self.directory.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(entry)) + "\n").encode("utf-8")
        fd = os.open(self.history_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def history(self) -> list[HistoryEntry]:
        """Every readable history line, oldest first (bad lines are logged and skipped)."""
        try:
            lines = self.history_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        except OSError as error:
            log.warning("%s: cannot read history (%s)", self.history_path, error)
            return []
        entries: list[HistoryEntry] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entries.append(_entry_from(json.loads(line)))
            except (ValueError, TypeError, KeyError) as error:
                log.warning("%s:%d: skipping a bad history line (%s)",
                            self.history_path, number, error)
        return entries

    def last_routine(self) -> str | None:
        """The routine played most recently ("the usual")."""
        saved = self.load_progress()
        if saved is not None:
            return saved.routine_id
        entries = self.history()
        return entries[-1].routine_id if entries else None


def _progress_from(data: object) -> Progress:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    routine_id, index = data["routine_id"], data["cue_index"]
    if not isinstance(routine_id, str) or not routine_id:
        raise ValueError("routine_id must be text")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError("cue_index must be a whole number >= 0")
    rate, volume = float(data.get("rate", 1.0)), float(data.get("volume", 0.8))
    if not (0 < rate <= 3 and 0 <= volume <= 1):
        raise ValueError("rate or volume out of range")
    return Progress(routine_id, index, rate, volume, bool(data.get("finished", False)))


def _entry_from(data: object) -> HistoryEntry:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return HistoryEntry(
        started=float(data["started"]),
        routine_id=str(data["routine_id"]),
        sections_completed=int(data["sections_completed"]),
        section_count=int(data["section_count"]),
        pauses=int(data["pauses"]),
        duration=float(data["duration"]),
        how=str(data["how"]),
        start_index=int(data.get("start_index", 0)),
        end_index=int(data.get("end_index", 0)),
        started_by=str(data.get("started_by", "voice")),
        voice_commands=int(data.get("voice_commands", 0)),
        home_commands=int(data.get("home_commands", 0)),
    )
