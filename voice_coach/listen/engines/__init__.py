"""Speech recognizers behind one small protocol (see base.py); each imported lazily."""

from voice_coach.listen.engines.base import Hypothesis, Recognizer, Word

__all__ = ["Hypothesis", "Recognizer", "Word"]
