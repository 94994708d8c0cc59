"""The package graph: no import cycles, and core/ stays pure (tools/layout.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from voice_coach.tools import layout


def test_the_package_has_no_cycles_and_a_pure_core() -> None:
    result = layout.report(layout.build())
    assert result["module_cycles"] == []
    assert result["part_cycles"] == []
    assert result["core_violations"] == []
    # The flow the folders show: nothing upstream imports what is downstream of it.
    edges = result["part_edges"]
    for part in ("core", "commands", "audio", "routine"):
        assert not {"listen", "speech", "app", "cli"} & set(edges.get(part, [])), part
    assert "app" not in edges.get("listen", []) and "cli" not in edges.get("app", [])


def _package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "voice_coach"
    for name, text in files.items():
        path = pkg / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return pkg


def test_the_check_finds_io_in_core_and_cycles(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/session.py": "import threading\nfrom voice_coach.speech import player\n",
        "speech/__init__.py": "",
        "speech/player.py": "from voice_coach.core import session\n",
        "listen/__init__.py": "",
        "listen/a.py": "def f():\n    from voice_coach.listen import b\n",
        "listen/b.py": "from voice_coach.listen.a import f\n",
    })
    result = layout.report(layout.build(pkg))
    assert "voice_coach.core.session -> threading" in result["core_violations"]
    assert "voice_coach.core.session -> voice_coach.speech.player" in result["core_violations"]
    assert ["voice_coach.listen.a", "voice_coach.listen.b"] in result["module_cycles"]
    assert ["core", "speech"] in result["part_cycles"]


def test_the_command_prints_the_graph_and_passes() -> None:
    done = subprocess.run([sys.executable, "-m", "voice_coach.tools.layout"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "modules" in done.stdout and "core" in done.stdout
