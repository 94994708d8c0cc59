"""The README stays true: its commands exist, its example routine is valid, CI runs its test
command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from voice_coach.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def section(title: str) -> str:
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = [block.strip() for block in code_blocks("sh", section("Quick start"))]
    assert len(commands) == 2, "the quick start has exactly two commands"
    test_command = commands[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci_lines[-1] == test_command


def test_the_example_routine_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    example = next(block for block in code_blocks("yaml") if "sections:" in block)
    path = tmp_path / "morning-hips.yaml"
    path.write_text(example, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_every_documented_subcommand_exists() -> None:
    parser = build_parser()
    code = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    documented = set(re.findall(r"voice-coach ([a-z][a-z-]*)", "\n".join(code)))
    assert documented, "the README documents sub-commands"
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert documented <= known, f"undocumented in the CLI: {documented - known}"


def test_usage_lines_parse() -> None:
    parser = build_parser()
    lines = code_blocks("sh", section("Usage"))[0].replace("\\\n", " ").splitlines()
    for line in lines:
        words = shlex.split(line.split("#", 1)[0])
        assert words[0].endswith("voice-coach")
        parser.parse_args(words[1:])  # raises SystemExit on a wrong option
