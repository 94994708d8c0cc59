"""``voice-coach run`` on real sound cards: the Daemon stepped on the speaker's stream clock.

Threads: PortAudio's output callback pulls the Player (its tap feeds the listener the echo
reference); the listener thread reads the microphone and queues what it heard; this loop
posts that to the Daemon and steps it every 20 ms. Devices are watched: a lost one pauses
the session and is retried every few seconds (voice_coach.app.devices_watch). While the
speaker is gone a stand-in pulls the Player in real time, so the clock and the session's
timers keep going and nothing waits for a callback that never comes.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voice_coach.app.daemon import Daemon, make_dialogue, routine_options
from voice_coach.app.devices_watch import StallDetector, Watched
from voice_coach.app.enroll_daemon import live_enroller
from voice_coach.app.executor import choices_mapping
from voice_coach.app.live_mic import LiveMic, input_rate
from voice_coach.app.prepare import block_size
from voice_coach.audio import BLOCK_SECONDS as STEP_SECONDS
from voice_coach.audio import LISTEN_RATE
from voice_coach.config import Config
from voice_coach.core.events import DeviceChanged
from voice_coach.errors import UserError
from voice_coach.listen.sources import CLOCK_WAIT_S
from voice_coach.speech import Player
from voice_coach.speech.clock import PlaybackClock
from voice_coach.speech.wav import WavWriter
from voice_coach.state_store import StateStore

if TYPE_CHECKING:
    from voice_coach.speech.device import DeviceOutput

log = logging.getLogger(__name__)

VOICE_HINT = "get the default voice with: voice-coach models fetch en_US-joe-medium"
NO_SOUND_CARD_HINT = ("to try the coach without sound cards: voice-coach demo; to hear a "
                      "routine as a file: voice-coach play ROUTINE --to FILE.wav")
MODEL_HINT = ("get a recognizer model with: voice-coach models fetch "
              "vosk-model-small-en-us-0.15 (see `voice-coach models list`)")


class LiveSpeaker:
    """The output device, watched: a stalled or failing stream is closed and retried."""

    def __init__(self, player: Player, device: str | int | None,
                 report: Callable[[bool, str], None]) -> None:
        self.player = player
        self.device = device
        self.output: DeviceOutput | None = None
        self.clock = PlaybackClock()
        """Kept across reopened streams: the microphone times its blocks with it."""
        self.underflows = 0
        """Output underflows of the streams closed so far (see ``total_underflows``)."""
        self.watch = Watched("speaker", self.open, self.close, report)
        self._stall = StallDetector()
        self._pump: threading.Thread | None = None
        self._pumping = threading.Event()

    def open(self) -> None:
        from voice_coach.speech.device import DeviceOutput

        output = DeviceOutput(self.player, self.device, self.clock)
        output.start()
        self._pumping.clear()
        if self._pump is not None:
            self._pump.join()
            self._pump = None
        self.output = output
        self._stall.reset(time.monotonic())

    def close(self) -> None:
        output, self.output = self.output, None
        if output is not None:
            self.underflows += output.underflows
            output.close()
        self._start_pump()

    @property
    def total_underflows(self) -> int:
        return self.underflows + (self.output.underflows if self.output is not None else 0)

    def check(self) -> None:
        """Notice a dead stream; retry a lost one when due."""
        wall = time.monotonic()
        if self.output is not None:
            errors = self.output.callback_errors
            if errors or not self.output.active or self._stall.stalled(self.player.time, wall):
                reason = "output callback failed" if errors else "output stream stopped"
                self.watch.failed(self.player.time, reason)
        self.watch.poll(self.player.time)

    def _start_pump(self) -> None:
        if self._pump is not None:
            return
        self._pumping.set()
        self._pump = threading.Thread(target=self._pump_blocks, name="speaker-standin",
                                      daemon=True)
        self._pump.start()

    def _pump_blocks(self) -> None:
        period = self.player.block_size / self.player.sample_rate
        next_time = time.monotonic()
        while self._pumping.is_set():
            self.player.read_block()  # into the void: keeps the stream clock honest
            next_time += period
            time.sleep(max(0.0, next_time - time.monotonic()))

    def shutdown(self) -> None:
        self._pumping.clear()
        if self.output is not None:
            try:
                self.output.close()
            except Exception as error:  # noqa: BLE001 - a dead device may fail to close
                log.debug("closing the speaker failed: %s", error)
        self.output = None


def check_audio(config: Config) -> int | None:
    """Fail early and clearly: no PortAudio, no input or no output device. Returns the
    microphone's PortAudio index (None = the system default)."""
    from voice_coach.audio_devices import resolve_device
    from voice_coach.speech.device import import_sounddevice, resolve_output_device

    import_sounddevice()
    resolve_output_device(config.output_device, hint=NO_SOUND_CARD_HINT)
    return resolve_device(config.input_device, "input", hint=NO_SOUND_CARD_HINT)


def load_listener(config: Config, mic_rate: int = LISTEN_RATE) -> Any:
    """The configured Listener; a missing model says how to fetch one."""
    from voice_coach.listen.build import build_listener

    try:
        return build_listener(config, mic_rate=mic_rate)
    except UserError as error:
        text = str(error)
        if "models fetch" not in text:
            text += f"; {MODEL_HINT}"
        raise UserError(text) from None


LISTENER_WAV = "VOICE_COACH_LISTENER_WAV"
"""Environment variable naming a WAV file for ``record_listener`` (debugging a real room)."""


def record_listener(listener: Any) -> WavWriter | None:
    """When LISTENER_WAV names a file: the listener's mic, the coach's playback and the echo
    canceller's output as its three channels (16 kHz), written as the listener hears them."""
    path = os.environ.get(LISTENER_WAV)
    if not path:
        return None
    writer = WavWriter(Path(path), LISTEN_RATE, channels=3)
    listener.tap = lambda mic, ref, cleaned: writer.write(np.stack([mic, ref, cleaned], 1))
    return writer


def open_mic(mic: LiveMic, device: str | int | None) -> None:
    try:
        mic.open()
    except UserError:
        raise
    except Exception as error:  # noqa: BLE001 - PortAudioError/ValueError from the host API
        name = "default" if device is None else repr(device)
        raise UserError(f"microphone {name} cannot be opened ({error}); check "
                        "`voice-coach devices` and [audio] input_device") from None


def run_live(config: Config, state_dir: Path | None = None,
             stop: threading.Event | None = None) -> int:
    """Run until SIGTERM/Ctrl-C (or ``stop``); progress saved, streams closed; returns 0."""
    from voice_coach.speech import Synthesizer

    # Cheapest checks first; every one of them fails with one line before anything starts.
    store = StateStore(state_dir)
    store.check_writable()
    home = None
    if config.ha_enabled:
        from voice_coach.home.settings import broker_settings

        home = broker_settings(config)
    try:
        synthesizer = Synthesizer(config.voice)
    except UserError as error:
        raise UserError(f"{error}; {VOICE_HINT}") from None
    mic_index = check_audio(config)
    mic_rate = input_rate(mic_index)
    listener = load_listener(config, mic_rate)
    from voice_coach.personal.ears import attach

    attach(listener, store.directory, config.voice_profile)
    player = Player(synthesizer.sample_rate, block_size(synthesizer.sample_rate),
                    volume=config.volume)
    player.add_tap(lambda block, t: listener.add_reference(block, t, player.sample_rate))
    dialogue = make_dialogue(routine_options(config.routines_dir), store, config.rate,
                             config.volume)
    for mode in dialogue.listen_modes:
        listener.prepare(mode.mode, choices_mapping(mode))
    recording = record_listener(listener)
    heard: queue.Queue[Any] = queue.Queue()
    daemon = Daemon(dialogue, synthesizer, player, store, wake_phrase=config.wake)
    speaker = LiveSpeaker(player, config.output_device,
                          lambda lost, detail: daemon.post_device(
                              DeviceChanged("speaker", lost, detail)))
    mic = LiveMic(listener, config.input_device, mic_rate, lambda: player.time, heard,
                  lambda lost, detail: daemon.post_device(
                      DeviceChanged("microphone", lost, detail)),
                  timing=speaker.clock.stream_time_at)
    daemon.set_listener_mode(mic.set_mode)
    bridge = None
    if home is not None:
        from voice_coach.home.bridge import HomeBridge

        bridge = HomeBridge(home, daemon)
    stop = stop or threading.Event()
    enroll = live_enroller(config, state_dir, player, synthesizer, mic,
                           lambda: speaker.output.latency if speaker.output else 0.0, stop)

    def enroll_and_listen() -> Any:
        done = enroll()
        attach(listener, store.directory, config.voice_profile)  # the new takes, from now on
        return done

    daemon.set_enroller(enroll_and_listen)
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) \
        if threading.current_thread() is threading.main_thread() else None

    started: float | None = None
    try:
        speaker.open()
        open_mic(mic, config.input_device)
        log.info("listening on %s at %d Hz, speaking on %s",
                 "the default microphone" if config.input_device is None
                 else repr(config.input_device), mic_rate,
                 "the default speaker" if config.output_device is None
                 else repr(config.output_device))
        mic.wait_until_listening(CLOCK_WAIT_S + 1.0)
        daemon.start(player.time)
        if bridge is not None:
            bridge.start()
        started = time.monotonic()
        while not stop.is_set():
            while not heard.empty():
                daemon.post_heard(heard.get_nowait())
            speaker.check()
            mic.check(player.time)
            daemon.step(player.time)
            time.sleep(STEP_SECONDS)
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        daemon.shutdown(player.time)
        if bridge is not None:
            bridge.stop()
        player.stop()
        time.sleep(2 * STEP_SECONDS)  # let the fade-out reach the speaker
        underflows, overflows = speaker.total_underflows, mic.overflows
        mic.shutdown()
        listener.report()
        speaker.shutdown()
        if started is not None:
            hours = max(time.monotonic() - started, 1.0) / 3600
            log.info("audio: %d output underflows, %d input overflows in %.1f min "
                     "(%.1f and %.1f per hour)", underflows, overflows, hours * 60,
                     underflows / hours, overflows / hours)
        synthesizer.close()
        if recording is not None:
            recording.close()
            log.info("what the listener heard is in %s", recording.path)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    log.info("stopped; %s", saved_phrase(daemon, store))
    return 0


def saved_phrase(daemon: Daemon, store: StateStore) -> str:
    """What became of the user's progress, true to what was written."""
    if daemon.writer.unsaved:
        return f"progress could NOT be saved in {store.directory} (see the errors above)"
    if daemon.writer.writes:
        return f"progress saved in {store.directory}"
    return "no session was played, nothing to save"
