"""Reading the publishers' indexes: which files make up a model, their sizes and MD5s."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urljoin

from voice_coach.errors import UserError
from voice_coach.model_store.download import open_url
from voice_coach.model_store.manifest import ModelSpec, RemoteFile, Source

_MD5 = re.compile(r"[0-9a-f]{32}")
# Piper voice folders also hold samples and a model card; these are what a voice needs
# (MODEL_CARD carries the licence, so it travels with the voice).
_PIPER_SUFFIXES = (".onnx", ".onnx.json", "/MODEL_CARD")




def fetch_index(source: Source) -> object:
    """Download and decode the JSON index of ``source`` (the URL in effect)."""
    url = source.url()
    with open_url(url, what=f"{source.kind} model index") as response:
        body = response.read()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{url}: model index is not valid JSON ({error})") from None


def _checked(url: str, filename: str, size: object, md5: object, where: str) -> RemoteFile:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise UserError(f"{where}: no valid size for {filename} ({size!r})")
    if not isinstance(md5, str) or not _MD5.fullmatch(md5.lower()):
        raise UserError(f"{where}: no valid md5 for {filename} ({md5!r})")
    return RemoteFile(url=url, filename=filename, size=size, md5=md5.lower())


def vosk_files(spec: ModelSpec, index: object, index_url: str) -> list[RemoteFile]:
    """The zip of a Vosk model from model-list.json (array of {name, size, md5, url, ...})."""
    entries = index if isinstance(index, list) else []
    entry = next((e for e in entries if isinstance(e, dict) and e.get("name") == spec.name), None)
    if entry is None:
        raise UserError(f"{index_url}: model {spec.name} is not in the upstream list")
    url = entry.get("url") or urljoin(index_url, f"{spec.name}.zip")
    return [_checked(str(url), f"{spec.name}.zip", entry.get("size"), entry.get("md5"),
                     index_url)]


def piper_files(spec: ModelSpec, index: object, index_url: str) -> list[RemoteFile]:
    """The voice files of a Piper voice from voices.json ({key: {files: {path: {...}}}})."""
    entry = index.get(spec.name) if isinstance(index, dict) else None
    files = entry.get("files") if isinstance(entry, dict) else None
    if not isinstance(files, dict):
        raise UserError(f"{index_url}: voice {spec.name} is not in the upstream list")
    wanted = sorted(p for p in files if p.endswith(_PIPER_SUFFIXES) or p == "MODEL_CARD")
    result = []
    for path in wanted:
        info = files[path] if isinstance(files[path], dict) else {}
        result.append(_checked(urljoin(index_url, quote(path)), path.rsplit("/", 1)[-1],
                               info.get("size_bytes"), info.get("md5_digest"), index_url))
    names = {f.filename for f in result}
    if f"{spec.name}.onnx" not in names or f"{spec.name}.onnx.json" not in names:
        raise UserError(f"{index_url}: voice {spec.name} lacks its .onnx or .onnx.json file")
    return result


def remote_files(spec: ModelSpec, source: Source) -> list[RemoteFile]:
    """Ask the upstream index which files make up ``spec`` and what they must look like."""
    index = fetch_index(source)
    reader = vosk_files if spec.kind == "vosk" else piper_files
    return reader(spec, index, source.url())
