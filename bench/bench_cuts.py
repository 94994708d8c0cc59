"""Where the echo sits on the listener's clock across cuts, on a real sound server.

The coach's Player plays bursts of noise to a private PulseAudio's speaker through
DeviceOutput, and every burst is cut short the way a stop cuts the coach (the output stream
is aborted and started again); the microphone (the room, which hears the speaker through a
60 ms loopback) is read by DeviceSource and laid on the listener's clock by MicClock, exactly
as in `voice-coach run`. Each burst's echo delay is found by cross-correlating what the
listener would hear with what the Player played. A clock that keeps the echo put shows the
same delay in every burst: the cancellers then never see it move.

Run: .venv/bin/python bench/bench_cuts.py [--seconds 40] [--seeds 0 1]
Prints a table and writes bench/results/cuts.json. Needs pulseaudio and libasound2-plugins.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

RESULTS = Path(__file__).resolve().parent / "results" / "cuts.json"
OUT_RATE = 22050
MIC_RATE = 16000
WINDOW_S = 0.25
"""Stretch of a burst each delay is measured on, s."""
MAX_LAG_S = 0.15
SETTLE_S = 3.0
"""Bursts that start this early are left out: the streams' timing settles first (the mic
waits for its own, DeviceSource), s."""


def child(seconds: float, seed: int) -> dict[str, object]:
    """In the sound server's environment: play, cut, record; the per-burst delays."""
    from voice_coach.listen.mic_clock import MicClock
    from voice_coach.listen.sources import DeviceSource
    from voice_coach.speech.device import DeviceOutput
    from voice_coach.speech.player import Player

    rng = np.random.default_rng(seed)
    player = Player(OUT_RATE, 441)
    played: list[tuple[float, np.ndarray]] = []
    player.add_tap(lambda block, start: played.append((start, block.copy())))
    heard: list[np.ndarray] = []
    clock = MicClock(MIC_RATE)
    counted = 0
    bursts: list[tuple[float, float]] = []
    with DeviceOutput(player, "vc_speaker") as output:
        source = DeviceSource("vc_mic", MIC_RATE, 0.02, start_time=player.time,
                              timing=output.clock.stream_time_at)
        end = time.monotonic() + seconds
        k = 0

        def drain() -> None:
            nonlocal counted
            while (item := source.read(timeout=0)) is not None:
                block, _ = clock.join(item[0], item[1], counted / MIC_RATE)
                heard.append(block)
                counted += len(block)

        while time.monotonic() < end:
            k += 1
            start = player.time
            player.play(k, (0.3 * rng.standard_normal(2 * OUT_RATE)).astype(np.float32))
            time.sleep(rng.uniform(1.0, 1.8))
            player.stop()
            bursts.append((start, player.time))
            time.sleep(rng.uniform(0.4, 1.0))
            drain()
        time.sleep(0.3)
        drain()
        source.close()
        underflows, cuts = output.underflows, output.cuts
    assert clock.origin is not None
    total = max(t for t, _ in played) + 1.0
    reference = np.zeros(int(total * MIC_RATE))
    for t, block in played:
        x = np.interp(np.arange(len(block) * MIC_RATE // OUT_RATE) * OUT_RATE / MIC_RATE,
                      np.arange(len(block)), block)
        i = round(t * MIC_RATE)
        reference[i:i + len(x)] = x[:max(0, len(reference) - i)]
    mic = np.zeros_like(reference)
    pcm = np.concatenate(heard)
    i = round(clock.origin * MIC_RATE)
    mic[max(i, 0):i + len(pcm)] = pcm[max(-i, 0):len(mic) - i]
    delays = [burst_delay(mic, reference, a, b) for a, b in bursts if a >= SETTLE_S]
    return {"delays_ms": [d for d in delays if d is not None], "underflows": underflows,
            "cuts": cuts, "followed_ms": clock.followed_s * 1000}


def burst_delay(mic: np.ndarray, reference: np.ndarray, start: float, end: float
                ) -> float | None:
    """The echo delay over a burst (from 0.3 s in, away from the stream's first moments), ms."""
    a, b = round((start + 0.3) * MIC_RATE), round((end - 0.05) * MIC_RATE)
    lag = round(MAX_LAG_S * MIC_RATE)
    if b - a < WINDOW_S * MIC_RATE or b + lag > len(mic):
        return None
    c = np.correlate(mic[a:b + lag], reference[a:b], mode="valid")
    j = int(np.argmax(c))
    return j / MIC_RATE * 1000


def table(runs: list[dict[str, object]]) -> str:
    lines = ["seed  bursts  delay median ms  spread (max-min) ms  largest step ms  underflows"]
    for run in runs:
        d = np.array(run["delays_ms"], float)
        step = float(np.max(np.abs(np.diff(d)))) if len(d) > 1 else 0.0
        lines.append(f"{run['seed']:4}  {len(d):6}  {np.median(d):15.1f}  "
                     f"{np.ptp(d):19.1f}  {step:15.1f}  {run['underflows']:10}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.seconds, args.child)))
        return 0
    from soundserver import SoundServer

    runs = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp, \
                SoundServer(Path(tmp) / "server", echo_ms=60) as server:
            done = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds),
                                   "--child", str(seed)], env=server.env, capture_output=True,
                                  text=True, timeout=args.seconds + 60)
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        runs.append({"seed": seed, **json.loads(done.stdout.splitlines()[-1])})
    text = table(runs)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": runs, "table": text}, indent=1))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
