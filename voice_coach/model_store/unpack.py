"""Turning verified downloads into an installed model folder, all or nothing.

Everything is assembled in a hidden staging folder inside the models folder (same filesystem)
and published with one ``os.replace``; on any failure the staging folder is removed, so a
model folder either is complete or does not exist.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from voice_coach.errors import UserError

INFO_FILE = ".voice-coach.json"
"""Written into every installed model: where it came from and what was verified."""
VOSK_MARKERS = ("am/final.mdl", "conf/model.conf")


def _safe_members(archive: zipfile.ZipFile, label: str) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    for info in members:
        path = PurePosixPath(info.filename)
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename or is_link:
            raise UserError(f"{label}: refusing unsafe archive entry {info.filename!r}")
    return members


def extract_vosk_zip(zip_path: Path, staging: Path, label: str) -> Path:
    """Extract a Vosk model zip into ``staging``; return the folder holding the model."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            _safe_members(archive, label)
            broken = archive.testzip()
            if broken is not None:
                raise UserError(f"{label}: archive is corrupt (bad CRC in {broken})")
            archive.extractall(staging)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise UserError(f"{label}: not a valid zip archive ({error})") from None
    except OSError as error:
        raise UserError(f"{label}: cannot unpack: {error}") from None
    entries = [p for p in staging.iterdir() if p.name != INFO_FILE]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    missing = [m for m in VOSK_MARKERS if not (root / m).is_file()]
    if missing:
        raise UserError(f"{label}: archive holds no Vosk model (missing {', '.join(missing)})")
    return root


def install(models_dir: Path, name: str, build: Callable[[Path], Path],
            info: Mapping[str, object]) -> Path:
    """Publish ``models_dir/name`` atomically from what ``build(staging)`` assembles.

    ``build`` fills the staging folder and returns the folder to publish (the staging folder
    itself or one inside it). Raises UserError if the model appeared meanwhile.
    """
    target = models_dir / name
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=models_dir))
    staging.chmod(0o755)  # mkdtemp makes it owner-only; a published model is plain data
    try:
        root = build(staging)
        (root / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        try:
            root.replace(target)
        except OSError:
            if target.exists():
                raise UserError(f"{name} is already installed at {target}") from None
            raise
    except OSError as error:
        raise UserError(f"cannot install {name} into {models_dir}: {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
