"""Load and validate a routine YAML file into :class:`Routine` (errors name FILE:LINE:COL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
    Safety,
    SafetyLine,
    Say,
    Section,
    Sides,
    fill_block,
)
from voice_coach.routine.yamlnodes import NodeReader, node_kind

MAX_SECONDS = 3600.0
"""Longest single pause/hold/breath phase accepted; longer is almost surely a typo."""
MAX_COUNTDOWN = 10
"""Longest spoken countdown, in seconds (numbers said one per second)."""

TOP_KEYS = ("id", "title", "language", "rate", "estimated_minutes", "description", "safety",
            "sections")
SAFETY_KEYS = ("first", "again", "effort")
"""The lines of a routine's ``safety:`` (model.Safety), each optional."""
BLOCK_OPTIONS: dict[str, tuple[str, ...]] = {
    "say": ("effortful",),
    "pause": ("effortful",),
    "breathe": ("inhale", "exhale", "hold", "cues", "hold_cue", "spoken", "effortful"),
    "hold": ("countdown", "text", "effortful"),
    "repeat": ("blocks", "effortful"),
    "sides": ("blocks",),
    "section": ("blocks", "effortful"),
}
"""Each block kind (a block's first key) and the option keys allowed after it. ``effortful:
true`` puts the routine's effort line before the block (at the start of a section)."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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


def parse_routine(source: str, path: Path) -> Routine:
    """Validate YAML ``source`` as if read from ``path`` (used for messages and the id)."""
    reader = NodeReader(path)
    root = reader.compose(source)
    if root is None:
        raise UserError(f"{path}:1:1: empty file; expected 'title:' and 'sections:'")
    return _Loader(reader).routine(root)


class _Loader:
    def __init__(self, reader: NodeReader) -> None:
        self.r = reader

    def routine(self, root: Node) -> Routine:
        r = self.r
        keys = r.mapping(root, "a routine")
        for name, (key, _) in keys.items():
            if name not in TOP_KEYS:
                raise r.error(key, f"unknown key '{name}'; expected one of {', '.join(TOP_KEYS)}")
        for required in ("title", "sections"):
            if required not in keys:
                raise r.error(root, f"missing '{required}:' at the top of the routine")
        get = {name: value for name, (_, value) in keys.items()}
        routine_id = r.slug(get["id"], "id") if "id" in get else _stem_id(r.path)
        minutes = None
        if "estimated_minutes" in get:
            minutes = r.number(get["estimated_minutes"], "estimated_minutes",
                               low=0, high=600, low_ok=False)
        return Routine(
            id=routine_id,
            title=r.text(get["title"], "a title"),
            language=r.slug(get["language"], "language") if "language" in get else "en",
            rate=r.number(get["rate"], "rate", low=0.5, high=2.0) if "rate" in get else 1.0,
            estimated_minutes=minutes,
            sections=self.sections(get["sections"]),
            path=r.path,
            description=r.text(get["description"], "a description")
            if "description" in get else "",
            safety=self.safety(get["safety"]) if "safety" in get else Safety(),
        )

    def safety(self, node: Node) -> Safety:
        r = self.r
        keys = r.mapping(node, "the safety lines")
        for name, (key, _) in keys.items():
            if name not in SAFETY_KEYS:
                raise r.error(key, f"unknown key '{name}' in safety; expected one of "
                                   f"{', '.join(SAFETY_KEYS)}")
        lines = {name: self._text(value, f"the {name} safety line", _Where())
                 for name, (_, value) in keys.items()}
        return Safety(**lines)

    def sections(self, node: Node) -> tuple[Section, ...]:
        result: list[Section] = []
        for item in self.r.sequence(node, "sections"):
            block = self.block(item, _Where(top_level=True))
            if isinstance(block, Sides):
                # A sides template of whole sections becomes one section per side, so
                # "next" can move from the right side to the left.
                for side in block.sides:
                    for template in block.blocks:
                        section = fill_block(template, side)
                        assert isinstance(section, Section)  # top-level sides hold sections
                        result.append(section)
            else:
                assert isinstance(block, Section)
                result.append(block)
        return tuple(result)

    def blocks(self, node: Node, what: str, where: _Where) -> tuple[Block, ...]:
        out: list[Block] = []
        for item in self.r.sequence(node, what):
            block = self.block(item, where)
            assert not isinstance(block, Section)  # block() refuses sections off the top level
            if self._effortful(item):
                out.append(SafetyLine("effort"))
            out.append(block)
        return tuple(out)

    def _effortful(self, node: Node) -> bool:
        """The block's ``effortful:`` option (already checked to be allowed for it)."""
        keys = self.r.mapping(node, "a block")
        return "effortful" in keys and self.r.flag(keys["effortful"][1], "effortful")

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
                raise r.error(key, f"unknown key '{name}' for {kind}; expected {expected}"
                                   f"{hint}")
        if where.top_level and kind not in ("section", "sides"):
            raise r.error(node, f"expected a section ('section: Title' with 'blocks:'), "
                                f"found a '{kind}' block outside any section")
        if kind == "section" and not where.top_level:
            raise r.error(node, "a section can only appear in the top-level 'sections' list")
        value = keys[kind][1]
        options = {name: v for name, (_, v) in keys.items() if name not in (kind, "effortful")}
        if "effortful" in keys:
            self.r.flag(keys["effortful"][1], "effortful")
        return getattr(self, "_" + kind)(node, value, options, where)

    def _text(self, node: Node, what: str, where: _Where) -> str:
        text = self.r.text(node, what)
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1)
            if name not in PLACEHOLDERS:
                raise self.r.error(node, f"unknown placeholder {{{name}}}; expected "
                                         + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
            if not where.in_sides:
                raise self.r.error(node, f"placeholder {{{name}}} is only allowed "
                                         "inside a 'sides' block")
        return text

    def _seconds(self, node: Node, what: str, *, zero_ok: bool = False) -> float:
        return self.r.number(node, what, low=0, high=MAX_SECONDS, low_ok=zero_ok)

    def _needs_blocks(self, node: Node, kind: str, options: dict[str, Node]) -> Node:
        if "blocks" not in options:
            raise self.r.error(node, f"{kind} needs a 'blocks:' list")
        return options["blocks"]

    def _section(self, node: Node, value: Node, options: dict[str, Node],
                 where: _Where) -> Section:
        title = self._text(value, "a section title", where)
        inner = _Where(in_sides=where.in_sides)
        return Section(title, self.blocks(self._needs_blocks(node, "section", options),
                                          f"section '{title}' blocks", inner),
                       self._effortful(node))

    def _say(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Say:
        return Say(self._text(value, "the words to say", where))

    def _pause(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Pause:
        return Pause(self._seconds(value, "pause seconds"))

    def _hold(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Hold:
        seconds = self._seconds(value, "hold seconds")
        countdown = 0
        if "countdown" in options:
            countdown = self.r.integer(options["countdown"], "countdown", low=0,
                                       high=min(MAX_COUNTDOWN, int(seconds)))
        text = self._text(options["text"], "the hold text", where) if "text" in options else None
        return Hold(seconds, countdown, text)

    def _breathe(self, node: Node, value: Node, options: dict[str, Node],
                 where: _Where) -> Breathe:
        r = self.r
        count = r.integer(value, "breathe count", low=1, high=200)
        for required in ("inhale", "exhale"):
            if required not in options:
                raise r.error(node, f"breathe needs '{required}:' seconds")
        cues = BREATH_CUES
        if "cues" in options:
            items = r.sequence(options["cues"], "breathe cues")
            if len(items) != 2:
                raise r.error(options["cues"], "breathe cues must be two texts: "
                                               "[inhale words, exhale words]")
            cues = (self._text(items[0], "an inhale cue", where),
                    self._text(items[1], "an exhale cue", where))
        spoken = None
        if "spoken" in options:
            spoken = r.integer(options["spoken"], "spoken", low=0, high=count)
        return Breathe(
            count=count,
            inhale=self._seconds(options["inhale"], "inhale seconds"),
            exhale=self._seconds(options["exhale"], "exhale seconds"),
            hold=self._seconds(options["hold"], "hold seconds", zero_ok=True)
            if "hold" in options else 0.0,
            cues=cues,
            hold_cue=self._text(options["hold_cue"], "the hold cue", where)
            if "hold_cue" in options else None,
            spoken=spoken,
        )

    def _repeat(self, node: Node, value: Node, options: dict[str, Node],
                where: _Where) -> Repeat:
        times = self.r.integer(value, "repeat times", low=1, high=100)
        inner = _Where(in_sides=where.in_sides)
        return Repeat(times, self.blocks(self._needs_blocks(node, "repeat", options),
                                         "repeat blocks", inner))

    def _sides(self, node: Node, value: Node, options: dict[str, Node], where: _Where) -> Sides:
        r = self.r
        if where.in_sides:
            raise r.error(node, "a sides block cannot be inside another sides block")
        sides = SIDES
        if value.tag != "tag:yaml.org,2002:null":
            names = [r.text(item, "a side") for item in r.sequence(value, "sides")]
            for n, (item, name) in enumerate(zip(value.value, names, strict=True)):
                if name not in SIDES:
                    raise r.error(item, f"bad side '{name}'; expected {' or '.join(SIDES)}")
                if name in names[:n]:
                    raise r.error(item, f"side '{name}' is listed twice")
            sides = tuple(names)
        inner = _Where(in_sides=True, top_level=where.top_level)
        blocks_node = self._needs_blocks(node, "sides", options)
        if where.top_level:
            blocks = tuple(self.block(item, inner) for item in r.sequence(blocks_node, "blocks"))
        else:
            blocks = self.blocks(blocks_node, "sides blocks", inner)
        return Sides(sides, blocks)


def _stem_id(path: Path) -> str:
    """The id of a routine without an ``id:`` key: its file name, made slug-safe."""
    return re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "routine"
