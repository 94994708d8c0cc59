"""Resumable, verified HTTP downloads with the standard library (urllib).

A download goes to ``NAME.part``; if that file already holds a prefix, only the rest is
requested (HTTP Range). Servers that ignore Range get a fresh start. The caller checks the
MD5 once the size is right.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from voice_coach.errors import UserError

if TYPE_CHECKING:
    from voice_coach.model_store.manifest import RemoteFile

CHUNK = 1 << 16
TIMEOUT_S = 30.0
USER_AGENT = "voice-coach model fetch (urllib)"
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError)


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


@contextlib.contextmanager
def open_url(url: str, *, what: str, headers: dict[str, str] | None = None,
             ok_statuses: tuple[int, ...] = ()) -> Iterator[http.client.HTTPResponse]:
    """``urlopen`` whose failures become one-line UserErrors naming ``what`` and the URL.

    HTTP errors whose status is in ``ok_statuses`` are yielded as responses instead.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as error:
        if error.code not in ok_statuses:
            raise UserError(f"cannot download {what} from {url}: {_reason(error)}") from None
        response = error
    except _NETWORK_ERRORS as error:
        raise UserError(f"cannot download {what} from {url}: {_reason(error)}") from None
    with response:
        yield response


def file_md5(path: Path) -> str:
    """Hex MD5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress_bar(remote: RemoteFile, initial: int, enabled: bool):  # noqa: ANN202
    from tqdm import tqdm

    return tqdm(total=remote.size, initial=initial, unit="B", unit_scale=True,
                unit_divisor=1024, desc=remote.filename, file=sys.stderr,
                disable=not (enabled and sys.stderr.isatty()), leave=False)


def download(remote: RemoteFile, part: Path, *, progress: bool = True) -> None:
    """Make ``part`` hold exactly ``remote.size`` bytes from ``remote.url``, resuming.

    Raises UserError when the network fails, the server sends too little (the partial file is
    kept, so running again resumes) or more than the published size (the file is deleted).
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if have > remote.size:
        part.unlink()
        have = 0
    if have == remote.size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    with open_url(remote.url, what=remote.filename, headers=headers,
                  ok_statuses=(416,)) as response:
        status = response.status
        if status == 416:  # our prefix no longer fits what the server has: start over
            part.unlink(missing_ok=True)
            return download(remote, part, progress=progress)
        content_range = response.headers.get("Content-Range", "")
        if have and not (status == 206 and content_range.startswith(f"bytes {have}-")):
            have = 0  # the server ignored Range and is sending the whole file
        got = have
        with part.open("ab" if have else "wb") as out, _progress_bar(remote, have, progress) as bar:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    got += len(block)
                    if got > remote.size:
                        break
                    out.write(block)
                    bar.update(len(block))
            except _NETWORK_ERRORS as error:
                raise UserError(
                    f"download of {remote.filename} failed at {got} of {remote.size} bytes: "
                    f"{_reason(error)}; run the command again to resume") from None
    if got > remote.size:
        part.unlink(missing_ok=True)
        raise UserError(f"{remote.url}: server sent more than the published {remote.size} bytes;"
                        " the download was discarded")
    if got < remote.size:
        raise UserError(f"download of {remote.filename} stopped at {got} of {remote.size} bytes "
                        "(connection closed); run the command again to resume")
