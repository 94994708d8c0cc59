"""The manifest of downloadable models and the upstream indexes that vouch for their bytes."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voice_coach.errors import UserError

Kind = Literal["vosk", "piper"]
MANIFEST_PATH = Path(__file__).resolve().parent.parent / "model_manifest" / "manifest.toml"


@dataclass(frozen=True)
class ModelSpec:
    """A model voice-coach knows how to fetch."""

    name: str
    """Upstream name: the Vosk zip's name or the Piper voice key; also the install folder."""
    kind: Kind
    """"vosk" (a zipped model folder) or "piper" (an .onnx voice with its .onnx.json)."""
    language: str
    """ISO 639-1 code of the language it recognizes or speaks."""
    licence: str
    """Licence as the publisher states it."""
    homepage: str
    """Where a person can read about it."""
    size: int
    """Download size in bytes as last seen upstream; display only (the index decides)."""
    description: str
    """One line for `models list`."""


@dataclass(frozen=True)
class Source:
    """An upstream index publishing sizes and MD5 digests for one kind of model."""

    kind: Kind
    """Which kind of model this index describes."""
    index_url: str
    """Official URL of the index (JSON)."""
    env: str
    """Environment variable that overrides ``index_url`` (mirrors, tests)."""

    def url(self) -> str:
        """The index URL in effect: the environment override, else the official one."""
        return os.environ.get(self.env) or self.index_url


@dataclass(frozen=True)
class Manifest:
    """Everything in models/manifest.toml."""

    models: tuple[ModelSpec, ...]
    """Fetchable models, in manifest order."""
    sources: dict[str, Source]
    """Upstream index per kind."""

    def get(self, name: str) -> ModelSpec:
        """The model called ``name``; UserError listing the known names otherwise."""
        for spec in self.models:
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.models)
        raise UserError(f"unknown model {name!r} (known: {known}; see `voice-coach models list`)")


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """Parse the manifest; a broken manifest is a packaging bug, reported with its path."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        sources = {
            kind: Source(kind=kind, index_url=entry["index_url"], env=entry["env"])
            for kind, entry in data["sources"].items()
        }
        models = tuple(
            ModelSpec(
                name=entry["name"], kind=entry["kind"], language=entry["language"],
                licence=entry["licence"], homepage=entry["homepage"], size=int(entry["size"]),
                description=entry.get("description", ""),
            )
            for entry in data["models"]
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path}: broken model manifest: {error!r}") from None
    for spec in models:
        if spec.kind not in sources:
            raise UserError(f"{path}: model {spec.name} has kind {spec.kind!r} with no source")
    return Manifest(models=models, sources=sources)


@dataclass(frozen=True)
class RemoteFile:
    """One file to download, with what the publisher says it must be."""

    url: str
    """Absolute download URL."""
    filename: str
    """Local file name (last path component)."""
    size: int
    """Exact size in bytes published by the index."""
    md5: str
    """Lower-case hex MD5 published by the index."""
