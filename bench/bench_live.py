"""Live benchmark: `voice-coach run` on a real sound server (a private PulseAudio), in real
time, with a Festival voice speaking into the room over the coach's echo.

Scenes (each ``--runs`` times, on a fixed 60 ms echo path and on a drifting one whose
loopback adjusts its rate): "hey coach", "lower back", "pause" mid-sentence, "resume",
"next", "stop". Per run: whether every command was obeyed in order at the first try (and with
up to two repeats, as a person would) with nothing else obeyed in between, output underflows
and input overflows, the time from the end of the person's "pause" to the coach deciding it
heard it and to the coach's voice falling silent at the speaker (its reply not counted), the
time from the end of "hey coach" to the chime, and what the listener tracked of the echo path.
Then an idle run: a session started by voice, then nobody talks for ``--idle-minutes``:
underflows, false commands, and the daemon's memory over time.

Run: .venv/bin/python bench/bench_live.py [--runs 10] [--idle-minutes 30] [--voice festival:kal]
Prints a table and writes bench/results/live.json. Needs pulseaudio, pulseaudio-utils and
libasound2-plugins (.ci/run installs them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from live_stack import RATE, LiveScene  # noqa: E402

from voice_coach.app.live_run import LISTENER_WAV  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "live.json"
ASK_AGAIN_S = 2.5
PAUSE_REPLY_S = 6.5
"""How long the coach's "I've paused. Say resume when you're ready, or stop to end." takes at
the calm pace, s."""


@dataclass
class SceneRun:
    condition: str
    first_try: bool = False
    """Every command obeyed in order, each at its first saying."""
    obeyed: bool = False
    """Every command obeyed in order, with up to two repeats, and nothing else obeyed."""
    tries: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    """Commands obeyed that the person did not say."""
    extra: list[str] = field(default_factory=list)
    """Commands obeyed out of turn: said in the scene, but not then (a "stop" heard as a
    pause in the tail of "next", a pause from the coach's own voice)."""
    underflows: int = -1
    overflows: int = -1
    pause_ms: float | None = None
    """End of the person's "pause" -> the last of the coach's sound before its reply, at the
    speaker, ms."""
    decided_ms: float | None = None
    """End of the person's "pause" -> the coach's log line that it heard it, ms."""
    wake_ms: float | None = None
    echo_delay_ms: float | None = None
    followed_ms: float | None = None
    seconds: float = 0.0


def say_until(scene: LiveScene, text: str, heard: str, tries: int = 3) -> int:
    for attempt in range(1, tries + 1):
        mark = len(scene.lines)
        scene.say(text)
        if scene.wait_for(rf"heard '{heard}' \(", ASK_AGAIN_S, after=mark):
            return attempt
    return 0


def onset_after(pcm: np.ndarray, start: float, after: float,
                floor_db: float = -45.0) -> float | None:
    frame = RATE // 100
    first = max(0, int((after - start) * RATE) // frame)
    for k in range(first, len(pcm) // frame):
        seg = pcm[k * frame:(k + 1) * frame]
        if np.sqrt(np.mean(np.square(seg))) >= 10 ** (floor_db / 20):
            return start + k * frame / RATE
    return None


def heard_at(log: str, command: str, after: float) -> float | None:
    """Wall-clock time of the daemon's first "heard COMMAND" line after ``after`` (the log's
    times and PortAudio's on PulseAudio are both the system clock)."""
    for stamp in re.findall(rf"^(\S+ \S+) INFO voice_coach.coach: heard '{command}' \(", log,
                            re.M):
        t = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if t > after:
            return t
    return None


def said_at(log: str, text: str, after: float) -> float | None:
    """Wall-clock time of the daemon's first "say" line starting with ``text`` after
    ``after``."""
    for stamp in re.findall(rf"^(\S+ \S+) INFO voice_coach.coach: .* say {{'text': [\"']"
                            rf"{re.escape(text)}", log, re.M):
        t = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if t >= after:
            return t
    return None


def cut_at(pcm: np.ndarray, start: float, after: float, decided: float,
           floor_db: float = -50.0, gap_s: float = 0.06) -> float:
    """When the coach's sound that began before ``decided`` (the pause) ended at the speaker:
    the end of the last stretch of sound (gaps under ``gap_s`` inside it) that started after
    ``after`` - 0.2 s and before ``decided``; what starts later is the coach's reply."""
    frame = RATE // 100
    loud = [float(np.sqrt(np.mean(np.square(pcm[k * frame:(k + 1) * frame])))) >=
            10 ** (floor_db / 20) for k in range(len(pcm) // frame)]
    first = max(0, int((after - 0.2 - start) * 100))
    last_start = int((decided - start) * 100)
    end, quiet, running = first, 0, False
    for k in range(first, len(loud)):
        if loud[k]:
            if not running and k > last_start:
                break
            running, quiet, end = True, 0, k + 1
        elif running:
            quiet += 1
            running = quiet * frame < gap_s * RATE
    return start + end * frame / RATE


def playing_at(pcm: np.ndarray, start: float, t: float, floor_db: float = -45.0) -> bool:
    """Whether the speaker played sound in the 0.2 s before ``t``."""
    a, b = int((t - 0.2 - start) * RATE), int((t - start) * RATE)
    seg = pcm[max(0, a):max(0, b)]
    return len(seg) > 0 and float(np.sqrt(np.mean(np.square(seg)))) >= 10 ** (floor_db / 20)


def scene_run(folder: Path, voice: str, drifting: bool, keep: Path | None = None) -> SceneRun:
    result = SceneRun("drifting" if drifting else "fixed 60 ms")
    t0 = time.monotonic()
    if keep is not None:  # the listener's three channels, for `voice-coach detect` replays
        keep.mkdir(parents=True, exist_ok=True)
        os.environ[LISTENER_WAV] = str(keep / f"{folder.name}.wav")
    scene = LiveScene(folder, voice=voice, drifting=drifting)
    steps = [("hey coach", "wake"), ("lower back", "lower-back-hip"), ("pause", "pause"),
             ("resume", "resume"), ("next", "next"), ("stop", "stop")]
    with scene:
        if scene.wait_for("ready: say 'hey coach'", 90):
            time.sleep(1.0)
            for text, heard in steps:
                if heard == "lower-back-hip":
                    scene.wait_for(r"say \{'text': 'Which practice\?'", 10)
                    time.sleep(1.5)
                if heard == "pause":
                    mark = len(scene.lines)
                    scene.wait_for("session started", 15)
                    scene.wait_for(r"say \{'text': '[^']{45,}'", 30, after=mark)
                    time.sleep(0.5)
                result.tries[heard] = say_until(scene, text, heard)
                if not result.tries[heard]:
                    break
                # Told "say resume when you're ready", a person lets the coach finish first.
                time.sleep(PAUSE_REPLY_S if heard == "pause" else 3.0)
    scene.stop()
    log = scene.log
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"{folder.name}.log").write_text(log + "\n" + "\n".join(
            f"said {s.text!r} {s.start:.3f}-{s.speech_end:.3f}" for s in scene.said) + "\n")
    result.seconds = time.monotonic() - t0
    said = [h for _, h in steps]
    heard = re.findall(r"heard '([\w-]+)' \(", log)
    result.wrong = [h for h in heard if h not in said]
    result.extra = out_of_turn([h for h in heard if h in said], said)
    result.obeyed = all(result.tries.get(h, 0) for h in said) and not result.wrong \
        and not result.extra
    result.first_try = result.obeyed and all(result.tries[h] == 1 for h in said)
    summary = re.search(r"audio: (\d+) output underflows, (\d+) input overflows", log)
    if summary:
        result.underflows, result.overflows = int(summary[1]), int(summary[2])
    track = re.findall(r"echo path delay ([\d.]+) ms .*followed by ([+-][\d.]+) ms", log)
    if track:
        result.echo_delay_ms, result.followed_ms = float(track[-1][0]), float(track[-1][1])
    pcm, start = scene.speaker()
    for text, command in (("pause", "pause"), ("hey coach", "wake")):
        obeyed = [s for s in scene.said if s.text == text]
        if not obeyed or not result.tries.get(command):
            continue
        s = obeyed[-1]
        if text == "pause":
            decided = heard_at(log, "pause", s.speech_end)
            if decided is not None:
                result.decided_ms = (decided - s.speech_end) * 1000
            if decided is not None and playing_at(pcm, start, s.speech_end):
                # A reply that follows the cut within a few ms joins the stretch of sound;
                # the coach's voice was cut before the daemon logged it.
                reply = said_at(log, "I've paused", decided)
                silent = cut_at(pcm, start, s.speech_end, decided)
                result.pause_ms = (min(silent, reply or silent) - s.speech_end) * 1000
        else:
            onset = onset_after(pcm, start, s.end)
            result.wake_ms = None if onset is None else (onset - s.speech_end) * 1000
    return result


def out_of_turn(heard: list[str], steps: list[str]) -> list[str]:
    """The commands in ``heard`` that did not take the scene to its next step."""
    extra, k = [], 0
    for command in heard:
        if k < len(steps) and command == steps[k]:
            k += 1
        else:
            extra.append(command)
    return extra


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def alignment_track(wav: Path, window_s: float = 60.0) -> list[tuple[float, float, float]]:
    """Per ``window_s`` of a listener recording (mic, reference, cleaned): where the echo
    sits behind the reference the listener used (after its aligner's moves), as
    (minute, delay ms, confidence); windows with too little of the coach are left out."""
    import soundfile

    from voice_coach.listen.echo.delay import estimate_delay

    samples, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    mic, ref = samples[:, 0], samples[:, 1]
    n = round(window_s * rate)
    track = []
    for a in range(0, len(mic) - n + 1, n):
        if float(np.sqrt(np.mean(np.square(ref[a:a + n])))) < 1e-3:
            continue
        estimate = estimate_delay(mic[a:a + n], ref[a:a + n], rate, max_delay_s=0.25)
        if estimate is not None and estimate.confidence >= 0.3:
            track.append((round(a / rate / 60, 1), round(float(estimate.delay_s) * 1000, 2),
                          round(float(estimate.confidence), 2)))
    return track


def idle_run(folder: Path, voice: str, minutes: float, keep: Path | None = None
             ) -> dict[str, Any]:
    wav = None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        wav = keep / "idle.wav"
        os.environ[LISTENER_WAV] = str(wav)
    scene = LiveScene(folder, voice=voice)
    memory: list[tuple[float, float]] = []
    with scene:
        assert scene.wait_for("ready: say 'hey coach'", 90), scene.log
        time.sleep(1.0)
        say_until(scene, "hey coach", "wake")
        scene.wait_for(r"say \{'text': 'Which practice\?'", 10)
        time.sleep(1.5)
        say_until(scene, "lower back", "lower-back-hip")
        mark = len(scene.lines)
        t0 = time.monotonic()
        assert scene.daemon is not None
        while time.monotonic() - t0 < minutes * 60:
            memory.append((round(time.monotonic() - t0), rss_mb(scene.daemon.pid)))
            time.sleep(30)
        quiet_lines = [line for _, line in scene.lines[mark:]]
    scene.stop()
    log = scene.log
    false = re.findall(r"heard '([\w-]+)' \(", "\n".join(quiet_lines))
    summary = re.search(r"audio: (\d+) output underflows, (\d+) input overflows in ([\d.]+) min",
                        log)
    track = re.findall(r"echo path delay ([^;]+); mic clock followed by ([+-][\d.]+) ms", log)
    return {"minutes": minutes, "false_commands": false,
            "underflows": int(summary[1]) if summary else None,
            "overflows": int(summary[2]) if summary else None,
            "memory_mb": memory, "echo_track": track,
            "alignment": alignment_track(wav) if wav is not None and wav.exists() else [],
            "session_ended": "session completed" in log}


def table(runs: list[SceneRun], idle: dict[str, Any] | None) -> str:
    lines = ["condition      runs  first try  with repeats  wrong  out of turn  underflows  "
             "overflows  pause->heard p50/p95 ms  pause->silent p50/p95 ms  wake->chime p50/p95 ms"]
    for condition in sorted({r.condition for r in runs}):
        rs = [r for r in runs if r.condition == condition]
        pause = [r.pause_ms for r in rs if r.pause_ms is not None]
        decided = [r.decided_ms for r in rs if r.decided_ms is not None]
        wake = [r.wake_ms for r in rs if r.wake_ms is not None]

        def pct(xs: list[float]) -> str:
            if not xs:
                return "-"
            return f"{np.percentile(xs, 50):.0f}/{np.percentile(xs, 95):.0f}"
        n = len(rs)
        first, obeyed = sum(r.first_try for r in rs), sum(r.obeyed for r in rs)
        wrong, extra = sum(len(r.wrong) for r in rs), sum(len(r.extra) for r in rs)
        under, over = sum(max(r.underflows, 0) for r in rs), sum(max(r.overflows, 0) for r in rs)
        lines.append(f"{condition:14} {n:4}  {first:6}/{n:<3}  {obeyed:8}/{n:<3}  {wrong:5}  "
                     f"{extra:11}  {under:10}  {over:9}  {pct(decided):>23}  {pct(pause):>24}  "
                     f"{pct(wake):>22}")
    if idle is not None:
        memory = [m for _, m in idle["memory_mb"]]
        lines.append(f"idle {idle['minutes']} min after a session start: false commands "
                     f"{len(idle['false_commands'])}, underflows {idle['underflows']}, "
                     f"overflows {idle['overflows']}, RSS {memory[0]:.0f} -> {memory[-1]:.0f} MB "
                     f"(max {max(memory):.0f})" if memory else "idle: no samples")
        delays = [d for _, d, _ in idle.get("alignment", [])]
        if delays:
            lines.append(f"echo behind the listener's reference, per minute: {min(delays):.1f}-"
                         f"{max(delays):.1f} ms over {len(delays)} minutes")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--idle-minutes", type=float, default=30.0)
    ap.add_argument("--voice", default="festival:kal")
    ap.add_argument("--paths", choices=("both", "fixed", "drifting"), default="both")
    ap.add_argument("--keep-logs", type=Path, default=None,
                    help="write each run's daemon log (and what was said when) here")
    args = ap.parse_args()
    runs: list[SceneRun] = []
    with tempfile.TemporaryDirectory() as tmp:
        for drifting in [d for d in (False, True)
                         if args.paths == "both" or (args.paths == "drifting") == d]:
            for k in range(args.runs):
                run = scene_run(Path(tmp) / f"{drifting}-{k}", args.voice, drifting,
                                args.keep_logs)
                print(json.dumps(asdict(run)), flush=True)
                runs.append(run)
        idle = idle_run(Path(tmp) / "idle", args.voice, args.idle_minutes, args.keep_logs) \
            if args.idle_minutes > 0 else None
    text = table(runs, idle)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": [asdict(r) for r in runs], "idle": idle,
                                   "table": text}, indent=1))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
