"""A user's voice profile: the enrollment takes, kept as WAV files in the state folder.

Layout (one folder per profile, nothing leaves the machine)::

    STATE_DIR/voice/PROFILE/takes.json     {"version": 1, "takes": [{file, command, phrase,
                                             seconds, recorded}, ...]}
    STATE_DIR/voice/PROFILE/pause-1.wav    16 kHz mono 16-bit PCM, one per take

``takes.json`` is rewritten atomically after each WAV is in place, so a crash leaves at worst
an unlisted WAV, never a listed one that is missing or half written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from voice_coach.audio_file import read_audio
from voice_coach.errors import UserError
from voice_coach.paths import atomic_write_text
from voice_coach.speech.wav import WavWriter

RATE = 16000
"""Sample rate of every take, Hz."""
DEFAULT_PROFILE = "default"
MANIFEST = "takes.json"
VERSION = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Take:
    """One enrollment recording of one phrase."""

    command: str
    """Canonical command the phrase means ("pause", "resume", ...) or "wake"."""
    phrase: str
    """The words the user was asked to say ("hold on")."""
    path: Path
    seconds: float
    """Length of the WAV, s."""
    recorded: str
    """When it was recorded, ISO 8601 UTC."""

    def samples(self) -> np.ndarray:
        """The take as float32 in -1..1 at ``RATE``."""
        audio = read_audio(self.path)
        if audio.rate != RATE:
            raise UserError(f"{self.path}: enrollment take at {audio.rate} Hz, not {RATE}")
        return audio.samples


def profile_dir(state_dir: Path, name: str = DEFAULT_PROFILE) -> Path:
    """Folder of profile ``name`` under the state folder (not created)."""
    if not _NAME.match(name):
        raise UserError(f"profile name {name!r}: use lower-case letters, digits, - and _")
    return state_dir / "voice" / name


def load(folder: Path) -> list[Take]:
    """The takes listed in ``folder`` (empty when there is no profile there)."""
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except json.JSONDecodeError as error:
        raise UserError(f"{manifest}:{error.lineno}: not valid JSON ({error.msg})") from None
    except OSError as error:
        raise UserError(f"{manifest}: cannot read ({error.strerror})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise UserError(f"{manifest}: not a version {VERSION} voice profile")
    takes = []
    for k, entry in enumerate(data.get("takes", [])):
        try:
            takes.append(Take(str(entry["command"]), str(entry["phrase"]),
                              folder / Path(str(entry["file"])).name, float(entry["seconds"]),
                              str(entry["recorded"])))
        except (KeyError, TypeError, ValueError):
            raise UserError(f"{manifest}: take {k + 1} is missing a field") from None
    return takes


def by_command(takes: Iterable[Take]) -> dict[str, list[Take]]:
    """Takes grouped by command, in recording order."""
    grouped: dict[str, list[Take]] = {}
    for take in takes:
        grouped.setdefault(take.command, []).append(take)
    return grouped


def add_take(folder: Path, command: str, phrase: str, pcm: np.ndarray) -> Take:
    """Save ``pcm`` (float32 mono at ``RATE``) as a new take and list it."""
    takes = load(folder)
    folder.mkdir(parents=True, exist_ok=True)
    used = {t.path.name for t in takes} | {p.name for p in folder.glob("*.wav")}
    take = _write(folder, command, phrase, pcm, used)
    _save(folder, [*takes, take])
    return take


def _write(folder: Path, command: str, phrase: str, pcm: np.ndarray, used: set[str]) -> Take:
    """Write ``pcm`` under a file name not in ``used`` (which gains it); not yet listed."""
    slug = re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-") or command
    n = 1
    while f"{slug}-{n}.wav" in used:
        n += 1
    used.add(f"{slug}-{n}.wav")
    path = folder / f"{slug}-{n}.wav"
    with WavWriter(path, RATE) as writer:
        writer.write(np.asarray(pcm, np.float32))
    return Take(command, phrase, path, round(len(pcm) / RATE, 3),
                datetime.now(UTC).isoformat(timespec="seconds"))


def replace_takes(folder: Path, command: str, phrase: str,
                  pcms: Sequence[np.ndarray]) -> list[Take]:
    """Make ``pcms`` the takes of ``command`` said as ``phrase``, in place of the earlier ones
    of that phrase (other phrasings of the command stay). One manifest write switches from
    the old set to the new: an interruption before it leaves the old takes (the new WAVs are
    deleted), after it the new ones; the old WAVs are deleted last."""
    takes = load(folder)
    folder.mkdir(parents=True, exist_ok=True)
    old = [t for t in takes if t.command == command and t.phrase == phrase]
    used = {t.path.name for t in takes} | {p.name for p in folder.glob("*.wav")}
    new: list[Take] = []
    try:
        for pcm in pcms:
            new.append(_write(folder, command, phrase, pcm, used))
        _save(folder, [t for t in takes if t not in old] + new)
    except BaseException:
        for take in new:  # unlisted: the old set is still the profile
            take.path.unlink(missing_ok=True)
        raise
    for take in old:
        take.path.unlink(missing_ok=True)
    return new


def remove(folder: Path, command: str | None = None) -> list[Take]:
    """Delete the takes of ``command`` (all of them, and the folder, when None); returns
    what was deleted."""
    takes = load(folder)
    if command is None:
        if folder.exists():
            shutil.rmtree(folder)
        return takes
    gone = [t for t in takes if t.command == command]
    if not gone:  # nothing to delete: write nothing (no empty profile folder appears)
        return []
    _save(folder, [t for t in takes if t.command != command])
    for take in gone:
        take.path.unlink(missing_ok=True)
    return gone


def _save(folder: Path, takes: list[Take]) -> None:
    entries = []
    for take in takes:
        entry = asdict(take)
        entry["file"] = entry.pop("path").name
        entries.append(entry)
    atomic_write_text(folder / MANIFEST,
                      json.dumps({"version": VERSION, "takes": entries}, indent=1) + "\n")
