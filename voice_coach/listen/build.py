"""Config -> Listener: which engine and model, the phrase table, the wake phrase."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from voice_coach.audio import LISTEN_RATE as RATE
from voice_coach.errors import UserError
from voice_coach.listen.engines.engine import Engine, EngineName
from voice_coach.listen.listener import Listener

log = logging.getLogger(__name__)

VOSK_FETCH = {"en": "vosk-model-small-en-us-0.15"}
"""Model the ``models fetch`` hint names per language."""


class ListenConfig(Protocol):
    """The parts of voice_coach.config.Config the listener needs."""

    @property
    def engine(self) -> str: ...
    @property
    def vosk_model(self) -> Path | None: ...
    @property
    def language(self) -> str: ...
    @property
    def wake_phrase(self) -> str | None: ...
    @property
    def models_dir(self) -> Path: ...


def fetch_hint(language: str) -> str:
    name = VOSK_FETCH.get(language.split("-")[0], f"<a Vosk model for {language!r}>")
    return f"voice-coach models fetch {name}"


def choose_engine(config: ListenConfig) -> tuple[Engine, str]:
    """The engine to use and why (one line for the start-up log)."""
    from voice_coach.model_store.registry import find_vosk_model, model_source

    language = config.language.split("-")[0]
    if config.vosk_model is not None and config.engine in ("auto", "vosk"):
        model = Path(config.vosk_model).expanduser()
        if not model.is_dir():
            raise UserError(f"listen.vosk_model: {model}: no such model folder "
                            f"(get one with: {fetch_hint(language)})")
        return Engine(EngineName.VOSK, model), f"Vosk, configured model {model}"
    if config.engine == "pocketsphinx":
        if language != "en":
            raise UserError(f"listen.engine: PocketSphinx has only an English model, not "
                            f"{language!r}; use Vosk ({fetch_hint(language)})")
        return Engine(EngineName.POCKETSPHINX), "PocketSphinx, as configured"
    found = find_vosk_model(language, config.models_dir)
    if found is not None:
        return Engine(EngineName.VOSK, found), \
            f"Vosk for {language!r}: {model_source(found, config.models_dir)}"
    if config.engine == "vosk":
        raise UserError(f"listen.engine: no Vosk model for {language!r} in {config.models_dir} "
                        f"(get one with: {fetch_hint(language)})")
    if language != "en":
        raise UserError(f"no recognizer for {language!r}: install a Vosk model "
                        f"({fetch_hint(language)})")
    why = (f"PocketSphinx with the US-English model of the pocketsphinx package: no English "
           f"Vosk model installed (better: {fetch_hint('en')})")
    return Engine(EngineName.POCKETSPHINX), why


def build_listener(config: ListenConfig, *, mic_rate: int = RATE) -> Listener:
    """The configured Listener; says once which engine it uses and why."""
    from voice_coach.listen.phrases import load_language

    engine, why = choose_engine(config)
    table = load_language(config.language.split("-")[0])
    if config.wake_phrase:
        table = table.with_wake(config.wake_phrase)
    missing = [w for w in table.wake.split() if not engine.knows(w)]
    if missing:
        # Named as the user wrote it: the key and the word, not the phrase table it joins.
        where = getattr(config, "source", None)
        raise UserError(f"{f'{where}: ' if where else ''}[listen] wake_phrase = "
                        f"{table.wake!r}: the {engine.name} recognizer does not know the word "
                        f"{', '.join(repr(w) for w in missing)}; choose words it knows")
    # Said once at start-up; the fallback is a warning because Vosk would serve better.
    (log.warning if engine.name == EngineName.POCKETSPHINX else log.info)("listening with %s", why)
    return Listener(engine, table, mic_rate=mic_rate)
