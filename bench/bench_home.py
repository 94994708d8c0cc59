"""Home Assistant benchmark: `voice-coach run` on a real sound server (a private PulseAudio)
with [home_assistant] on, a private Mosquitto on 127.0.0.1, and an MQTT client playing Home
Assistant.

1. Button latency: a routine is started from Home Assistant (remote_start = "immediate"),
   then "pause" is pressed ``--presses`` times while the coach is speaking, each followed by
   "resume". Per press: publish -> the paused state back on the broker (the round trip a
   dashboard sees), and publish -> the coach's voice stopping at the speaker (the speaker's
   monitor recorded on PortAudio's clock; includes the sound card's 0.15 s output latency).
2. Idle cost: `voice-coach run` idle for ``--idle-seconds`` with Home Assistant off, then on:
   the process's CPU and RSS, and the CPU of the integration's own thread ("home-assistant").

Run: .venv/bin/python bench/bench_home.py [--presses 20] [--idle-seconds 120]
Prints a table and writes bench/results/home.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from home_assistant import HomeAssistant, wait_for  # noqa: E402
from live_stack import RATE, LiveScene  # noqa: E402

from voice_coach.home.local_broker import LocalBroker  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "home.json"
NODE = "bench"
TICKS = os.sysconf("SC_CLK_TCK")


def ha_config(port: int, enabled: bool = True) -> str:
    return (f"[home_assistant]\nenabled = {'true' if enabled else 'false'}\n"
            f'host = "127.0.0.1"\nport = {port}\ndevice_name = "bench"\n'
            'remote_start = "immediate"\n')


def stopped_at(pcm: np.ndarray, start: float, after: float, floor_db: float = -45.0,
               hold_s: float = 0.03) -> float | None:
    """First time after ``after`` where the speaker stays below ``floor_db`` for ``hold_s``
    (the cut sentence; the "Paused." reply may follow right after)."""
    frame = RATE // 200  # 5 ms
    first = max(0, int((after - start) * RATE) // frame)
    need = max(1, int(hold_s * 200))
    quiet_run = 0
    for k in range(first, len(pcm) // frame):
        level = float(np.sqrt(np.mean(np.square(pcm[k * frame:(k + 1) * frame])) + 1e-12))
        quiet_run = quiet_run + 1 if level < 10 ** (floor_db / 20) else 0
        if quiet_run >= need:
            return start + (k - need + 1) * frame / RATE
    return None


def loud_before(pcm: np.ndarray, start: float, at: float, seconds: float = 0.1) -> bool:
    i = int((at - start) * RATE)
    window = pcm[max(0, i - int(seconds * RATE)):i]
    return len(window) > 0 and float(np.sqrt(np.mean(np.square(window)))) > 10 ** (-35 / 20)


def press_run(folder: Path, presses: int) -> dict[str, Any]:
    with LocalBroker() as broker:
        scene = LiveScene(folder, extra_config=ha_config(broker.port), volume=0.6)
        ha = HomeAssistant(broker.port)
        topics = f"voice_coach/{NODE}"
        results: list[dict[str, float]] = []
        with scene:
            assert scene.wait_for(r"ready: say", 90), scene.log
            assert wait_for(lambda: ha.state(NODE).get("state") == "idle", 20)
            ha.publish(f"{topics}/routine/set", "Lower back and hip release")
            ha.publish(f"{topics}/command", "start")
            assert wait_for(lambda: ha.state(NODE).get("state") == "speaking", 20)
            rng = random.Random(1)
            for _ in range(presses):
                # Holds can last a minute: wait for the next spoken sentence.
                assert wait_for(lambda: ha.state(NODE).get("state") == "speaking", 120), \
                    ha.state(NODE)
                time.sleep(rng.uniform(0.3, 1.2))  # somewhere inside a sentence
                count, mark = len(ha.messages), len(scene.lines)
                t0 = time.monotonic()
                ha.publish(f"{topics}/command", "pause")
                wait_for(lambda: ha.state(NODE).get("state") == "paused", 5)
                back = next((t for t, topic, p, _r in ha.messages[count:]
                             if topic.endswith("/state") and b'"paused"' in p), None)
                # The coach's own part: the StopAudio carried out (its log line read here).
                cut = next((t for t, line in scene.lines[mark:] if "stop-audio" in line), None)
                results.append({"press": t0, "state_ms": (back - t0) * 1000 if back else -1,
                                "coach_ms": (cut - t0) * 1000 if cut else -1})
                time.sleep(2.5)
                ha.publish(f"{topics}/command", "resume")
            pa, mono = scene.clock()
            time.sleep(1.0)
        code = scene.stop()
        ha.close()
    pcm, start = scene.speaker()
    latencies = []
    for r in results:
        at = pa + (r["press"] - mono)
        if not loud_before(pcm, start, at):
            r["voice_ms"] = -1.0  # the coach was between sentences: nothing to stop
            continue
        stop = stopped_at(pcm, start, at)
        r["voice_ms"] = (stop - at) * 1000 if stop is not None else -1.0
        if stop is not None:
            latencies.append(r["voice_ms"])
    return {"exit": code, "presses": results, "voice_ms": latencies,
            "state_ms": [r["state_ms"] for r in results if r["state_ms"] >= 0],
            "coach_ms": [r["coach_ms"] for r in results if r["coach_ms"] >= 0],
            "underflows": scene.log.count("underflow")}


def thread_cpu(pid: int, name: str) -> float:
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().strip() != name:
                continue
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle_run(folder: Path, seconds: float, enabled: bool) -> dict[str, float]:
    with LocalBroker() as broker:
        scene = LiveScene(folder, extra_config=ha_config(broker.port, enabled))
        with scene:
            assert scene.wait_for(r"ready: say", 90), scene.log
            assert scene.daemon is not None
            pid = scene.daemon.pid
            time.sleep(10.0)  # settle
            cpu0, thread0, t0 = process_cpu(pid), thread_cpu(pid, "home-assistant"), \
                time.monotonic()
            time.sleep(seconds)
            wall = time.monotonic() - t0
            result = {"cpu_pct": 100 * (process_cpu(pid) - cpu0) / wall,
                      "thread_cpu_pct": 100 * (thread_cpu(pid, "home-assistant") - thread0) / wall,
                      "rss_mb": rss_mb(pid), "seconds": wall}
        scene.stop()
    return result


def pct(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"p50 {np.percentile(values, 50):.0f} / p95 {np.percentile(values, 95):.0f} / "
            f"max {max(values):.0f} ms (n={len(values)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=20)
    ap.add_argument("--idle-seconds", type=float, default=120.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        presses = press_run(Path(tmp) / "press", args.presses)
        off = idle_run(Path(tmp) / "off", args.idle_seconds, False)
        on = idle_run(Path(tmp) / "on", args.idle_seconds, True)
    lines = [
        f"pause button -> paused state on the broker:  {pct(presses['state_ms'])}",
        f"pause button -> the coach cuts its voice (StopAudio done): {pct(presses['coach_ms'])}",
        f"pause button -> coach's voice stops at the speaker (incl. 150 ms output latency): "
        f"{pct(presses['voice_ms'])}",
        f"idle, Home Assistant off: CPU {off['cpu_pct']:.2f} % of a core, RSS "
        f"{off['rss_mb']:.1f} MB",
        f"idle, Home Assistant on:  CPU {on['cpu_pct']:.2f} % of a core, RSS {on['rss_mb']:.1f} "
        f"MB; its thread {on['thread_cpu_pct']:.3f} % of a core",
        f"added by the integration: RSS {on['rss_mb'] - off['rss_mb']:+.1f} MB, CPU "
        f"{on['cpu_pct'] - off['cpu_pct']:+.2f} % of a core (process; noisy), "
        f"{on['thread_cpu_pct']:.3f} % (its thread)",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"presses": presses, "idle_off": off, "idle_on": on,
                                   "table": text}, indent=1))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
