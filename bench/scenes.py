"""Benchmark scenes: coach audio through a simulated room, users speaking at known times.

A scene is what the live app would see: the Player's output (the echo reference, at the
player rate) and the microphone signal (16 kHz), plus the truth of who said what and when.
User utterances are placed where the coach is talking ("during") or silent ("gap"), at a
user-to-echo level measured like ``voice_coach.sim.room.render_scene`` does: RMS of the
user's reverberated speech over RMS of the echo, both over the user's active frames (in a gap,
over the echo's active level for the whole scene).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from voice_coach.sim.room import RoomParams, active_frames, db, render

MIC_RATE = 16000
"""Microphone rate of every scene, Hz."""
FRAME_S = 0.02
"""Frame of the placement masks, s."""
WINDOW_S = 1.5
"""A command counts when decided within this many seconds after the end of its speech."""
SPACING_S = 0.8
"""Extra quiet time after a detection window before the next user utterance, s."""
GAP_BEFORE_S = 0.6
"""A "gap" command starts at least this long after the coach's echo has died away, s."""
GAP_AFTER_S = 0.8
"""... and ends at least this long before the coach speaks again, s."""
WARMUP_S = 20.0
"""No user speech in the first seconds of a scene: the echo canceller converges first."""

ROOMS = {
    "bedroom": RoomParams(delay_s=0.06, echo_gain_db=-6.0, reverb_rt60_s=0.3, distortion=0.1,
                          noise_db=-60.0, seed=7),
    "fan": RoomParams(delay_s=0.09, echo_gain_db=-3.0, reverb_rt60_s=0.4, distortion=0.15,
                      noise_db=-52.0, seed=1),
    "far": RoomParams(delay_s=0.17, echo_gain_db=0.0, reverb_rt60_s=0.5, distortion=0.2,
                      noise_db=-55.0, seed=3),
}
"""Simulated rooms: delay (speaker-to-mic, incl. device latency), reverb, distortion, fan."""


@dataclass(frozen=True)
class Said:
    """One thing a person said in a scene (the truth the metrics score against)."""

    text: str
    command: str | None
    """Canonical command expected; None when it is not a command (talk)."""
    voice: str
    """User voice name (voice_coach.sim.speakers)."""
    condition: str
    """"during" (coach talking), "gap" (coach silent), "clean" or "talk"."""
    level_db: float | None
    """Asked user-to-echo level, dB; None for clean scenes."""
    achieved_db: float | None
    """Measured user-to-echo level, dB; None without echo."""
    start_s: float
    """First active speech frame, mic stream seconds."""
    end_s: float
    """End of the last active speech frame, mic stream seconds."""


@dataclass(frozen=True)
class Scene:
    name: str
    kind: str
    """"detect", "coach" (coach alone), "talk" (other people talking), "bumps" (knocks,
    rustles, hums over the coach) or "clean"."""
    ref: np.ndarray
    """What the player played, float32 mono at ``ref_rate``."""
    ref_rate: int
    mic: np.ndarray
    """What the microphone heard, float32 mono at 16 kHz (same clock as ``ref``)."""
    said: tuple[Said, ...]
    room: str
    """Key of ROOMS, or "none"."""
    echo: np.ndarray | None = None
    """The coach's echo part of ``mic`` (no noise, no users); mic - echo = what a perfect
    echo canceller would leave."""

    @property
    def seconds(self) -> float:
        return len(self.mic) / MIC_RATE


@dataclass(frozen=True)
class Line:
    """A user utterance to place: text, expected command, voice, condition and level."""

    text: str
    command: str | None
    voice: str
    condition: str
    level_db: float | None
    pcm: np.ndarray
    """Dry utterance, float32 16 kHz."""


def _span(pcm: np.ndarray) -> tuple[int, int]:
    """First and one-past-last active 20 ms frame of a dry utterance."""
    act = np.flatnonzero(active_frames(np.asarray(pcm, np.float32), MIC_RATE))
    return (int(act[0]), int(act[-1]) + 1) if len(act) else (0, max(1, len(pcm) // 320))


def _frame_rms(x: np.ndarray) -> np.ndarray:
    n = int(MIC_RATE * FRAME_S)
    frames = x[: len(x) // n * n].reshape(-1, n).astype(np.float64)
    return np.sqrt((frames**2).mean(axis=1))


def _close_gaps(mask: np.ndarray, frames: int) -> np.ndarray:
    """Fill False runs shorter than ``frames`` that lie between True frames."""
    out = mask.copy()
    idx = np.flatnonzero(mask)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= frames:
            out[a:b] = True
    return out


def _all_true(mask: np.ndarray, length: int) -> np.ndarray:
    """ok[f] = mask[f:f+length].all(), for every start frame f (False past the end)."""
    c = np.concatenate([[0], np.cumsum(~mask)])
    ok = np.zeros(len(mask), bool)
    n = len(mask) - length + 1
    if n > 0:
        ok[:n] = (c[length:] - c[:n]) == 0
    return ok


def _user_alone(pcm: np.ndarray, params: RoomParams) -> np.ndarray:
    """The utterance through the room's user path (reverb), no echo, no noise."""
    from voice_coach.sim.room import Room

    room = Room(**{**asdict(params), "noise_db": None})
    room.schedule(0.0, pcm, 0.0)
    tail = int(params.reverb_rt60_s * MIC_RATE) + 1
    return room.process(np.zeros(len(pcm) + tail, np.float32), MIC_RATE)


def place(lines: Sequence[Line], echo: np.ndarray, start_s: float = WARMUP_S
          ) -> tuple[list[tuple[Line, int]], list[Line]]:
    """Greedy placement in time: at each point, the line (of those next in line for each
    condition) that fits earliest. Returns (line, start sample) pairs and the lines left over.

    "during": the coach's echo is talking (pauses under 0.4 s bridged) over the whole active
    span of the utterance. "gap": the echo is more than 40 dB below its active level from
    0.2 s before the span until 0.5 s after it.
    """
    rms = _frame_rms(echo)
    level = float(np.sqrt(np.mean(rms[active_frames(echo, MIC_RATE)] ** 2))) if rms.any() else 0
    talking = _close_gaps(rms > level * 10 ** (-30 / 20), int(0.4 / FRAME_S))
    quiet = rms < level * 10 ** (-40 / 20)
    queues: dict[str, list[Line]] = {}
    for line in lines:
        queues.setdefault(line.condition, []).append(line)
    cursor = int(start_s / FRAME_S)
    placed: list[tuple[Line, int]] = []
    pre, post = int(GAP_BEFORE_S / FRAME_S), int(GAP_AFTER_S / FRAME_S)
    while any(queues.values()):
        best: tuple[int, str, int] | None = None  # (span start frame, condition, a)
        for cond, queue in queues.items():
            if not queue:
                continue
            a, b = _span(queue[0].pcm)
            if cond == "during":
                ok = _all_true(talking, b - a)
                first = cursor + a
            else:
                ok = _all_true(quiet, b - a + pre + post)
                first = cursor + a - pre
            hits = np.flatnonzero(ok[max(first, 0):]) + max(first, 0)
            if len(hits):
                f = int(hits[0]) + (pre if cond != "during" else 0)
                if best is None or f < best[0]:
                    best = (f, cond, a)
        if best is None:
            break
        f, cond, a = best
        line = queues[cond].pop(0)
        b = _span(line.pcm)[1]
        placed.append((line, (f - a) * int(MIC_RATE * FRAME_S)))
        cursor = f + (b - a) + int((WINDOW_S + SPACING_S) / FRAME_S)
    left = [line for q in queues.values() for line in q]
    return placed, left


def mix(ref: np.ndarray, ref_rate: int, room: str, placed: Sequence[tuple[Line, int]],
        echo: np.ndarray | None = None) -> tuple[np.ndarray, list[Said], np.ndarray]:
    """Mic signal for ``ref`` in ``room`` with ``placed`` lines at their levels, the truth,
    and the echo part of the mic."""
    params = ROOMS[room]
    quiet = replace(params, noise_db=None)
    if echo is None:
        echo = render(ref, ref_rate, quiet)
    act_echo = np.repeat(active_frames(echo, MIC_RATE), 320)
    echo_level = float(np.sqrt(np.mean(echo[: len(act_echo)][act_echo] ** 2))) if \
        act_echo.any() else 0.0
    users, said = [], []
    for line, start in placed:
        wet = _user_alone(line.pcm, params)
        act = np.repeat(active_frames(wet, MIC_RATE), 320)
        seg = echo[start : start + len(act)]
        act = act[: len(seg)]
        user_rms = float(np.sqrt(np.mean(wet[: len(act)][act] ** 2)))
        echo_rms = float(np.sqrt(np.mean(seg[act] ** 2))) if act.any() else 0.0
        ref_rms = echo_rms if line.condition == "during" else echo_level
        gain = (line.level_db or 0.0) - db(user_rms) + db(ref_rms)
        a, b = _span(line.pcm)
        t0 = start / MIC_RATE
        said.append(Said(line.text, line.command, line.voice, line.condition, line.level_db,
                         round(db(user_rms) + gain - db(ref_rms), 2),
                         t0 + a * FRAME_S, t0 + b * FRAME_S))
        users.append((t0, line.pcm, gain))
    mic = render(ref, ref_rate, params, users=users)
    return mic, said, echo[: len(mic)]


def clean_scene(lines: Sequence[Line], ref_rate: int, name: str, gap_s: float = 1.8,
                level_dbfs: float = -26.0) -> Scene:
    """Dry utterances with silence between them: no echo, no noise, no reverb (upper bound)."""
    parts = [np.zeros(int(1.0 * MIC_RATE), np.float32)]
    said, t = [], 1.0
    for line in lines:
        pcm = np.asarray(line.pcm, np.float32)
        act = np.repeat(active_frames(pcm, MIC_RATE), 320)
        rms = float(np.sqrt(np.mean(pcm[: len(act)][act] ** 2))) if act.any() else 1.0
        pcm = pcm * np.float32(10 ** (level_dbfs / 20) / max(rms, 1e-6))
        a, b = _span(pcm)
        said.append(Said(line.text, line.command, line.voice, "clean", None, None,
                         t + a * FRAME_S, t + b * FRAME_S))
        parts += [pcm, np.zeros(int(gap_s * MIC_RATE), np.float32)]
        t += (len(pcm) + int(gap_s * MIC_RATE)) / MIC_RATE
    mic = np.concatenate(parts)
    ref = np.zeros(int(len(mic) * ref_rate / MIC_RATE), np.float32)
    return Scene(name, "clean", ref, ref_rate, mic, tuple(said), "none", np.zeros_like(mic))


def talk_lines(lines: Sequence[Line], ref: np.ndarray, ref_rate: int, room: str,
               start_s: float = 5.0, pause_s: tuple[float, float] = (0.5, 1.6), seed: int = 0
               ) -> tuple[list[tuple[Line, int]], list[Line]]:
    """Place talk one sentence after another (like a radio or a partner), ignoring the coach."""
    rng = np.random.default_rng(seed)
    end = len(ref) * MIC_RATE // ref_rate - MIC_RATE
    placed, t = [], int(start_s * MIC_RATE)
    for i, line in enumerate(lines):
        if t + len(line.pcm) > end:
            return placed, list(lines[i:])
        placed.append((line, t))
        t += len(line.pcm) + int(rng.uniform(*pause_s) * MIC_RATE)
    return placed, []
