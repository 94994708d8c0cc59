"""Downloadable speech models: the manifest, verified fetching, and what is installed."""

from voice_coach.model_store.fetch import FetchResult, fetch_model
from voice_coach.model_store.manifest import Manifest, ModelSpec, load_manifest
from voice_coach.model_store.registry import (
    InstalledModel,
    find_piper_voice,
    find_vosk_model,
    installed_models,
)

__all__ = [
    "FetchResult",
    "InstalledModel",
    "Manifest",
    "ModelSpec",
    "fetch_model",
    "find_piper_voice",
    "find_vosk_model",
    "installed_models",
    "load_manifest",
]
