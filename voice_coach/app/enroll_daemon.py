""""Hey coach, learn my voice": the Daemon hands the speaker and microphone to the same spoken
enrollment as ``voice-coach enroll`` (default plan, default profile) and hears back how it
went (``EnrollmentDone``). Ctrl-C or SIGTERM during it stop ``run`` as always; the phrases
finished so far are kept (see ``enroll_flow``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from voice_coach import paths
from voice_coach.app.enroll_ears import TakeJudge, make_judge
from voice_coach.app.enroll_flow import EnrollAudio, Item, check_writable, enroll, plan
from voice_coach.app.enroll_live import LiveEnrollAudio
from voice_coach.app.live_mic import LiveMic
from voice_coach.config import Config
from voice_coach.core.events import EnrollmentDone
from voice_coach.errors import UserError
from voice_coach.personal import profile
from voice_coach.speech import Player, Synthesizer

log = logging.getLogger(__name__)


def enroller(folder: Path, judge: Callable[[], TakeJudge],
             audio: Callable[[], AbstractContextManager[EnrollAudio]], takes: int = 3,
             items: Sequence[Item] | None = None) -> Callable[[], EnrollmentDone]:
    """What the Daemon runs for StartEnrollment: the enrollment into ``folder``, through the
    audio path ``audio()`` opens; ``items``: the plan (default: ``enroll_flow.plan``'s)."""

    def run() -> EnrollmentDone:
        try:
            check_writable(folder)
            checker = judge()
            chosen = list(items) if items is not None else plan(checker.table,
                                                                profile.load(folder))
            with audio() as path:
                outcomes, interrupted = enroll(chosen, path, checker, folder, takes,
                                               note=log.info)
        except UserError as error:
            log.error("voice enrollment: %s", error)
            return EnrollmentDone(0, str(error))
        if interrupted:
            raise KeyboardInterrupt  # stop ``run``, as Ctrl-C always does
        return EnrollmentDone(sum(o.saved for o in outcomes))

    return run


def live_enroller(config: Config, state_dir: Path | None, player: Player,
                  synthesizer: Synthesizer, mic: LiveMic, output_latency: Callable[[], float],
                  stop: threading.Event) -> Callable[[], EnrollmentDone]:
    """The enroller of ``run``: the listener's microphone is handed over for the enrollment
    (closed, then opened again; a failed reopen is retried like a lost device)."""

    @contextmanager
    def audio() -> Iterator[EnrollAudio]:
        mic.close()
        try:
            with LiveEnrollAudio(player, synthesizer, config.rate, config.input_device,
                                 mic.rate, output_latency, cancelled=stop.is_set) as path:
                yield path
        finally:
            try:
                mic.open()
            except Exception as error:  # noqa: BLE001 - PortAudio errors of a vanished device
                mic.watch.failed(player.time, f"reopening after the enrollment: {error}")

    folder = profile.profile_dir(state_dir or paths.state_dir())
    return enroller(folder, lambda: make_judge(config), audio)
