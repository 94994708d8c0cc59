"""``voice-coach detect``: the live listener run offline on recordings.

The mic recording (and, if given, what the speaker played) is fed block by block on the file's
clock to exactly the Listener ``run`` uses; one line per command heard.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from voice_coach.audio import BLOCK_SECONDS as BLOCK_S
from voice_coach.config import add_config_argument, load_config
from voice_coach.errors import UserError

"""Block length fed to the listener, s (as the live app)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="find spoken commands in a recording (runs the live listener offline)",
        description="Run the listener on MIC.wav (WAV, FLAC, ...: any rate and sample width); "
                    "with --reference, on what the speaker played too, for echo handling. "
                    "One line per command heard.",
    )
    parser.add_argument("mic", type=Path, metavar="MIC.wav", help="microphone recording")
    parser.add_argument("--reference", type=Path, default=None, metavar="REF.wav",
                        help="what the speaker played, starting at the same instant")
    parser.add_argument("--engine", choices=("vosk", "pocketsphinx"), default=None,
                        help="recognizer (default: config, else auto)")
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="Vosk model folder (implies --engine vosk)")
    parser.add_argument("--language", default=None, help='command language, e.g. "en", "ko"')
    parser.add_argument("--mode", choices=("session", "wake"), default="session",
                        help="session: bare commands (default); wake: only the wake phrase")
    parser.add_argument("--profile", default=None, metavar="NAME|DIR",
                        help="voice profile of enrolled takes: a name in the state folder or "
                             "a profile folder (default: config [listen] voice_profile)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voice_coach.audio_file import read_audio
    from voice_coach.listen.build import build_listener
    from voice_coach.listen.resample import to_mono_float32

    recording = read_audio(args.mic)
    for warning in recording.quality_warnings():
        print(f"voice-coach: warning: {warning}", file=sys.stderr)
    mic, mic_rate = recording.samples, recording.rate
    reference = None
    if args.reference is not None:
        played = read_audio(args.reference)
        reference = played.samples, played.rate
    config = load_config(args.config)
    changes: dict[str, Any] = {}  # Config fields, each of its own type
    if args.model is not None:
        if not args.model.is_dir():
            raise UserError(f"{args.model}: no such Vosk model folder", exit_code=2)
        changes.update(engine="vosk", vosk_model=args.model)
    elif args.engine is not None:
        changes["engine"] = args.engine
        if args.engine == "pocketsphinx":
            changes["vosk_model"] = None
    if args.language is not None:
        changes["language"] = args.language
    listener = build_listener(replace(config, **changes), mic_rate=mic_rate)
    from voice_coach import paths
    from voice_coach.personal.ears import attach

    attach(listener, paths.state_dir(), args.profile or config.voice_profile)
    listener.set_mode(args.mode)
    n_mic = round(BLOCK_S * mic_rate)
    for k in range(0, len(mic), n_mic):
        start = k / mic_rate
        if reference is not None:
            ref, ref_rate = reference
            a, b = round(start * ref_rate), round((start + BLOCK_S) * ref_rate)
            if a < len(ref):
                listener.add_reference(to_mono_float32(ref[a:b]), start, ref_rate)
        heard = listener.process(mic[k:k + n_mic], start)
        _print(heard, args.json)
    _print(listener.flush(), args.json)
    return 0


def _print(heard: list, as_json: bool) -> None:
    for h in heard:
        if as_json:
            print(json.dumps({"time": round(h.time, 3), "command": h.command, "text": h.text,
                              "confidence": round(h.confidence, 3), "source": h.source},
                             ensure_ascii=False),
                  flush=True)
        else:
            print(f"{h.time:8.2f}  {h.command:8s}  {h.text}  ({h.confidence:.2f})", flush=True)
