"""Load and validate a routine YAML file into :class:`Routine` (errors name FILE:LINE:COL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from yaml.nodes import MappingNode, Node

from voice_coach.errors import UserError
from voice_coach.routine.model import (
    BREATH_CUES,
    PLACEHOLDERS,
    SIDES,
    Block,
    Breathe,
    Hold,
    Pause,
    Repeat,
    Routine,
    Say,
    Section,
    Sides,
    fill_block,
)
from voice_coach.routine.yamlnodes import LocatedError, NodeReader, node_kind

MAX_SECONDS = 3600.0
"""Longest single pause/hold/breath phase accepted; longer is almost surely a typo."""
MAX_COUNTDOWN = 10
"""Longest spoken countdown, in seconds (numbers said one per second)."""

TOP_KEYS = ("id", "title", "language", "rate", "estimated_minutes", "description", "sections")
BLOCK_OPTIONS: dict[str, tuple[str, ...]] = {
    "say": (),
    "pause": (),
    "breathe": ("inhale", "exhale", "hold", "cues", "hold_cue", "spoken"),
    "hold": ("countdown", "text"),
    "repeat": ("blocks",),
    "sides": ("blocks",),
    "section": ("blocks",),
}
"""Each block kind (a block's first key) and the option keys allowed after it."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
T = TypeVar("T")


@dataclass(frozen=True)
class _Where:
    """Where a block sits, which decides what it may contain."""

    in_sides: bool = False
    top_level: bool = False


def load_routine(path: Path) -> Routine:
    """Read and validate ``path``; raise UserError "FILE:LINE:COL: message" on bad input."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read routine: {exc.strerror or exc}") from None
    return parse_routine(source, path)


class RoutineErrors(UserError):
    """Every mistake found in one routine file, in file order; ``str`` is one line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        more = len(problems) - 1
        hint = (f" (and {more} more; 'voice-coach check {path}' lists them all)"
                if more else "")
        super().__init__(problems[0] + hint)
        self.problems = tuple(problems)


def parse_routine(source: str, path: Path) -> Routine:
    """Validate YAML ``source`` as if read from ``path`` (used for messages and the id).

    Raises :class:`RoutineErrors` naming every mistake that can be found in one pass.
    """
    reader = NodeReader(path)
    root = reader.compose(source)
    if root is None:
        raise UserError(f"{path}:1:1: empty file; expected 'title:' and 'sections:'")
    loader = _Loader(reader)
    try:
        routine = loader.routine(root)
    except LocatedError as error:
        reader.problems.append(error)
    if reader.problems:
        ordered = sorted(reader.problems, key=lambda problem: problem.where)
        raise RoutineErrors(path, [str(problem) for problem in ordered])
    return routine


class _Loader:
    """Reads a routine, noting each mistake and reading on past it where it can."""

    def __init__(self, reader: NodeReader) -> None:
        self.r = reader

    def _try(self, fallback: T, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)``, or ``fallback`` once its error is noted."""
        try:
            return read(*args)
        except LocatedError as error:
            self.r.problems.append(error)
            return fallback

    def _items(self, node: Node, what: str) -> list[Node]:
        """The items of a list node, or none once its error is noted."""
        empty: list[Node] = []
        return self._try(empty, self.r.sequence, node, what)

    def _note(self, node: Node, message: str) -> None:
        self.r.problems.append(self.r.error(node, message))

    def routine(self, root: Node) -> Routine:
        r = self.r
        keys = r.mapping(root, "a routine")
        for name, (key, _) in keys.items():
            if name not in TOP_KEYS:
                self._note(key, f"unknown key '{name}'; expected one of {', '.join(TOP_KEYS)}")
        for required in ("title", "sections"):
            if required not in keys:
                self._note(root, f"missing '{required}:' at the top of the routine")
        get = {name: value for name, (_, value) in keys.items()}
        minutes = None
        if "estimated_minutes" in get:
            minutes = self._try(None, partial(r.number, low=0, high=600, low_ok=False),
                                get["estimated_minutes"], "estimated_minutes")
        return Routine(
            id=self._try("routine", r.slug, get["id"], "id") if "id" in get
            else _stem_id(r.path),
            title=self._try("", r.text, get["title"], "a title") if "title" in get else "",
            language=self._try("en", r.slug, get["language"], "language")
            if "language" in get else "en",
            rate=self._try(1.0, partial(r.number, low=0.5, high=2.0), get["rate"], "rate")
            if "rate" in get else 1.0,
            estimated_minutes=minutes,
            sections=self.sections(get["sections"]) if "sections" in get else (),
            path=r.path,
            description=self._try("", r.text, get["description"], "a description")
            if "description" in get else "",
        )

    def sections(self, node: Node) -> tuple[Section, ...]:
        result: list[Section] = []
        for item in self._items(node, "sections"):
            block = self._try(None, self.block, item, _Where(top_level=True))
            if isinstance(block, Sides):
                # A sides template of whole sections becomes one section per side, so
                # "next" can move from the right side to the left.
                for side in block.sides:
                    for template in block.blocks:
                        section = fill_block(template, side)
                        assert isinstance(section, Section)  # top-level sides hold sections
                        result.append(section)
            elif block is not None:
                assert isinstance(block, Section)
                result.append(block)
        return tuple(result)

    def blocks(self, node: Node, what: str, where: _Where) -> tuple[Block, ...]:
        out = []
        for item in self._items(node, what):
            block = self._try(None, self.block, item, where)
            assert not isinstance(block, Section)  # block() refuses sections off the top level
            if block is not None:
                out.append(block)
        return tuple(out)

    def block(self, node: Node, where: _Where) -> Block | Section:
        r = self.r
        if not isinstance(node, MappingNode):
            raise r.error(node, f"expected a block such as 'say: text', found {node_kind(node)}")
        keys = r.mapping(node, "a block")
        if not keys:
            raise r.error(node, "empty block; expected a block such as 'say: text'")
        # The first key names the block; the rest are its options ("breathe" has a
        # "hold" option, so a later "hold" key is not a second block).
        kind, (kind_key, _) = next(iter(keys.items()))
        if kind not in BLOCK_OPTIONS:
            others = [name for name in keys if name in BLOCK_OPTIONS]
            hint = f"; put '{others[0]}:' first" if others else ""
            raise r.error(kind_key, f"unknown block '{kind}'; expected one of "
                                    f"{', '.join(BLOCK_OPTIONS)}{hint}")
        allowed = BLOCK_OPTIONS[kind]
        for name, (key, _) in keys.items():
            if name != kind and name not in allowed:
                expected = ", ".join(allowed) if allowed else "nothing else"
                hint = "; start a new '- ' item for it" if name in BLOCK_OPTIONS else ""
                self._note(key, f"unknown key '{name}' for {kind}; expected {expected}{hint}")
        if where.top_level and kind not in ("section", "sides"):
            raise r.error(node, f"expected a section ('section: Title' with 'blocks:'), "
                                f"found a '{kind}' block outside any section")
        if kind == "section" and not where.top_level:
            raise r.error(node, "a section can only appear in the top-level 'sections' list")
        value = keys[kind][1]
        options = {name: v for name, (_, v) in keys.items() if name in allowed}
        block: Block | Section = getattr(self, "_" + kind)(node, value, options, where)
        return block

    def _text(self, node: Node, what: str, where: _Where) -> str:
        text = self.r.text(node, what)
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1)
            if name not in PLACEHOLDERS:
                self._note(node, f"unknown placeholder {{{name}}}; expected "
                                 + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
            elif not where.in_sides:
                self._note(node, f"placeholder {{{name}}} is only allowed "
                                 "inside a 'sides' block")
        return text

    def _seconds(self, node: Node, what: str, *, zero_ok: bool = False) -> float:
        return self.r.number(node, what, low=0, high=MAX_SECONDS, low_ok=zero_ok)

    def _inner_blocks(self, node: Node, kind: str, options: dict[str, Node], what: str,
                      where: _Where) -> tuple[Block, ...]:
        if "blocks" not in options:
            self._note(node, f"{kind} needs a 'blocks:' list")
            return ()
        return self.blocks(options["blocks"], what, where)

    def _section(self, node: Node, value: Node, options: dict[str, Node],
                 where: _Where) -> Section:
        title = self._try("", self._text, value, "a section title", where)
        inner = _Where(in_sides=where.in_sides)
        return Section(title, self._inner_blocks(node, "section", options,
                                                 f"section '{title}' blocks", inner))

    def _say(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Say:
        return Say(self._text(value, "the words to say", where))

    def _pause(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Pause:
        return Pause(self._seconds(value, "pause seconds"))

    def _hold(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Hold:
        seconds = self._try(None, self._seconds, value, "hold seconds")
        countdown = 0
        if "countdown" in options:
            # An unreadable hold length must not add a second, misleading countdown error.
            high = MAX_COUNTDOWN if seconds is None else min(MAX_COUNTDOWN, int(seconds))
            countdown = self._try(0, partial(self.r.integer, low=0, high=high),
                                  options["countdown"], "countdown")
        text = (self._try(None, self._text, options["text"], "the hold text", where)
                if "text" in options else None)
        return Hold(seconds or 1.0, countdown, text)

    def _breathe(self, node: Node, value: Node, options: dict[str, Node],
                 where: _Where) -> Breathe:
        r = self.r
        count = self._try(None, partial(r.integer, low=1, high=200), value, "breathe count")
        for required in ("inhale", "exhale"):
            if required not in options:
                self._note(node, f"breathe needs '{required}:' seconds")
        cues = BREATH_CUES
        if "cues" in options:
            cues = self._try(BREATH_CUES, self._breath_cues, options["cues"], where)
        spoken = None
        if "spoken" in options:
            high = 200 if count is None else count
            spoken = self._try(None, partial(r.integer, low=0, high=high), options["spoken"],
                               "spoken")

        def seconds(name: str, what: str, zero_ok: bool = False) -> float:
            if name not in options:
                return 0.0
            return self._try(1.0, partial(self._seconds, zero_ok=zero_ok), options[name], what)

        return Breathe(
            count=count or 1,
            inhale=seconds("inhale", "inhale seconds"),
            exhale=seconds("exhale", "exhale seconds"),
            hold=seconds("hold", "hold seconds", zero_ok=True),
            cues=cues,
            hold_cue=self._try(None, self._text, options["hold_cue"], "the hold cue", where)
            if "hold_cue" in options else None,
            spoken=spoken,
        )

    def _breath_cues(self, node: Node, where: _Where) -> tuple[str, str]:
        items = self.r.sequence(node, "breathe cues")
        if len(items) != 2:
            raise self.r.error(node, "breathe cues must be two texts: "
                                     "[inhale words, exhale words]")
        return (self._text(items[0], "an inhale cue", where),
                self._text(items[1], "an exhale cue", where))

    def _repeat(self, node: Node, value: Node, options: dict[str, Node],
                where: _Where) -> Repeat:
        times = self._try(1, partial(self.r.integer, low=1, high=100), value, "repeat times")
        inner = _Where(in_sides=where.in_sides)
        return Repeat(times, self._inner_blocks(node, "repeat", options, "repeat blocks",
                                                inner))

    def _sides(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Sides:
        r = self.r
        if where.in_sides:
            raise r.error(node, "a sides block cannot be inside another sides block")
        sides = SIDES
        if value.tag != "tag:yaml.org,2002:null":
            sides = self._side_names(value)
        inner = _Where(in_sides=True, top_level=where.top_level)
        if not where.top_level:
            return Sides(sides, self._inner_blocks(node, "sides", options, "sides blocks",
                                                   inner))
        if "blocks" not in options:
            self._note(node, "sides needs a 'blocks:' list")
            return Sides(sides, ())
        blocks = []
        for item in self._items(options["blocks"], "blocks"):
            block = self._try(None, self.block, item, inner)
            if block is not None:
                blocks.append(block)
        return Sides(sides, tuple(blocks))

    def _side_names(self, node: Node) -> tuple[str, ...]:
        names: list[str] = []
        for item in self._items(node, "sides"):
            name = self._try(None, self.r.text, item, "a side")
            if name is None:
                continue
            if name not in SIDES:
                self._note(item, f"bad side '{name}'; expected {' or '.join(SIDES)}")
            elif name in names:
                self._note(item, f"side '{name}' is listed twice")
            else:
                names.append(name)
        return tuple(names) or SIDES


def _stem_id(path: Path) -> str:
    """The id of a routine without an ``id:`` key: its file name, made slug-safe."""
    return re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "routine"
