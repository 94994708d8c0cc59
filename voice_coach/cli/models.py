"""``voice-coach models list`` / ``voice-coach models fetch NAME``."""

from __future__ import annotations

import argparse
from pathlib import Path

from voice_coach.config import Config, add_config_argument, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list or download speech models",
        description="Recognition models (Vosk) and voices (Piper) that voice-coach can "
        "download, verified against the publisher's size and MD5.",
    )
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="show known and installed models")
    fetch = actions.add_parser("fetch", help="download and install a model")
    fetch.add_argument("name", help="model name as shown by `voice-coach models list`")
    for sub in (listing, fetch):
        sub.add_argument("--dir", type=Path, default=None, metavar="DIR",
                         help="models folder (default: models_dir from the config)")
        add_config_argument(sub)
    listing.set_defaults(func=run_list)
    fetch.set_defaults(func=run_fetch)


def _models_dir(args: argparse.Namespace) -> Path:
    return args.dir if args.dir is not None else load_config(args.config).models_dir


def _size(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def run_list(args: argparse.Namespace) -> int:
    from voice_coach.model_store import installed_models, load_manifest
    from voice_coach.model_store.registry import packaged_models

    config = load_config(args.config)
    models_dir = args.dir if args.dir is not None else config.models_dir
    installed = {m.name: m for m in installed_models(models_dir)}
    packaged = {m.name: m for m in packaged_models()}
    manifest = load_manifest()
    print(f"models folder: {models_dir}")
    print(f"{'name':<30} {'kind':<5} {'lang':<4} {'size':>7}  {'status':<14} licence")
    for spec in manifest.models:
        status = ("installed" if spec.name in installed
                  else "bundled" if spec.name in packaged else "not installed")
        print(f"{spec.name:<30} {spec.kind:<5} {spec.language:<4} {_size(spec.size):>7}  "
              f"{status:<14} {spec.licence}")
    known = {spec.name for spec in manifest.models}
    for model in installed.values():
        if model.name not in known:
            print(f"{model.name:<30} {model.kind:<5} {model.language or '?':<4} {'':>7}  "
                  f"{'installed':<14} (added by hand)")
    for extra in packaged.values():
        if extra.name not in known:
            print(f"{extra.name:<30} {extra.kind:<5} {extra.language:<4} {'':>7}  "
                  f"{'bundled':<14} (Python package)")
    for model in installed.values():
        print(f"  {model.name}: {model.path}")
    for extra in packaged.values():
        print(f"  {extra.name}: {extra.path} (Python package {extra.package} {extra.version})")
    print(in_use(config, models_dir))
    print("fetch one with: voice-coach models fetch NAME")
    return 0


def in_use(config: Config, models_dir: Path) -> str:
    """The voice and recognizer this config would use, and where each comes from."""
    from dataclasses import replace

    from voice_coach.errors import UserError
    from voice_coach.listen.build import choose_engine
    from voice_coach.model_store.registry import model_source
    from voice_coach.speech.voice import default_voice_path

    voice = model_source(config.voice or default_voice_path(), models_dir)
    try:
        _engine, recognizer = choose_engine(replace(config, models_dir=models_dir))
    except UserError as error:
        recognizer = f"none ({error})"
    where = config.source or "defaults"
    return (f"in use ({where}):\n  voice: {voice}\n"
            f"  recognizer for {config.language!r}: {recognizer}")


def run_fetch(args: argparse.Namespace) -> int:
    from voice_coach.model_store import fetch_model

    result = fetch_model(args.name, _models_dir(args))
    if result.already_installed:
        print(f"{args.name} is already installed at {result.path}")
    else:
        print(f"installed {args.name} at {result.path}")
    return 0
