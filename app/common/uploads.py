"""Uploaded files, one way for every kind (proposal attachments, organisations' registration documents): the
size limit, the type read from the bytes, a random storage name and the SHA-256; the bytes on local disk under
the upload folder, written after the row and removed after the deleting commit; the download that never renders
inline unless asked to. Each caller keeps its own words for the refusals (they are part of its API)."""

import asyncio
import hashlib
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi.responses import FileResponse

from app.common import filetypes
from app.common.downloads import content_disposition
from app.core.config import Settings
from app.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType


@dataclass(frozen=True)
class CheckedFile:
    """What a row records of an accepted file; the bytes go to storage_path(…, storage_name)."""

    content_type: str
    original_name: str
    size_bytes: int
    sha256: str
    storage_name: str

    def columns(self) -> dict[str, Any]:
        """The row's columns of the same names (Any: a model's constructor takes them as keywords)."""
        return asdict(self)


def check(settings: Settings, filename: str | None, data: bytes, *, too_large: str, wrong_type: str) -> CheckedFile:
    """The file's facts, or 413 attachment_too_large (too_large may name {limit}) or 415 attachment_type_refused
    (JPEG, PNG, WebP and PDF only, by their magic bytes)."""
    limit = settings.max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLarge(too_large.format(limit=limit), code="attachment_too_large", extra={"limit": limit})
    content_type = filetypes.sniff(data[:16])
    if content_type is None:
        raise UnsupportedMediaType(
            wrong_type, code="attachment_type_refused", extra={"accepted": list(filetypes.ACCEPTED)}
        )
    return CheckedFile(
        content_type=content_type,
        original_name=filetypes.safe_name(filename, content_type),
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=uuid.uuid4().hex,
    )


def storage_path(settings: Settings, folder: str, storage_name: str) -> Path:
    """Where a stored file's bytes live: one folder per kind under the upload folder."""
    return Path(settings.upload_dir) / folder / storage_name


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # "xb": a random name never collides; if it somehow did, fail rather than overwrite.
    with path.open("xb") as fh:
        fh.write(data)


async def store(path: Path, data: bytes) -> None:
    """Write the bytes. Called last, after the row is flushed and audited: a failure before leaves no file; a
    failed commit leaves an orphan file, never a row without its file."""
    await asyncio.to_thread(_write, path, data)


def remove_file(path: Path) -> None:
    """Delete a stored file if it is still there (run after the deleting transaction committed)."""
    path.unlink(missing_ok=True)


def download(path: Path, content_type: str, name: str, *, missing: str) -> FileResponse:
    """The stored bytes as a private download named by their checked type, or 404 attachment_file_missing when
    the file is gone (missing: the caller's words for it)."""
    if not path.is_file():
        raise NotFound(missing, code="attachment_file_missing")
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(filetypes.download_name(name, content_type)),
            "Cache-Control": "private, no-store",
        },
    )
