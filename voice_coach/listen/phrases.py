"""Phrase tables: what people say for each command, per language, loaded from data files.

A table maps canonical command names to the phrasings people use, plus the wake phrase,
yes/no answers, the distress words (any one of them anywhere in an utterance pauses the coach:
docs/safety.md) and garbage words (ordinary words recognizers use as the path for speech that
is not a command). Text is compared after :func:`normalize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from voice_coach.commands import COMMANDS, WAKE, normalize
from voice_coach.errors import UserError

ANSWERS = ("yes", "no")


@dataclass(frozen=True)
class CommandPhrases:
    command: str
    """Canonical name, one of voice_coach.commands.COMMANDS."""
    phrases: tuple[str, ...]
    """Normalized phrasings, e.g. ("pause", "hold on")."""
    min_confidence: float
    """Lowest combined word confidence (0..1) accepted; higher for costly mistakes."""


@dataclass(frozen=True)
class Distress:
    """What someone in pain or alarm says: unlike commands, matched anywhere in an utterance."""

    words: tuple[str, ...]
    """Single normalized words ("stop", "ow", "hurts"); any one of them pauses the coach."""
    phrases: tuple[str, ...]
    """Typical whole utterances ("stop it hurts"): the recognizer learns them, so that it
    hears the words in the company they keep; they are not needed for a match."""
    min_confidence: float
    """Lowest confidence (0..1) of the distress word heard for the utterance to count."""


@dataclass(frozen=True)
class PhraseTable:
    language: str
    """Language code of the file, e.g. "en"."""
    wake: str
    """Normalized wake phrase, e.g. "hey coach"."""
    commands: tuple[CommandPhrases, ...]
    answers: tuple[CommandPhrases, ...]
    """"yes" and "no" with their phrasings."""
    garbage: tuple[str, ...]
    """Ordinary non-command words for the recognizer's garbage path."""
    distress: Distress | None = None
    """The distress words, None for a language without them (then only phrases count)."""
    path: Path | None = None
    """File the table came from (for messages)."""

    def phrase_map(self, include_answers: bool = True) -> dict[str, str]:
        """Normalized phrase -> command name (answers map to "yes"/"no")."""
        groups = self.commands + (self.answers if include_answers else ())
        return {phrase: group.command for group in groups for phrase in group.phrases}

    def min_confidence(self, command: str) -> float:
        for group in self.commands + self.answers:
            if group.command == command:
                return group.min_confidence
        return 0.5

    def all_phrases(self) -> tuple[str, ...]:
        """Every phrase a recognizer must know: wake, commands, answers, then
        :meth:`distress_phrases`."""
        return (self.wake, *self.phrase_map(), *self.distress_phrases())

    def distress_phrases(self) -> tuple[str, ...]:
        """The distress phrasings and each distress word alone, less the command phrases
        among them ("stop", "wait")."""
        if self.distress is None:
            return ()
        taken = {self.wake, *self.phrase_map()}
        distress = dict.fromkeys((*self.distress.phrases, *self.distress.words))
        return tuple(p for p in distress if p not in taken)

    def vocabulary(self) -> frozenset[str]:
        """Every word of every phrase (not the garbage words)."""
        return frozenset(word for phrase in self.all_phrases() for word in phrase.split())

    def distress_words(self, words: Sequence[str]) -> tuple[str, ...]:
        """The distress words among ``words`` (normalized), in order."""
        if self.distress is None:
            return ()
        known = set(self.distress.words)
        return tuple(w for w in words if w in known)

    def with_wake(self, wake: str) -> PhraseTable:
        """The same table with another wake phrase (from the user's config)."""
        phrase = normalize(wake)
        if not phrase:
            raise UserError(f"wake phrase {wake!r} has no words")
        return replace(self, wake=phrase)


def bundled_phrases_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "phrases"


@lru_cache(maxsize=8)
def language_wake(language: str) -> str:
    """The wake phrase of ``language``'s bundled table ("en-us" reads "en")."""
    return load_language(language.lower().replace("_", "-").split("-")[0]).wake


def load_language(language: str) -> PhraseTable:
    """The bundled table for ``language`` ("en", "ko")."""
    path = bundled_phrases_dir() / f"{language}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in bundled_phrases_dir().glob("*.yaml")))
        raise UserError(f"no phrase table for language {language!r} (have: {known})")
    return load_phrases(path)


def load_phrases(path: Path) -> PhraseTable:
    """Load and validate a phrase file; UserError "FILE:LINE: message" on bad data."""
    import yaml  # lazy: keeps CLI start-up fast

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read phrase file: {exc}") from None
    try:
        # BaseLoader keeps every scalar a string ("yes" stays "yes") and nodes keep lines.
        root = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark else ""
        raise UserError(f"{path}:{line} invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return _Reader(path).table(root)


class _Reader:
    """Walks YAML nodes, so every error can name its line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: object, message: str) -> UserError:
        mark = getattr(node, "start_mark", None)
        line = f"{mark.line + 1}:" if mark else ""
        return UserError(f"{self.path}:{line} {message}")

    def mapping(self, node: object, what: str) -> dict[str, object]:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, object] = {}
        for key, value in node.value:
            if key.value in out:
                raise self.fail(key, f"duplicate key {key.value!r} in {what}")
            out[key.value] = value
        return out

    def scalar(self, node: object, what: str) -> str:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or not normalize(node.value):
            raise self.fail(node, f"{what} must be a non-empty text")
        return normalize(node.value)

    def strings(self, node: object, what: str) -> tuple[str, ...]:
        import yaml

        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a non-empty list")
        return tuple(self.scalar(item, f"an entry of {what}") for item in node.value)

    def group(self, name: str, node: object) -> CommandPhrases:
        import yaml

        if isinstance(node, yaml.SequenceNode):
            return CommandPhrases(name, self.strings(node, name), 0.5)
        fields = self.mapping(node, f"command {name!r}")
        for key in fields.keys() - {"phrases", "min_confidence"}:
            raise self.fail(fields[key], f"unknown key {key!r} in command {name!r}")
        if "phrases" not in fields:
            raise self.fail(node, f"command {name!r} needs 'phrases'")
        return CommandPhrases(name, self.strings(fields["phrases"], name),
                              self.confidence(fields, name))

    def confidence(self, fields: dict[str, object], name: str) -> float:
        """The ``min_confidence`` of ``fields`` (0.5 when absent)."""
        if "min_confidence" not in fields:
            return 0.5
        raw = fields["min_confidence"]
        try:
            confidence = float(getattr(raw, "value", "not a scalar"))
        except (TypeError, ValueError):
            confidence = -1.0
        if not 0.0 <= confidence <= 1.0:
            raise self.fail(raw, f"min_confidence of {name!r} must be a number 0..1")
        return confidence

    def table(self, root: object) -> PhraseTable:
        if root is None:
            raise UserError(f"{self.path}:1: phrase file is empty")
        top = self.mapping(root, "the phrase file")
        for key in top.keys() - {"language", "wake", "commands", "answers", "garbage",
                                 "distress"}:
            raise self.fail(top[key], f"unknown key {key!r}")
        for key in ("language", "wake", "commands"):
            if key not in top:
                raise self.fail(root, f"missing key {key!r}")
        import yaml

        commands_node = top["commands"]
        self.mapping(commands_node, "commands")  # checks shape and duplicate names
        assert isinstance(commands_node, yaml.MappingNode)
        commands = []
        for name_node, group in commands_node.value:
            if name_node.value not in COMMANDS:
                known = " ".join(COMMANDS)
                raise self.fail(name_node, f"unknown command {name_node.value!r} ({known})")
            commands.append(self.group(name_node.value, group))
        answers = []
        if "answers" in top:
            for name, group in self.mapping(top["answers"], "answers").items():
                if name not in ANSWERS:
                    raise self.fail(group, f"unknown answer {name!r} (yes, no)")
                answers.append(self.group(name, group))
        garbage = self.strings(top["garbage"], "garbage") if "garbage" in top else ()
        distress = self.distress(top["distress"]) if "distress" in top else None
        table = PhraseTable(
            language=self.scalar(top["language"], "language"),
            wake=self.scalar(top["wake"], "wake"),
            commands=tuple(commands),
            answers=tuple(answers),
            garbage=tuple(dict.fromkeys(garbage)),
            distress=distress,
            path=self.path,
        )
        self.check_unique(table, root)
        return table

    def distress(self, node: object) -> Distress:
        fields = self.mapping(node, "distress")
        for key in fields.keys() - {"words", "phrases", "min_confidence"}:
            raise self.fail(fields[key], f"unknown key {key!r} in distress")
        if "words" not in fields:
            raise self.fail(node, "distress needs 'words'")
        words = self.strings(fields["words"], "distress words")
        for word, item in zip(words, getattr(fields["words"], "value", ()), strict=False):
            if len(word.split()) != 1:
                raise self.fail(item, f"distress word {word!r} must be one word")
        items = fields.get("phrases")
        phrases = self.strings(items, "distress phrases") if items is not None else ()
        for phrase, item in zip(phrases, getattr(items, "value", ()), strict=False):
            if not set(phrase.split()) & set(words):
                raise self.fail(item, f"distress phrase {phrase!r} has no distress word")
        return Distress(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(phrases)),
                        self.confidence(fields, "distress"))

    def check_unique(self, table: PhraseTable, root: object) -> None:
        seen: dict[str, str] = {table.wake: WAKE}
        for group in table.commands + table.answers:
            for phrase in group.phrases:
                if seen.setdefault(phrase, group.command) != group.command:
                    raise self.fail(root, f"phrase {phrase!r} is used by {seen[phrase]!r} and "
                                    f"{group.command!r}")
        for word in table.garbage:
            if word in seen:
                # A garbage word equal to a whole phrase would let the decoder hide a command.
                raise self.fail(root, f"garbage word {word!r} is also the phrase of {seen[word]!r}")
        if table.distress is not None:
            for word in set(table.garbage) & set(table.distress.words):
                raise self.fail(root, f"garbage word {word!r} is also a distress word")
            for phrase in table.distress.phrases:
                if phrase in seen:
                    raise self.fail(root, f"distress phrase {phrase!r} is also the phrase of "
                                    f"{seen[phrase]!r}")
