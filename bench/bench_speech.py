"""Speech benchmark: time to first audio (cold/warm cache), synthesis speed, stop latency.

Run: .venv/bin/python bench/bench_speech.py   (prints a table, writes bench/results/speech.json)

Cold runs happen in a fresh interpreter with an empty cache, so they include importing
Piper/onnxruntime and loading the voice, as a user's first sentence does.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from voice_coach.speech import Player, Synthesizer

RESULTS = Path(__file__).resolve().parent / "results" / "speech.json"

SENTENCES = (
    "Lie on your back with your knees bent and your feet flat on the floor.",
    "Let your arms rest by your sides, palms facing up.",
    "Breathe in slowly through your nose.",
    "And breathe out, letting the lower back soften into the mat.",
    "Place your right ankle just above your left knee.",
    "Hold here for five slow breaths.",
    "Gently tilt the pelvis so the lower back arches a little.",
    "Now flatten the back against the floor.",
    "Roll onto your left side and rest your head on your arm.",
    "Take a moment to notice how both sides feel.",
)

COLD_SNIPPET = """
import json, sys, time
t0 = time.perf_counter()
from voice_coach.speech import Player, Synthesizer
synth = Synthesizer(cache_dir=sys.argv[1])
pcm = synth.synthesize(sys.argv[2])
player = Player(synth.sample_rate, 441)
player.play(1, pcm)
player.read_block()
print(json.dumps({"ttfa_s": time.perf_counter() - t0, "piper_calls": synth.stats.piper_calls}))
"""


def cold_first_audio(runs: int) -> list[float]:
    """Fresh process, empty cache: import + voice load + synthesis + first block."""
    times = []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            result = subprocess.run(
                [sys.executable, "-c", COLD_SNIPPET, cache, SENTENCES[i % len(SENTENCES)]],
                check=True, capture_output=True, text=True,
            )
            times.append(json.loads(result.stdout)["ttfa_s"])
    return times


def first_audio(synth: Synthesizer, text: str) -> float:
    t0 = time.perf_counter()
    pcm = synth.synthesize(text)
    player = Player(synth.sample_rate, 441)
    player.play(1, pcm)
    player.read_block()
    return time.perf_counter() - t0


def synthesis_speed(cache: Path) -> dict[str, float]:
    synth = Synthesizer(cache_dir=cache / "speed")
    synth.load()
    audio_s, latencies = 0.0, []
    for text in SENTENCES:
        t0 = time.perf_counter()
        pcm = synth.synthesize(text)
        latencies.append(time.perf_counter() - t0)
        audio_s += len(pcm) / synth.sample_rate
    wall = sum(latencies)
    return {
        "audio_s": audio_s,
        "wall_s": wall,
        "realtime_factor": audio_s / wall,
        "sentence_latency_median_s": statistics.median(latencies),
        "sentence_latency_max_s": max(latencies),
    }


def warm_first_audio(cache: Path, runs: int) -> dict[str, list[float]]:
    """New Synthesizer on a filled cache (disk hit, voice never loaded), then memory hits;
    plus an uncached sentence once the voice is loaded (the cost of a missed look-ahead)."""
    root = cache / "warm"
    filler = Synthesizer(cache_dir=root)
    for text in SENTENCES:
        filler.synthesize(text)
    disk, memory, miss = [], [], []
    for i in range(runs):
        text = SENTENCES[i % len(SENTENCES)]
        synth = Synthesizer(cache_dir=root)
        disk.append(first_audio(synth, text))
        memory.append(first_audio(synth, text))
        assert synth.stats.piper_calls == 0
        miss.append(first_audio(filler, f"{text} Number {i}."))
    return {"disk": disk, "memory": memory, "loaded_voice_uncached": miss}


def stop_latency(speech: np.ndarray, rate: int, block: int, trials: int, seed: int) -> list[float]:
    """ms from the stop request to the last non-silent sample played after it.

    The request arrives at a uniformly random moment while some block is playing (the
    device is playing block k while the callback has not yet asked for block k+1); it takes
    effect in the next read_block(). Device buffering latency comes on top of this.
    """
    rng = np.random.default_rng(seed)
    latencies = []
    for _ in range(trials):
        player = Player(rate, block)
        player.play(1, speech)
        blocks_before = int(rng.integers(1, len(speech) // block - 2))
        out = [player.read_block() for _ in range(blocks_before)]
        request = player.samples_emitted - rng.uniform(0.0, 1.0) * block
        player.stop()
        out += [player.read_block() for _ in range(4)]
        played = np.concatenate(out)
        loud = np.flatnonzero(np.abs(played) > 1e-4)
        last = loud[-1] + 1 if len(loud) else 0
        latencies.append(max(0.0, (last - request) / rate * 1000))
    return latencies


def summarize(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "p95": float(np.percentile(arr, 95)),
        "max": float(arr.max()),
        "n": len(values),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=10)
    parser.add_argument("--stop-trials", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        cold = cold_first_audio(args.cold_runs)
        speed = synthesis_speed(cache)
        warm = warm_first_audio(cache, args.warm_runs)
        synth = Synthesizer(cache_dir=cache / "warm")
        speech = np.concatenate([synth.synthesize(t) for t in SENTENCES[:3]])
        rate = synth.sample_rate
    stop = {
        str(block): summarize(stop_latency(speech, rate, block, args.stop_trials, block))
        for block in (320, 441, 1024)
    }
    results = {
        "machine": {"platform": platform.platform(), "machine": platform.machine(),
                    "python": platform.python_version()},
        "voice_sample_rate": rate,
        "ttfa_s": {
            "cold_cache_new_process": summarize(cold),
            "warm_cache_disk": summarize(warm["disk"]),
            "warm_cache_memory": summarize(warm["memory"]),
            "uncached_voice_loaded": summarize(warm["loaded_voice_uncached"]),
        },
        "synthesis": speed,
        "stop_latency_ms": stop,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    print(f"speech benchmark on {platform.machine()} ({platform.platform()})")
    print(f"{'time to first audio':40s} {'median':>10s} {'max':>10s}")
    for name, row in results["ttfa_s"].items():
        print(f"  {name:38s} {row['median'] * 1000:8.1f}ms {row['max'] * 1000:8.1f}ms")
    print(f"{'synthesis':40s}")
    print(f"  {'audio seconds per wall second':38s} {speed['realtime_factor']:10.1f}")
    print(f"  {'sentence latency (median / max)':38s} "
          f"{speed['sentence_latency_median_s'] * 1000:8.1f}ms "
          f"{speed['sentence_latency_max_s'] * 1000:8.1f}ms")
    print(f"{'stop latency (request -> last sound)':40s} {'mean':>10s} {'p95':>10s} {'max':>10s}")
    for block, row in stop.items():
        ms = int(block) / rate * 1000
        label = f"block {block} ({ms:.1f} ms)"
        print(f"  {label:38s} {row['mean']:8.1f}ms {row['p95']:8.1f}ms {row['max']:8.1f}ms")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
