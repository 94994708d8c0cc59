"""``python -m voice_coach.cli``: the same as the ``voice-coach`` command."""

import sys

from voice_coach.cli import main

sys.exit(main())
