"""Typed reading of PyYAML nodes, with every error naming FILE:LINE:COL.

The loader works on the composed node tree (``yaml.compose``) rather than on plain
Python objects so that each value still knows where it was written.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voice_coach.errors import UserError

NULL_TAG = "tag:yaml.org,2002:null"


def node_kind(node: Node) -> str:
    """How a node reads to a person: "a mapping", "a list", "the text 'x'", "nothing"."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing"
    return f"'{node.value}'"


class LocatedError(UserError):
    """A one-line "FILE:LINE:COL: message" error that remembers where it points."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.where = (line, column)


class NodeReader:
    """Reads nodes of one file; ``error`` builds the one-line error.

    Problems that do not stop reading (a duplicate key) are kept in ``problems`` so that
    one pass over a file can report every mistake in it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[LocatedError] = []
        self._constructor = SafeConstructor()

    def error(self, node: Node | yaml.Mark | None, message: str) -> LocatedError:
        mark = node.start_mark if isinstance(node, Node) else node
        if mark is None:
            return LocatedError(f"{self.path}: {message}")
        return LocatedError(f"{self.path}:{mark.line + 1}:{mark.column + 1}: {message}",
                            mark.line + 1, mark.column + 1)

    def compose(self, text: str) -> Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if exc.context and exc.context_mark and exc.problem_mark:
                # "while parsing a flow sequence" + where it began: usually the real culprit.
                where = exc.context_mark
                problem += f" ({exc.context} started at {where.line + 1}:{where.column + 1})"
            raise self.error(mark, f"invalid YAML: {problem}") from None
        except yaml.YAMLError as exc:  # unmarked reader errors, e.g. control characters
            raise self.error(None, f"invalid YAML: {exc}") from None

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        """Keys of a mapping node -> (key node, value node).

        A duplicate key is a problem (kept in ``problems``); its first value is used.
        """
        if not isinstance(node, MappingNode):
            raise self.error(node, f"expected {what} (a mapping of key: value), "
                                   f"found {node_kind(node)}")
        result: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.problems.append(self.error(key, f"expected a plain key in {what}"))
            elif key.value in result:
                self.problems.append(self.error(key, f"duplicate key '{key.value}' in {what}"))
            else:
                result[key.value] = (key, value)
        return result

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"expected {what} (a list), found {node_kind(node)}")
        if not node.value:
            raise self.error(node, f"{what} is empty")
        return list(node.value)

    def text(self, node: Node, what: str) -> str:
        """Any scalar as written ("Yes" stays text); whitespace runs become one space."""
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            raise self.error(node, f"missing text: expected {what}, found {node_kind(node)}")
        text = " ".join(str(node.value).split())
        if not text:
            raise self.error(node, f"missing text: {what} is empty")
        return text

    def number(self, node: Node, what: str, *, low: float, high: float,
               low_ok: bool = True) -> float:
        """A real number in [low, high] (or (low, high] when ``low_ok`` is false)."""
        value = self._scalar(node)
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.error(node, f"{what} must be a number, found {node_kind(node)}")
        if value < low or (value == low and not low_ok):
            bound = "at least" if low_ok else "more than"
            kind = "negative" if value < 0 else "too small"
            raise self.error(node, f"{what} is {kind} ({value}); it must be {bound} {low:g}")
        if value > high:
            raise self.error(node, f"{what} is too large ({value}); at most {high:g}")
        return float(value)

    def integer(self, node: Node, what: str, *, low: int, high: int) -> int:
        value = self._scalar(node)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(node, f"{what} must be a whole number, found {node_kind(node)}")
        if not low <= value <= high:
            raise self.error(node, f"{what} is {value}; it must be from {low} to {high}")
        return value

    def slug(self, node: Node, what: str) -> str:
        value = self.text(node, what)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise self.error(node, f"{what} '{value}' must be lower-case letters, digits, "
                                   "'-' or '_'")
        return value

    def _scalar(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return None
        try:
            return self._constructor.construct_object(node, deep=True)
        except ConstructorError:
            return None
