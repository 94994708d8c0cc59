"""A night in the room, built from a pool of clips and rendered one segment at a time.

The pool: every talk sentence (listen_talk.py's and overnight_text.py's near-wake ones) in
three voices of six, and generated TV paragraphs read mostly by Piper, about half an hour
of distinct speech in all (synthesizing eight hours of unique speech is too slow here).
The night: segments of SEGMENT_S seconds, each of one kind (other people talking, TV,
noise, silence) with its own room (reverberation, distance, background fan level),
levels, order of clips and gaps, all drawn from the night's seed; a segment is rendered
only when the listener needs it, so a night never sits in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from listen_talk import TALK_SENTENCES
from overnight_text import NEAR_WAKE_SENTENCES, TV_VOICES, check_text, tv_paragraphs

from voice_coach.sim.bumps import bumps
from voice_coach.sim.room import Convolver, active_frames, fan_filter, synthetic_ir

RATE = 16000
"""Mic rate of the night, Hz."""
SEGMENT_S = 300.0
"""Length of one segment (one kind of sound, one room draw), s."""
SHARES = {"talk": 0.30, "tv": 0.30, "noise": 0.25, "silence": 0.15}
"""Share of the night of each kind of segment."""
TALK_VOICES = ("festival:kal", "festival:ked", "espeak:en-us", "espeak:en+f3",
               "espeak:en+m3", "espeak:en-gb-x-rp")
"""Other people in the room: the listening bench's talk voices and two more espeak ones."""
VOICES_PER_SENTENCE = 3
"""Each talk sentence is in the pool this many times, in different voices."""
TV_PARAGRAPHS = 36
"""Generated TV paragraphs in the pool (about 30 s each)."""
PLANT_VOICES = ("festival:kal", "festival:ked")
"""Voices of the user saying the real wake phrase in a sanity run (``--plant``)."""
PLANT_CLEAR_S = (1.5, 2.5)
"""Nobody else speaks this long before and after a planted wake phrase, s."""


@dataclass(frozen=True)
class Clip:
    text: str
    voice: str
    source: str
    """"talk" (a person's sentence) or "tv" (a programme's paragraph)."""
    pcm: np.ndarray
    """Dry speech, float32 16 kHz, scaled to an active RMS of 1."""


@dataclass(frozen=True)
class Segment:
    index: int
    kind: str
    """A key of SHARES."""
    start_s: float
    """Night time of the segment's first sample, s."""
    seconds: float


@dataclass(frozen=True)
class Event:
    """Something said in the night (the truth a false wake is explained with)."""

    start_s: float
    end_s: float
    kind: str
    """The segment's kind, or "planted" for a real wake phrase put there on purpose."""
    text: str
    voice: str


def _unit(pcm: np.ndarray) -> np.ndarray:
    act = np.repeat(active_frames(pcm, RATE), int(0.02 * RATE))
    rms = float(np.sqrt(np.mean(pcm[: len(act)][act] ** 2))) if act.any() else 1.0
    return (pcm / max(rms, 1e-6)).astype(np.float32)


def build_pool(cache: Path, seed: int, wake: str, log: bool = True) -> list[Clip]:
    """Talk sentences in VOICES_PER_SENTENCE voices each, and TV_PARAGRAPHS paragraphs;
    every text checked against the wake phrase. Synthesized once, cached in ``cache``."""
    from voice_coach.sim.speakers import UserVoices

    voices = UserVoices(cache / "user-voices")
    jobs = []
    for i, text in enumerate(TALK_SENTENCES + NEAR_WAKE_SENTENCES):
        for k in range(VOICES_PER_SENTENCE):
            jobs.append((text, TALK_VOICES[(i + 2 * k) % len(TALK_VOICES)], "talk"))
    for i, text in enumerate(tv_paragraphs(TV_PARAGRAPHS, seed)):
        jobs.append((text, TV_VOICES[i % len(TV_VOICES)], "tv"))
    pool = []
    for n, (text, voice, source) in enumerate(jobs):
        check_text(text, wake)
        pool.append(Clip(text, voice, source, _unit(voices.say(text, voice))))
        if log and (n + 1) % 50 == 0:
            print(f"  pool: {n + 1}/{len(jobs)} clips", flush=True)
    return pool


def plan_night(hours: float, seed: int) -> list[Segment]:
    """The night's segments in a seeded order; each kind gets its share of the segments
    (largest remainder), the last segment is shorter when ``hours`` asks for it."""
    total = hours * 3600
    count = math.ceil(total / SEGMENT_S - 1e-9)
    exact = {k: share * count for k, share in SHARES.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: counts[k] - exact[k])[: count - sum(counts.values())]:
        counts[k] += 1
    kinds = [k for k in SHARES for _ in range(counts[k])]
    order = np.random.default_rng([seed, 1]).permutation(len(kinds))
    segments, start = [], 0.0
    for i, j in enumerate(order):
        seconds = min(SEGMENT_S, total - start)
        segments.append(Segment(i, kinds[int(j)], start, seconds))
        start += seconds
    return segments


def plan_plants(segments: Sequence[Segment], count: int, seed: int
                ) -> dict[int, list[tuple[float, str, float]]]:
    """Segment index -> (offset s, voice, level dBFS) of each planted wake phrase: spread
    over distinct segments when there are enough, at a user's level (in bed, near the mic)."""
    rng = np.random.default_rng([seed, 2])
    usable = [s for s in segments if s.seconds >= 60]
    plants: dict[int, list[tuple[float, str, float]]] = {}
    if not usable or count <= 0:
        return plants
    picks = rng.choice(len(usable), count, replace=count > len(usable))
    for n, p in enumerate(picks):
        seg = usable[int(p)]
        taken = [o for o, _, _ in plants.get(seg.index, [])]
        offset = float(rng.uniform(20, seg.seconds - 20))
        while any(abs(offset - o) < 10 for o in taken):
            offset = float(rng.uniform(20, seg.seconds - 20))
        plants.setdefault(seg.index, []).append(
            (offset, PLANT_VOICES[n % len(PLANT_VOICES)], float(rng.uniform(-30, -22))))
    return plants


class Night:
    """Renders one night's segments from the pool (see the module docstring)."""

    def __init__(self, pool: Sequence[Clip], wake_pcm: dict[str, np.ndarray], wake: str,
                 seed: int) -> None:
        self.talk = [c for c in pool if c.source == "talk"]
        self.tv = [c for c in pool if c.source == "tv"]
        self.wake_pcm = {v: _unit(p) for v, p in wake_pcm.items()}
        self.wake = wake
        self.seed = seed

    def render(self, seg: Segment, plants: Sequence[tuple[float, str, float]] = ()
               ) -> tuple[np.ndarray, list[Event]]:
        """The mic signal of ``seg`` (float32, 16 kHz) and what was said in it."""
        rng = np.random.default_rng([self.seed, 3, seg.index])
        n = round(seg.seconds * RATE)
        rt60 = float(rng.uniform(0.2, 0.7))
        floor = {"noise": (-58.0, -40.0), "silence": (-76.0, -66.0)}.get(seg.kind, (-68.0, -52.0))
        mic = _pink(n, float(rng.uniform(*floor)), rng)
        events: list[Event] = []
        reserved = []
        plant_rng = np.random.default_rng([self.seed, 4, seg.index])  # same night without
        for offset, voice, level in plants:
            pcm = self.wake_pcm[voice]
            ir = synthetic_ir(rt60, 6.0, RATE, plant_rng)
            _add(mic, _wet(pcm, ir) * np.float32(10 ** (level / 20)), offset)
            events.append(Event(seg.start_s + offset, seg.start_s + offset + len(pcm) / RATE,
                                "planted", self.wake, voice))
            reserved.append((offset - PLANT_CLEAR_S[0],
                             offset + len(pcm) / RATE + PLANT_CLEAR_S[1]))
        if seg.kind == "talk":
            events += self._talk(mic, seg, rt60, rng, reserved)
        elif seg.kind == "tv":
            events += self._tv(mic, seg, rt60, rng, reserved)
        elif seg.kind == "noise":
            mic += bumps(seg.seconds, seed=int(rng.integers(1 << 31)), rate=RATE,
                         level_dbfs=(-55.0, -25.0), gap_s=(1.0, 20.0))[:n]
            events.append(Event(seg.start_s, seg.start_s + seg.seconds, "noise",
                                "fan noise, knocks, rustles, hums", "-"))
        return mic, events

    def _talk(self, mic: np.ndarray, seg: Segment, rt60: float, rng: np.random.Generator,
              reserved: list[tuple[float, float]]) -> list[Event]:
        """Two or three people at their own distance and loudness, with lulls."""
        people = [(float(rng.uniform(-42, -24)), synthetic_ir(rt60, float(rng.uniform(-3, 6)),
                                                               RATE, rng))
                  for _ in range(int(rng.integers(2, 4)))]
        events, t = [], float(rng.uniform(0.5, 5.0))
        while True:
            clip = self.talk[int(rng.integers(len(self.talk)))]
            level, ir = people[int(rng.integers(len(people)))]
            t = _free(t, len(clip.pcm) / RATE + rt60, reserved)
            if t + len(clip.pcm) / RATE + rt60 > seg.seconds - 0.5:
                return events
            level += float(rng.uniform(-3, 3))
            events.append(self._say(mic, seg, t, clip, ir, level))
            t = events[-1].end_s - seg.start_s + float(rng.uniform(0.3, 2.5))
            if rng.random() < 0.15:
                t += float(rng.uniform(5, 40))  # a lull in the conversation

    def _tv(self, mic: np.ndarray, seg: Segment, rt60: float, rng: np.random.Generator,
            reserved: list[tuple[float, float]]) -> list[Event]:
        """A TV across the room: paragraphs back to back, now and then a line of drama,
        through a small loudspeaker (no bass)."""
        level = float(rng.uniform(-40, -26))
        ir = synthetic_ir(rt60, float(rng.uniform(-2, 4)), RATE, rng)
        events, t = [], float(rng.uniform(0.2, 2.0))
        while True:
            pool = self.tv if rng.random() < 0.8 else self.talk
            clip = pool[int(rng.integers(len(pool)))]
            t = _free(t, len(clip.pcm) / RATE + rt60, reserved)
            if t + len(clip.pcm) / RATE + rt60 > seg.seconds - 0.5:
                if clip.source == "tv" and t + 12 < seg.seconds:
                    continue  # a paragraph does not fit: try another (a short line fits)
                return events
            events.append(self._say(mic, seg, t, clip, ir, level, tv=True))
            t = events[-1].end_s - seg.start_s + float(rng.uniform(0.3, 1.5))

    def _say(self, mic: np.ndarray, seg: Segment, t: float, clip: Clip, ir: np.ndarray,
             level: float, tv: bool = False) -> Event:
        pcm = _small_speaker(clip.pcm) if tv else clip.pcm
        _add(mic, _wet(pcm, ir) * np.float32(10 ** (level / 20)), t)
        return Event(seg.start_s + t, seg.start_s + t + len(clip.pcm) / RATE, seg.kind,
                     clip.text, clip.voice)


def _free(t: float, seconds: float, reserved: Sequence[tuple[float, float]]) -> float:
    """The first start at or after ``t`` where ``seconds`` of speech miss every reserved span."""
    moved = True
    while moved:
        moved = False
        for a, b in reserved:
            if t < b and t + seconds > a:
                t, moved = b, True
    return t


def _wet(pcm: np.ndarray, ir: np.ndarray) -> np.ndarray:
    return Convolver(ir).process(np.concatenate([pcm, np.zeros(len(ir) - 1, np.float32)]))


def _add(mic: np.ndarray, wet: np.ndarray, at_s: float) -> None:
    a = round(at_s * RATE)
    part = mic[a : a + len(wet)]
    part += wet[: len(part)]


def _pink(n: int, level_db: float, rng: np.random.Generator, chunk: int = 10 * RATE
          ) -> np.ndarray:
    """The room's background: the simulated room's fan noise (pink, dull) at ``level_db``."""
    fan = Convolver(fan_filter(RATE))
    out = np.empty(n, np.float32)
    for a in range(0, n, chunk):
        m = min(chunk, n - a)
        out[a : a + m] = fan.process(rng.standard_normal(m))
    return out * np.float32(10 ** (level_db / 20))


def _small_speaker(pcm: np.ndarray, cut_hz: float = 180.0) -> np.ndarray:
    """A TV's small loudspeaker: little below ``cut_hz`` (2nd-order high-pass shape)."""
    spec = np.fft.rfft(pcm)
    f = np.fft.rfftfreq(len(pcm), 1 / RATE)
    r = (f / cut_hz) ** 2
    return np.fft.irfft(spec * (r / np.sqrt(1 + r**2)), len(pcm)).astype(np.float32)
