"""The listener's side of a voice profile: load it, build its templates, attach the spotter.

A profile that cannot be used (a damaged manifest, a take that cannot be read or holds no
voice, missing model files) is one error line in the log, and the listener goes on with the
recognizer alone: never a crash at bedtime.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from voice_coach.errors import UserError
from voice_coach.listen.spotting import Spotter
from voice_coach.personal import profile

log = logging.getLogger(__name__)


class _Ears(Protocol):
    spotter: Spotter | None


def profile_folder(state_dir: Path, name_or_path: str | Path) -> Path:
    """A profile given by name (under the state folder) or as a folder path (one with a
    slash, or an existing folder, as ``enroll --takes DIR --profile OUT`` writes)."""
    text = str(name_or_path)
    if "/" in text or text.startswith(".") or Path(text).is_dir():
        return Path(text).expanduser()
    return profile.profile_dir(state_dir, text)


def load_spotter(folder: Path) -> Spotter | None:
    """The template spotter of the profile in ``folder``; None (logged) without a usable one."""
    from voice_coach.personal.fusion import Fusion
    from voice_coach.personal.templates import load_or_build

    try:
        takes = profile.load(folder)
        if not takes:
            log.info("no enrolled voice in %s: listening with the recognizer alone", folder)
            return None
        spotter = Fusion(load_or_build(folder, takes), name=folder.name)
    except UserError as error:
        log.error("voice profile not used: %s; listening with the recognizer alone", error)
        return None
    log.info("listening with %s", spotter.description)
    return spotter


def attach(listener: _Ears, state_dir: Path, name_or_path: str | Path) -> bool:
    """Give ``listener`` the spotter of a profile, if there is a usable one; says which."""
    try:
        folder = profile_folder(state_dir, name_or_path)
    except UserError as error:
        log.error("voice profile not used: %s", error)
        return False
    listener.spotter = load_spotter(folder)
    return listener.spotter is not None
