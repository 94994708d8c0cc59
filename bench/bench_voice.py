"""Voice benchmark: the coach's pace (words a minute) and how evenly loud its sentences are,
measured on real Piper renders of the bundled routines.

Run: .venv/bin/python bench/bench_voice.py [--rates 0.7 1.0 1.3]
Prints a table and writes bench/results/voice.json.

Pace: only a routine's spoken instructions, back to back (its silences, holds and breaths
left out): words over the time from the first word to the end of the last sentence,
the gaps between sentences included. Loudness: every sentence of the whole routine as
played (countdowns and breath cues too), three ways: BS.1770 loudness of the words (what
the coach aims at), unweighted RMS of the frames with speech, and RMS of the whole clip (Piper's
lead-in and tail included, as `sox stats` on a cut-out sentence reads it); each as the
median and the farthest sentences below and above it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from voice_render import (  # noqa: E402
    SpokenRender,
    active_level_db,
    instructions_session,
    render_session,
    routine_session,
)

from voice_coach.speech import Synthesizer  # noqa: E402
from voice_coach.speech.loudness import speech_loudness  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "voice.json"
ROUTINES = ("bedtime-breathing", "lower-back-hip")


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20))


MEASURES = {
    "LUFS of the words": speech_loudness,
    "RMS of the words": active_level_db,
    "RMS of the clip": lambda clip, _rate: _db(clip),
}


def spread(render: SpokenRender) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    clips = [(render.clip(item), item.text) for item in render.spoken]
    for name, measure in MEASURES.items():
        levels = np.array([measure(clip, render.sample_rate) for clip, _ in clips])
        median = float(np.median(levels))
        low, high = int(levels.argmin()), int(levels.argmax())
        out[name] = {"median_db": round(median, 1),
                     "lowest": [round(float(levels[low]) - median, 1), clips[low][1]],
                     "highest": [round(float(levels[high]) - median, 1), clips[high][1]]}
    peak = float(np.max(np.abs(render.audio)))
    out["peak_dbfs"] = {"value": round(20 * np.log10(peak), 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.7, 1.0, 1.3])
    args = parser.parse_args()
    report: dict[str, object] = {"pace_wpm": {}, "loudness": {}}
    with tempfile.TemporaryDirectory() as cache, Synthesizer(cache_dir=Path(cache)) as synth:
        for rid in ROUTINES:
            report["pace_wpm"][rid] = {  # type: ignore[index]
                str(rate): round(render_session(instructions_session(rid, rate), synth)
                                 .words_per_minute, 1) for rate in args.rates}
            report["loudness"][rid] = spread(render_session(routine_session(rid), synth))  # type: ignore[index]
    print(f"{'routine':<18} " + " ".join(f"wpm@{rate:<5}" for rate in args.rates))
    for rid, pace in report["pace_wpm"].items():  # type: ignore[attr-defined]
        print(f"{rid:<18} " + " ".join(f"{wpm:<9}" for wpm in pace.values()))
    print()
    print(f"{'routine':<18} {'measure':<18} {'median':>7} {'lowest':>7} {'highest':>7}  "
          "lowest / highest sentence")
    for rid, measures in report["loudness"].items():  # type: ignore[attr-defined]
        for name, row in measures.items():
            if name == "peak_dbfs":
                print(f"{rid:<18} {'peak (dBFS)':<18} {row['value']:>7}")
                continue
            print(f"{rid:<18} {name:<18} {row['median_db']:>7} {row['lowest'][0]:>+7} "
                  f"{row['highest'][0]:>+7}  {row['lowest'][1]!r} / {row['highest'][1]!r}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
