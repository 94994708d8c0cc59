"""Echo front-end benchmark: ERLE over time, delay accuracy, CPU per audio second.

Coach speech is Piper (joe) played through the simulated room. Prints a table and writes
bench/results/echo.json. Run: .venv/bin/python bench/bench_echo.py [--seconds 90]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from voice_coach.listen.echo.aec import EchoCanceller, erle_db
from voice_coach.listen.echo.delay import DelayEstimator
from voice_coach.listen.resample import Resampler, resample
from voice_coach.listen.vad import Vad
from voice_coach.sim.room import RoomParams, active_frames, render

LINES = (
    "Lie on your back and let your arms rest beside you.",
    "Breathe in slowly through your nose, and out through your mouth.",
    "Now bend your right knee and place the foot flat on the bed.",
    "Hold this position for a few seconds, and stop if it hurts.",
    "Good. Next, we will repeat this on the other side.",
    "Gently press your lower back into the mattress, then release.",
    "Let your shoulders relax and feel the weight of your body.",
    "Slowly roll your head to the left, and back to the middle.",
    "Wait a moment, then continue with the same movement again.",
    "Pull your toes toward you, feel the stretch, and let go.",
    "Keep breathing calmly. There is no need to hurry.",
    "Bring both knees up, hug them softly, and pause there.",
    "Turn onto your side and rest your head on your arm.",
    "Stretch the top leg back and feel the front of the hip open.",
)
BLOCK = 320
ROOM = RoomParams(
    delay_s=0.09, echo_gain_db=-3.0, reverb_rt60_s=0.4, distortion=0.15, noise_db=-55.0, seed=1
)


def coach_speech(seconds: float, cache: Path) -> tuple[np.ndarray, int]:
    from voice_coach.speech.synth import Synthesizer

    synth = Synthesizer(cache_dir=cache)
    gap = np.zeros(int(0.4 * synth.sample_rate), np.float32)
    parts: list[np.ndarray] = []
    i = 0
    while sum(map(len, parts)) < seconds * synth.sample_rate:
        parts += [np.asarray(synth.synthesize(LINES[i % len(LINES)]), np.float32), gap]
        i += 1
    return np.concatenate(parts), synth.sample_rate


def cancel(mic: np.ndarray, ref: np.ndarray, **kw: object) -> tuple[np.ndarray, float]:
    ec = EchoCanceller(**kw)  # type: ignore[arg-type]
    n = min(len(mic), len(ref)) // BLOCK * BLOCK
    t0 = time.process_time()
    out = [ec.process(mic[i : i + BLOCK], ref[i : i + BLOCK]) for i in range(0, n, BLOCK)]
    return np.concatenate(out), (time.process_time() - t0) / (n / 16000)


def erle_windows(mic: np.ndarray, out: np.ndarray, echo: np.ndarray) -> dict[str, float]:
    """ERLE over echo-active frames: first 20 s, and from 30 s to the end."""
    act = np.repeat(active_frames(echo), 320)
    n = min(len(act), len(out))
    idx = np.arange(n)
    first = act[:n] & (idx < 20 * 16000)
    late = act[:n] & (idx >= 30 * 16000)
    return {
        "first_20s_db": round(erle_db(mic[:n][first], out[first]), 1),
        "after_30s_db": round(erle_db(mic[:n][late], out[late]), 1),
    }


def bench_aec(x: np.ndarray, rate: int, ref16: np.ndarray) -> list[dict[str, object]]:
    rows = []
    cases = [
        ("auto", {}, ROOM),
        ("hint", {"mode": "hint"}, ROOM),
        ("align", {"mode": "align"}, ROOM),
        ("auto, quiet room", {}, replace(ROOM, noise_db=-70.0)),
        ("auto, 400 ms delay", {}, replace(ROOM, delay_s=0.4)),
        ("align, 400 ms delay", {"mode": "align"}, replace(ROOM, delay_s=0.4)),
        ("auto, hpf", {"high_pass": True}, ROOM),
        ("auto, ns+hpf", {"noise_suppression": True, "high_pass": True}, ROOM),
    ]
    for name, kw, params in cases:
        mic = render(x, rate, params)
        echo = render(x, rate, replace(params, noise_db=None))
        out, cpu = cancel(mic, ref16, delay_s=params.delay_s, **kw)
        rows.append(
            {
                "case": name,
                "delay_ms": params.delay_s * 1000,
                "noise_dbfs": params.noise_db,
                **erle_windows(mic, out, echo),
                "cpu_s_per_s": round(cpu, 4),
            }
        )
        print(
            f"  {name:22} ERLE 0-20 s {rows[-1]['first_20s_db']:5.1f} dB   after 30 s "
            f"{rows[-1]['after_30s_db']:5.1f} dB   cpu {cpu:.4f} s/s",
            flush=True,
        )
    return rows


def bench_delay(x: np.ndarray, rate: int, ref16: np.ndarray) -> list[dict[str, object]]:
    rows = []
    for delay_ms in (23.4, 60.0, 121.7, 180.0, 350.0):
        for noise in (-55.0, -40.0):
            params = replace(ROOM, delay_s=delay_ms / 1000, noise_db=noise, reverb_rt60_s=0.6)
            mic = render(x[: 20 * rate], rate, params)
            est, first_ok, t0 = DelayEstimator(), None, time.process_time()
            for i in range(0, len(mic) - BLOCK + 1, BLOCK):
                est.update(mic[i : i + BLOCK], ref16[i : i + BLOCK])
                e = est.estimate() if i % 1600 == 0 else None
                if first_ok is None and e and abs(e.delay_s * 1000 - delay_ms) <= 2:
                    first_ok = (i + BLOCK) / 16000
            cpu = (time.process_time() - t0) / (len(mic) / 16000)
            e = est.estimate()
            assert e is not None
            rows.append(
                {
                    "delay_ms": delay_ms,
                    "noise_dbfs": noise,
                    "error_ms": round(e.delay_s * 1000 - delay_ms, 2),
                    "confidence": round(e.confidence, 2),
                    "first_within_2ms_s": first_ok,
                    "cpu_s_per_s": round(cpu, 4),
                }
            )
            print(
                f"  delay {delay_ms:6.1f} ms noise {noise:5.0f}: error {rows[-1]['error_ms']:6.2f}"
                f" ms conf {e.confidence:.2f} within 2 ms after {first_ok} s",
                flush=True,
            )
    return rows


def festival(text: str, cache: Path) -> np.ndarray:
    import subprocess
    import wave

    out = cache / f"festival-kal-{text.replace(' ', '_')}.wav"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = ["text2wave", "-eval", "(voice_kal_diphone)", "-o", str(out)]
        subprocess.run(cmd, input=text.encode(), check=True, capture_output=True)
    with wave.open(str(out)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16) / 32768.0
        return resample(pcm.astype(np.float32), w.getframerate())


def bands(x: np.ndarray) -> np.ndarray:
    frames = x[: len(x) // 320 * 320].reshape(-1, 320) * np.hanning(320)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log10(np.add.reduceat(power, np.arange(0, 160, 10), axis=1) + 1e-10).ravel()


def bench_double_talk(x: np.ndarray, rate: int, ref16: np.ndarray, cache: Path) -> list[dict]:
    """User commands at 0/-6 dB during coach speech after convergence: does the user survive?"""
    from voice_coach.listen.echo.aec import LATENCY_SAMPLES
    from voice_coach.sim.room import Utterance, render_scene

    words = [festival(t, cache) for t in ("pause please", "go back", "stop", "say that again")]
    rows = []
    for ratio in (0.0, -6.0):
        utts = [Utterance(31.0 + 7.3 * i, words[i % 4], ratio) for i in range(8)]
        mic, truth = render_scene(x, rate, utts, ROOM)
        users = [(u.time_s, u.pcm, t.gain_db) for u, t in zip(utts, truth, strict=True)]
        user = render(np.zeros_like(x), rate, replace(ROOM, noise_db=None), users=users)
        for name, kw in (
            ("raw mic", None),
            ("aec", {}),
            ("aec+hpf", {"high_pass": True}),
            ("aec+ns+hpf", {"noise_suppression": True, "high_pass": True}),
        ):
            out = mic if kw is None else cancel(mic, ref16, **kw)[0][LATENCY_SAMPLES:]
            gains, corr = [], []
            for t in truth:
                seg = slice(int(t.start_s * 16000), int(t.end_s * 16000))
                gains.append(10 * np.log10(np.mean(out[seg] ** 2) / np.mean(user[seg] ** 2)))
                corr.append(np.corrcoef(bands(out[seg]), bands(user[seg]))[0, 1])
            rows.append(
                {
                    "user_to_echo_db": ratio,
                    "chain": name,
                    "energy_vs_user_db": round(float(np.mean(gains)), 1),
                    "worst_energy_db": round(float(np.min(gains)), 1),
                    "spectral_corr_with_user": round(float(np.mean(corr)), 3),
                }
            )
            print(
                f"  {ratio:+4.0f} dB {name:11} energy {rows[-1]['energy_vs_user_db']:+5.1f} dB"
                f" (worst {rows[-1]['worst_energy_db']:+5.1f})  spectral corr with user "
                f"{rows[-1]['spectral_corr_with_user']:.3f}",
                flush=True,
            )
    return rows


def bench_cpu(x: np.ndarray, rate: int, ref16: np.ndarray) -> dict[str, float]:
    seconds = len(x) / rate
    r, t0 = Resampler(rate), time.process_time()
    for i in range(0, len(x), 441):
        r.process(x[i : i + 441])
    resample_cpu = (time.process_time() - t0) / seconds
    v, t0 = Vad(), time.process_time()
    for i in range(0, len(ref16), BLOCK):
        v.process(ref16[i : i + BLOCK])
    vad_cpu = (time.process_time() - t0) / (len(ref16) / 16000)
    mic = render(x, rate, ROOM)
    _, aec_cpu = cancel(mic, ref16)
    return {
        "resample_22050_to_16k": round(resample_cpu, 4),
        "vad_silero": round(vad_cpu, 4),
        "aec3": round(aec_cpu, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "voice-coach-bench-piper",
    )
    args = ap.parse_args()
    x, rate = coach_speech(args.seconds, args.cache)
    ref16 = resample(x, rate)
    print(f"coach speech: {len(x) / rate:.1f} s Piper joe at {rate} Hz; room {ROOM}")
    print("AEC3 (livekit), 20 ms blocks:")
    aec = bench_aec(x, rate, ref16)
    print("Delay estimation (GCC-PHAT, streaming, 20 s, RT60 0.6 s):")
    delay = bench_delay(x, rate, ref16)
    print("Double talk (Festival kal user commands during coach speech, after 30 s):")
    double = bench_double_talk(x, rate, ref16, args.cache)
    cpu = bench_cpu(x, rate, ref16)
    print("CPU seconds per audio second:", cpu)
    out = Path(__file__).parent / "results" / "echo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "speech_s": len(x) / rate,
                "room": ROOM.__dict__,
                "aec": aec,
                "delay": delay,
                "double_talk": double,
                "cpu_s_per_s": cpu,
            },
            indent=2,
        )
    )
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
