"""Where routines live: the bundled ones inside the package and the user's own folder."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from voice_coach import paths
from voice_coach.errors import UserError
from voice_coach.routine.compile import compile_routine, estimate_seconds
from voice_coach.routine.load import load_routine

log = logging.getLogger(__name__)

ROUTINE_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")


@dataclass(frozen=True)
class RoutineInfo:
    """One line of ``voice-coach list``."""

    id: str
    """Routine id (the file name when the file cannot be read)."""
    title: str
    """Routine title ("" when broken)."""
    minutes: float | None
    """Estimated playing time in minutes at the routine's rate (None when broken)."""
    path: Path
    """The YAML file."""
    source: Literal["bundled", "user"]
    """Shipped with voice-coach, or from the user's routines folder."""
    error: str | None = None
    """One-line validation error; the routine cannot be played while this is set."""
    replaces: Path | None = None
    """The bundled routine file this user routine replaces (same id), if any."""
    clashes: tuple[Path, ...] = ()
    """Other files in the same folder with this id: none of them can be played by id."""


def bundled_dir() -> Path:
    """Folder of the routines shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "routines"


def default_user_dir() -> Path:
    """The user's routines folder when the config names none (one rule app-wide)."""
    return paths.default_routines_dir()


def routine_files(directory: Path) -> list[Path]:
    """The routine files directly inside ``directory`` (none if it does not exist)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in ROUTINE_SUFFIXES and p.is_file())


def routine_info(path: Path, source: Literal["bundled", "user"]) -> RoutineInfo:
    """Load ``path`` for listing; a broken file becomes an info with ``error`` set."""
    try:
        routine = load_routine(path)
    except UserError as exc:
        return RoutineInfo(path.stem, "", None, path, source, str(exc))
    minutes = estimate_seconds(compile_routine(routine), routine.rate) / 60.0
    return RoutineInfo(routine.id, routine.title, minutes, path, source)


def list_routines(user_dir: Path | None = None) -> list[RoutineInfo]:
    """Bundled routines, then the user's (``None`` = :func:`default_user_dir`).

    A user routine with the same id as a bundled one replaces it, as in ``resolve_routine``.
    """
    user = default_user_dir() if user_dir is None else Path(user_dir)
    mine = without_clashes([routine_info(p, "user") for p in routine_files(user)])
    bundled = [routine_info(p, "bundled") for p in routine_files(bundled_dir())]
    replaced = {info.id for info in mine if info.error is None or info.clashes}
    by_id = {info.id: info.path for info in bundled if info.error is None}
    mine = [replace(info, replaces=by_id.get(info.id)) if info.error is None else info
            for info in mine]
    return [info for info in bundled if info.id not in replaced] + mine


def without_clashes(infos: list[RoutineInfo]) -> list[RoutineInfo]:
    """Mark routines of one folder that share an id as unplayable, naming each other.

    Picking one of them would play a routine the user may not have meant, silently.
    """
    paths: dict[str, list[Path]] = {}
    for info in infos:
        if info.error is None:
            paths.setdefault(info.id, []).append(info.path)
    out = []
    for info in infos:
        others = tuple(p for p in paths.get(info.id, []) if p != info.path)
        if info.error is None and others:
            names = ", ".join(str(p) for p in others)
            info = replace(info, clashes=others,
                           error=f"{info.path}: id '{info.id}' is also used by {names}; "
                                 "give each routine its own 'id:'")
        out.append(info)
    return out


def resolve_routine(name_or_path: str, user_dir: Path | None = None) -> Path:
    """The file for a routine id or a path; a user routine wins over a bundled one."""
    candidate = Path(name_or_path).expanduser()
    looks_like_path = (os.sep in name_or_path or "/" in name_or_path
                       or candidate.suffix in ROUTINE_SUFFIXES)
    if candidate.is_file():
        return candidate
    if candidate.is_dir() and looks_like_path:
        raise UserError(f"{name_or_path}: is a folder, not a routine file (give a routine "
                        "id from `voice-coach list`, or a .yaml file)")
    if looks_like_path:
        raise UserError(f"{name_or_path}: no such routine file")
    infos = list_routines(user_dir)
    # Ids first (user routines come after bundled ones, so search from the end), then file
    # names; a broken file is returned too, so that loading it reports its FILE:LINE error.
    by_id = [info for info in infos if info.id == name_or_path]
    if by_id and by_id[-1].clashes:
        files = ", ".join(str(p) for p in (by_id[-1].path, *by_id[-1].clashes))
        raise UserError(f"routine id '{name_or_path}' is used by more than one file "
                        f"({files}); give each its own 'id:' or name the file to play")
    by_name = [info for info in infos if info.path.stem == name_or_path]
    for found in (by_id, by_name):
        if found:
            if found[-1].replaces is not None:
                log.warning("%s: your routine replaces the bundled '%s'", found[-1].path,
                            found[-1].id)
            return found[-1].path
    listing = ", ".join(sorted({info.id for info in infos if info.error is None})) or "none"
    raise UserError(f"unknown routine '{name_or_path}'; known routines: {listing}")
