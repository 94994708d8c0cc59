"""Where the echo sits on the listener's clock across cuts, on a real sound server.

The coach's Player plays bursts of noise to a private PulseAudio's speaker through
DeviceOutput, and every burst is cut short the way a stop cuts the coach (the output stream
is aborted and started again); the microphone (the room, which hears the speaker through a
60 ms loopback) is read by DeviceSource and laid on the listener's clock by MicClock, exactly
as in `voice-coach run`. Each burst's echo delay is found by cross-correlating what the
listener would hear with what the Player played. A clock that keeps the echo put shows the
same delay in every burst: the cancellers then never see it move.

``--no-cuts --seconds 1800`` is the long run of issue #21 ("drift <= 5 ms over 30 minutes"):
the bursts play on without a cut, and the table gives the delay minute by minute.
``--other-client`` adds what the live scenes add (tests/live_room.py: another program
recording the speaker's monitor and the room at 20 ms latency, and playing into the room).
Each burst also gets its delay in sample counts (mic samples against Player samples, no
timestamps), a second witness: where the counts hold and the listener's delay moves, the
timestamps moved (PulseAudio with another client, for its first 13 minutes); where the
counts jump and the listener's delay holds, the server moved its streams and the timestamps
followed (PipeWire; bench/LIVE.md, sixth session).

Run: .venv/bin/python bench/bench_cuts.py [--seconds 40] [--seeds 0 1] [--no-cuts]
     [--other-client] [--server pulseaudio|pipewire]
Prints a table and writes bench/results/cuts.json (with --no-cuts: clock[-other][-pipewire]
.json). Needs pulseaudio (or pipewire, wireplumber, pipewire-pulse) and libasound2-plugins.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

RESULTS = Path(__file__).resolve().parent / "results" / "cuts.json"
OUT_RATE = 22050
MIC_RATE = 16000
WINDOW_S = 0.25
"""Stretch of a burst each delay is measured on, s."""
MAX_LAG_S = 0.15
SETTLE_S = 3.0
"""Bursts that start this early are left out: the streams' timing settles first (the mic
waits for its own, DeviceSource), s."""


def child(seconds: float, seed: int, cut: bool = True) -> dict[str, object]:
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
    raw: list[np.ndarray] = []  # the mic as delivered, before MicClock: counts only
    bursts: list[tuple[float, float]] = []
    with DeviceOutput(player, "vc_speaker") as output:
        source = DeviceSource("vc_mic", MIC_RATE, 0.02, start_time=player.time,
                              timing=output.clock.stream_time_at)
        end = time.monotonic() + seconds
        k = 0

        def drain() -> None:
            nonlocal counted
            while (item := source.read(timeout=0)) is not None:
                raw.append(item[0])
                block, _ = clock.join(item[0], item[1], counted / MIC_RATE)
                heard.append(block)
                counted += len(block)

        while time.monotonic() < end:
            k += 1
            start = player.time
            player.play(k, (0.3 * rng.standard_normal(2 * OUT_RATE)).astype(np.float32))
            time.sleep(rng.uniform(1.0, 1.8))
            if cut:
                player.stop()
            bursts.append((start, player.time))
            time.sleep(rng.uniform(0.4, 1.0) if cut else 2.0)
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
    kept = [(a, burst_delay(mic, reference, a, b)) for a, b in bursts if a >= SETTLE_S]
    counts = np.zeros_like(reference)  # the mic by its sample count from listener time 0
    pcm = np.concatenate(raw)
    counts[max(i, 0):i + len(pcm)] = pcm[max(-i, 0):len(mic) - i]
    # A cut moves the counts by what the sound server dropped: counts only without cuts.
    by_count = [burst_delay(counts, reference, a, b, early_s=2.0, late_s=2.0) if not cut else None
                for a, b in bursts if a >= SETTLE_S]
    return {"delays_ms": [d for _, d in kept if d is not None],
            "at_s": [a for a, d in kept if d is not None],
            "count_delays_ms": [c for (_, d), c in zip(kept, by_count, strict=True)
                                if d is not None],
            "underflows": underflows, "cuts": cuts,
            "followed_ms": clock.followed_s * 1000}


def burst_delay(mic: np.ndarray, reference: np.ndarray, start: float, end: float,
                early_s: float = 0.0, late_s: float = MAX_LAG_S) -> float | None:
    """The echo delay over a burst (from 0.3 s in, away from the stream's first moments),
    searched from ``early_s`` before the burst to ``late_s`` after, ms."""
    a, b = round((start + 0.3) * MIC_RATE), round((end - 0.05) * MIC_RATE)
    lag, early = round(late_s * MIC_RATE), round(early_s * MIC_RATE)
    if b - a < WINDOW_S * MIC_RATE or b + lag > len(mic) or a < early:
        return None
    seg, ref = mic[a - early:b + lag], reference[a:b]
    n = 1 << (len(seg) + len(ref)).bit_length()  # through the FFT: a wide search is long
    c = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(ref, n)), n)
    c = c[:len(seg) - len(ref) + 1]
    j = int(np.argmax(c))
    return (j - early) / MIC_RATE * 1000


def table(runs: list[dict[str, Any]]) -> str:
    lines = ["seed  bursts  delay median ms  spread (max-min) ms  largest step ms  underflows"]
    for run in runs:
        d = np.array(run["delays_ms"], float)
        step = float(np.max(np.abs(np.diff(d)))) if len(d) > 1 else 0.0
        lines.append(f"{run['seed']:4}  {len(d):6}  {np.median(d):15.1f}  "
                     f"{np.ptp(d):19.1f}  {step:15.1f}  {run['underflows']:10}")
    return "\n".join(lines)


def minute_table(runs: list[dict[str, Any]]) -> str:
    """Per minute of a run: the echo delay on the listener's clock and in sample counts."""
    lines = ["seed  minute  bursts  listener delay ms  in sample counts ms"]
    for run in runs:
        at = np.array(run["at_s"], float)
        d, c = (np.array(run[k], float) for k in ("delays_ms", "count_delays_ms"))
        # Counts start from an arbitrary origin: shown from where the listener's first minute is.
        c = c - np.median(c[at < at.min() + 60]) + np.median(d[at < at.min() + 60])
        for m in range(int(at.max() // 60) + 1 if len(at) else 0):
            inside = (at >= 60 * m) & (at < 60 * (m + 1))
            if inside.any():
                lines.append(f"{run['seed']:4}  {m:6}  {int(inside.sum()):6}  "
                             f"{np.median(d[inside]):17.2f}  {np.median(c[inside]):19.2f}")
        first, last = at < at.min() + 60, at >= at.max() - 60
        drift_d = np.median(d[last]) - np.median(d[first])
        drift_c = np.median(c[last]) - np.median(c[first])
        lines.append(f"{run['seed']:4}  drift (last minute - first): listener {drift_d:+.2f} ms, "
                     f"counts {drift_c:+.2f} ms; mic clock followed {run['followed_ms']:+.1f} "
                     f"ms; underflows {run['underflows']}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--no-cuts", action="store_true", help="bursts play on, never cut")
    ap.add_argument("--other-client", action="store_true",
                    help="another program records and plays on the same server")
    ap.add_argument("--server", choices=("pulseaudio", "pipewire"), default="pulseaudio")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.seconds, args.child, cut=not args.no_cuts)))
        return 0
    from soundserver import SoundServer

    runs = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp, \
                SoundServer(Path(tmp) / "server", echo_ms=60, kind=args.server) as server:
            other = subprocess.Popen(
                [sys.executable, str(TESTS / "live_room.py"), str(Path(tmp) / "other")],
                env=server.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                stderr=subprocess.DEVNULL) if args.other_client else None
            if other is not None:
                assert other.stdout is not None and other.stdout.readline()
            done = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds),
                                   "--child", str(seed)] + ["--no-cuts"] * args.no_cuts,
                                  env=server.env, capture_output=True, text=True,
                                  timeout=args.seconds + 120)
            if other is not None:
                other.communicate("quit\n", timeout=60)
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        runs.append({"seed": seed, "other_client": args.other_client, "server": args.server,
                     **json.loads(done.stdout.splitlines()[-1])})
    text = minute_table(runs) if args.no_cuts else table(runs)
    print(text)
    name = f"clock{'-other' * args.other_client}{'-pipewire' * (args.server == 'pipewire')}"
    out = RESULTS.with_name(f"{name}.json") if args.no_cuts \
        else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": runs, "table": text}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
