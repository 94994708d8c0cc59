"""Scenes on disk: mic, reference and echo as .npy plus the truth as JSON, keyed by plan."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np
from scenes import Said, Scene


def scene_key(parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_scene(scene: Scene, cache: Path, key: str) -> None:
    folder = cache / "scenes"
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"name": scene.name, "kind": scene.kind, "ref_rate": scene.ref_rate,
            "room": scene.room, "said": [asdict(s) for s in scene.said]}
    for suffix, arr in (("mic", scene.mic), ("ref", scene.ref), ("echo", scene.echo)):
        tmp = folder / f"{key}.{suffix}.tmp.npy"
        np.save(tmp, np.asarray(arr, np.float32))
        os.replace(tmp, folder / f"{key}.{suffix}.npy")
    tmp = folder / f"{key}.json.tmp"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / f"{key}.json")


def load_scene(cache: Path, key: str, mmap: bool = False) -> Scene | None:
    folder = cache / "scenes"
    if not (folder / f"{key}.json").exists():
        return None
    meta = json.loads((folder / f"{key}.json").read_text())
    mode = "r" if mmap else None
    mic = np.load(folder / f"{key}.mic.npy", mmap_mode=mode)
    ref = np.load(folder / f"{key}.ref.npy", mmap_mode=mode)
    echo = np.load(folder / f"{key}.echo.npy", mmap_mode=mode)
    said = tuple(Said(**s) for s in meta["said"])
    return Scene(meta["name"], meta["kind"], ref, meta["ref_rate"], mic, said, meta["room"], echo)
