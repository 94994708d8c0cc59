"""``models fetch``: download, verify against the upstream index, install atomically."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voice_coach import paths
from voice_coach.errors import UserError
from voice_coach.model_store.download import download, file_md5
from voice_coach.model_store.manifest import RemoteFile, Source, load_manifest
from voice_coach.model_store.unpack import extract_vosk_zip, install
from voice_coach.model_store.upstream import remote_files

DOWNLOADS = ".downloads"
"""Hidden folder in the models folder holding ``.part`` files between attempts."""


@dataclass(frozen=True)
class FetchResult:
    """What ``fetch_model`` did."""

    path: Path
    """The installed model folder."""
    already_installed: bool
    """True when nothing was downloaded because the folder already existed."""


class ChecksumError(UserError):
    """A download had the published size but not the published MD5."""


def _verified(remote: RemoteFile, part: Path, progress: bool) -> Path:
    download(remote, part, progress=progress)
    actual = file_md5(part)
    if actual != remote.md5:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"{remote.filename}: checksum mismatch (md5 {actual}, published "
                        f"{remote.md5}); the download was deleted and nothing was installed")
    return part


def fetch_model(name: str, models_dir: Path | None = None, *, progress: bool = True,
                index_urls: Mapping[str, str] | None = None) -> FetchResult:
    """Download model ``name`` from the manifest into ``models_dir/name``.

    Sizes and MD5 digests come from the publisher's index (``index_urls[kind]`` overrides
    the manifest URL and its environment variable). Interrupted downloads resume on the next
    call; a bad checksum or archive leaves nothing installed. Raises UserError with one line.
    """
    manifest = load_manifest()
    spec = manifest.get(name)
    models_dir = models_dir or paths.default_models_dir()
    target = models_dir / spec.name
    if target.exists():
        return FetchResult(target, already_installed=True)
    source = manifest.sources[spec.kind]
    if index_urls and spec.kind in index_urls:
        source = Source(spec.kind, index_urls[spec.kind], env="")
    files = remote_files(spec, source)
    work = models_dir / DOWNLOADS / spec.name
    try:
        parts = [_verified(f, work / f"{f.filename}.part", progress) for f in files]
    except ChecksumError:
        # Bad bytes are worth nothing; an interrupted download (other errors) is kept to resume.
        _discard(work)
        raise
    info = {
        "name": spec.name, "kind": spec.kind, "language": spec.language,
        "licence": spec.licence, "index": source.url(),
        "files": [{"url": f.url, "size": f.size, "md5": f.md5} for f in files],
        "installed": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if spec.kind == "vosk":
        def build(staging: Path) -> Path:
            return extract_vosk_zip(parts[0], staging, files[0].filename)
    else:
        def build(staging: Path) -> Path:
            for remote, part in zip(files, parts, strict=True):
                shutil.copyfile(part, staging / remote.filename)
            return staging
    try:
        path = install(models_dir, spec.name, build, info)
    finally:
        # Installed, or verified bytes that will not unpack: either way nothing to resume.
        _discard(work)
    return FetchResult(path, already_installed=False)


def _discard(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    with contextlib.suppress(OSError):  # other downloads may still be pending there
        work.parent.rmdir()
