"""Which scenes the listening benchmark builds, and building one (cached) from its plan.

Plans are small, picklable descriptions; building renders coach audio (cached), user voices
(cached), the room, and saves the scene under the cache dir keyed by the plan.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from coach_audio import COACH_LINES, CoachStream, concat, render_lines, render_routine
from listen_talk import TALK_SENTENCES, TALK_VOICES
from scene_cache import load_scene, save_scene, scene_key
from scenes import (
    MIC_RATE,
    SPACING_S,
    WINDOW_S,
    Line,
    Scene,
    clean_scene,
    mix,
    place,
    talk_lines,
)

from voice_coach.sim.room import render

VERSION = 5
"""Bumped when scene building changes, so cached scenes are rebuilt."""
MAIN_VOICES = ("festival:kal", "festival:ked")
"""Human-like user voices: the targets apply to these."""
STRESS_VOICES = ("piper:joe@1.3", "espeak:en-us")
"""Stress cases: the coach's own voice at another rate; a formant voice."""
LEVELS = (6.0, 0.0, -6.0)
CONDITIONS = ("during", "gap")
DETECT_COACH = {"festival:kal": (("routine", "lower-back-hip", 1.0), "fan"),
                "festival:ked": (("routine", "lower-back-hip", 1.2), "bedroom"),
                "piper:joe@1.3": (("routine", "lower-back-hip", 1.0), "far"),
                "espeak:en-us": (("routine", "lower-back-hip", 1.2), "fan")}
"""Coach stream and room of each voice's detection scene (rooms differ on purpose)."""
FILLER = ("lines", "coach-lines", 1.0)
"""Coach stream appended when a routine has no room left for a voice's commands."""


DISTRESS_LISTED = ("stop it hurts", "ow, stop", "stop, stop", "that hurts, stop", "please stop",
                   "I need to stop", "ouch")
"""Cries of pain the issue found ignored; the phrase table lists them (its distress phrases)."""
DISTRESS_HELD_OUT = ("ouch, stop", "no, stop, it hurts", "wait, that hurts", "ow, my knee",
                     "stop, I have a cramp", "it hurts", "that's a pain", "my back hurts",
                     "ouch, ouch", "please wait")
"""Cries the phrase table does not list (its language model has not seen them whole)."""


@dataclass(frozen=True)
class Plan:
    name: str
    kind: str
    """"detect", "distress", "coach", "talk", "bumps" or "clean"."""
    room: str
    coach: tuple[tuple[str, str, float], ...]
    """Coach parts: ("routine", id, rate) or ("lines", "coach-lines", rate)."""
    lines: tuple[tuple[str, str | None, str, str, float | None], ...]
    """(text, command, voice, condition, level_db) of each user utterance."""
    seconds: float | None = None
    """Cut the coach audio to this length (None = whole)."""

    @property
    def key(self) -> str:
        cut = ["cut in a gap"] if self.seconds is not None else []
        return scene_key([VERSION, asdict(self), *cut])


def command_phrases(all_phrases: bool) -> list[tuple[str, str]]:
    """(phrase, command) of the English table: every phrase, or the first of each command."""
    from voice_coach.listen.phrases import load_language

    table = load_language("en")
    return [(p, g.command) for g in table.commands
            for p in (g.phrases if all_phrases else g.phrases[:1])]


def detect_plans(voices: tuple[str, ...], all_phrases: bool, quick: bool) -> list[Plan]:
    plans = []
    for n, voice in enumerate(voices):
        phrases = command_phrases(all_phrases and voice in MAIN_VOICES)
        lines = [(p, c, voice, cond, lvl) for p, c in phrases for lvl in LEVELS
                 for cond in CONDITIONS]
        order = np.random.default_rng(100 + n).permutation(len(lines))
        coach, room = DETECT_COACH[voice]
        plans.append(Plan(f"detect {voice}", "detect", room, (coach,),
                          tuple(lines[i] for i in order)))
    return plans


def distress_plans(voices: tuple[str, ...]) -> list[Plan]:
    """Cries of pain (each expected to pause) in each voice's detection room and coach, at the
    same levels and conditions as the commands."""
    plans = []
    for n, voice in enumerate(voices):
        lines = [(p, "pause", voice, cond, lvl) for p in DISTRESS_LISTED + DISTRESS_HELD_OUT
                 for lvl in LEVELS for cond in CONDITIONS]
        order = np.random.default_rng(200 + n).permutation(len(lines))
        coach, room = DETECT_COACH[voice]
        plans.append(Plan(f"distress {voice}", "distress", room, (coach,),
                          tuple(lines[i] for i in order)))
    return plans


def clean_plans(voices: tuple[str, ...], all_phrases: bool) -> list[Plan]:
    return [Plan(f"clean {v}", "clean", "none", (), tuple(
        (p, c, v, "clean", None) for p, c in command_phrases(all_phrases and v in MAIN_VOICES)))
        for v in voices]


def coach_plans(minutes: float) -> list[Plan]:
    """At least ``minutes`` of coach speech with no user: routines at several rates + lines."""
    parts = [(("routine", "lower-back-hip", 1.0), "bedroom"), (("lines", "coach-lines", 1.0),
             "fan"), (("routine", "lower-back-hip", 1.2), "far"),
             (("routine", "bedtime-breathing", 0.9), "fan"),
             (("routine", "lower-back-hip", 0.85), "fan")]
    lengths = {"lower-back-hip": 1070.0, "coach-lines": 250.0, "bedtime-breathing": 200.0}
    plans, left = [], minutes * 60
    for coach, room in parts:
        if left <= 0:
            break
        length = lengths[coach[1]] / coach[2]
        seconds = None if left >= length else left
        plans.append(Plan(f"coach {coach[1]}@{coach[2]:g}", "coach", room, (coach,), (),
                          seconds))
        left -= min(length, left)
    return plans


def bump_plans(minutes: float) -> list[Plan]:
    """About ``minutes`` of knocks, rustles and hums (sim/bumps.py) over a coach session."""
    return [Plan("bumps (knocks, rustles, hums)", "bumps", "bedroom",
                 (("routine", "lower-back-hip", 0.9),), (), minutes * 60)]


def talk_plans(minutes: float) -> list[Plan]:
    """About ``minutes`` of other people talking over a coach session."""
    lines, avg = [], 4.0  # seconds per sentence with its pause, roughly
    count = int(np.ceil(minutes * 60 / avg))
    for i in range(count):
        text = TALK_SENTENCES[i % len(TALK_SENTENCES)]
        voice = TALK_VOICES[(i // len(TALK_SENTENCES) + i) % len(TALK_VOICES)]
        lines.append((text, None, voice, "talk", LEVELS[i % len(LEVELS)]))
    return [Plan("talk (radio/partner)", "talk", "bedroom",
                 (("routine", "lower-back-hip", 1.2), ("lines", "coach-lines", 1.0)),
                 tuple(lines), minutes * 60 + 10.0)]


# --- building ----------------------------------------------------------------------------


def coach_stream(parts: tuple[tuple[str, str, float], ...], cache: Path) -> CoachStream:
    streams = []
    for kind, name, rate in parts:
        if kind == "routine":
            streams.append(render_routine(name, rate, cache))
        else:
            streams.append(render_lines(COACH_LINES, rate, cache, gap_s=3.0, repeats=2))
    return streams[0] if len(streams) == 1 else concat(streams)


def user_lines(plan: Plan, cache: Path) -> list[Line]:
    from voice_coach.sim.speakers import UserVoices

    voices = UserVoices(cache / "user-voices")
    return [Line(t, c, v, cond, lvl, voices.say(t, v)) for t, c, v, cond, lvl in plan.lines]


def build(plan: Plan, cache: Path) -> Scene:
    """The scene of ``plan``, from the cache when it was built before."""
    scene = load_scene(cache, plan.key)
    if scene is not None:
        return scene
    lines = user_lines(plan, cache)
    if plan.kind == "clean":
        scene = clean_scene(lines, 22050, plan.name)
    else:
        coach = coach_stream(plan.coach, cache)
        ref = coach.pcm if plan.seconds is None else \
            coach.pcm[: cut_in_gap(coach.pcm, coach.rate, plan.seconds)]
        scene = _build_mixed(plan, lines, ref, coach.rate, cache)
    save_scene(scene, cache, plan.key)
    return scene


CUT_SILENCE_S = 0.8
"""Silence a cut coach stream ends with: longer than the speaker-to-mic delay plus the room's
reverberation, so the mic hears all of the echo of what was played."""


def cut_in_gap(pcm: np.ndarray, rate: int, seconds: float) -> int:
    """Samples of ``pcm`` to keep for about ``seconds``: up to the end of the last stretch of
    ``CUT_SILENCE_S`` of silence before that. Cut mid-word, the last ~0.1 s the speaker played
    would never reach the mic, and the cancellers, still subtracting its echo, would make
    words of it (the bumps scene's last "resume", at its very end)."""
    frame = rate // 100
    end = min(len(pcm), int(seconds * rate)) // frame
    loud = np.abs(pcm[: end * frame].reshape(-1, frame)).max(axis=1) > 1e-3
    need = round(CUT_SILENCE_S * 100)
    quiet = 0
    for f in range(end - 1, -1, -1):
        quiet = 0 if loud[f] else quiet + 1
        if quiet >= need:
            return (f + need) * frame
    return end * frame


def echo_of(ref: np.ndarray, rate: int, room: str, cache: Path, what: object) -> np.ndarray:
    """The coach's echo at the mic (no noise, no user) for ``ref``, cached under ``what``."""
    from scenes import ROOMS

    from voice_coach.sim.room import RoomParams

    path = cache / "echo" / f"{scene_key([VERSION, room, what, len(ref)])}.npy"
    if path.exists():
        return np.load(path)
    echo = render(ref, rate, RoomParams(**{**asdict(ROOMS[room]), "noise_db": None}))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npy")
    np.save(tmp, echo)
    os.replace(tmp, path)
    return echo


def _build_mixed(plan: Plan, lines: list[Line], ref: np.ndarray, rate: int,
                 cache: Path) -> Scene:
    if plan.kind in ("coach", "bumps"):
        mic, said, echo = mix(ref, rate, plan.room, [], echo_of(ref, rate, plan.room, cache,
                                                                 plan.coach))
        if plan.kind == "bumps":
            from voice_coach.sim.bumps import bumps

            mic = mic + bumps(len(mic) / MIC_RATE, seed=1, rate=MIC_RATE)[: len(mic)]
        return Scene(plan.name, plan.kind, ref, rate, mic, tuple(said), plan.room, echo)
    if plan.kind == "talk":
        placed, _ = talk_lines(lines, ref, rate, plan.room)
        mic, said, echo = mix(ref, rate, plan.room, placed, echo_of(ref, rate, plan.room, cache,
                                                                     plan.coach))
        return Scene(plan.name, plan.kind, ref, rate, mic, tuple(said), plan.room, echo)
    placed: list = []
    left, start = lines, None
    for extra in range(12):  # extend the coach audio until every command has its place
        echo = echo_of(ref, rate, plan.room, cache, [plan.coach, extra])
        more, left = place(left, echo, **({} if start is None else {"start_s": start}))
        placed += more
        if placed:
            last_line, last_at = placed[-1]
            start = last_at / MIC_RATE + len(last_line.pcm) / MIC_RATE + WINDOW_S + SPACING_S
        if not left:
            break
        filler = coach_stream((FILLER,), cache)
        ref = np.concatenate([ref, filler.pcm])
    end = (start or 30.0) + 1.0
    ref = ref[: int(end * rate)]
    echo = echo[: len(ref) * MIC_RATE // rate]  # the room is causal: cutting changes nothing
    mic, said, echo = mix(ref, rate, plan.room, placed, echo=echo)
    return Scene(plan.name, plan.kind, ref, rate, mic, tuple(said), plan.room, echo)
