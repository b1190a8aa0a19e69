"""Files uploaded for an import: read within the configured limits, and kept between the
preview and the confirmation.

Every import (the learner roster, the schedule) reads its file through :func:`read_upload`:
at most ``IMPORT_MAX_BYTES`` bytes and ``IMPORT_MAX_ROWS`` rows below the header, bounded by
the data the file holds (:mod:`trainhub.spreadsheets`).

A web page previews a file and imports it on a second request; the file must survive in
between without trusting a copy sent back by the browser. It is kept under
``instance/uploads/imports/`` with a random, unguessable token, tied to the user who
uploaded it and to the kind of import (a schedule's token does not open on the learner
import's pages), and encrypted with the personal-data key (rosters hold ID and phone
numbers). After the import the source is deleted; the outcome (and a learner import's
rejected-rows workbook) stays for the result page. Everything is deleted after
:data:`MAX_AGE`, checked on each upload and swept every hour by the worker.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from trainhub.db import utcnow
from trainhub.pii import cipher
from trainhub.sheet_reading import SpreadsheetError
from trainhub.spreadsheets import Table, read_table

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000

MAX_AGE = timedelta(hours=24)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{24}$")
SUFFIXES = (".json", ".source", ".rejected")
#: Kinds of upload.
LEARNERS = "learners"
SCHEDULE = "schedule"


# limits and reading --------------------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.4g} MB"
    if size >= 1024:
        return f"{size / 1024:.4g} KB"
    return f"{size} 字节"


def check_size(size: int) -> None:
    """Refuse (:class:`SpreadsheetError`) a file larger than ``IMPORT_MAX_BYTES``."""
    limit = max_bytes()
    if size > limit:
        raise SpreadsheetError(
            f"文件过大（{size_text(size)}），超过导入上限 {size_text(limit)}。请拆分后分批导入。"
        )


def read_file(path: Path) -> bytes:
    """A file named on the command line, within the size limit (:class:`SpreadsheetError`
    when it is too large or cannot be read)."""
    try:
        check_size(path.stat().st_size)
        return path.read_bytes()
    except OSError as exc:
        raise SpreadsheetError(f"无法读取文件 {path}：{exc.strerror or exc}。") from exc


def read_upload(filename: str, data: bytes, is_header) -> Table:
    """An uploaded sheet as text cells, within the size and row limits; ``is_header`` tells
    the header row (titles above it are skipped; see :func:`~trainhub.spreadsheets.read_table`).
    Refuses with :class:`SpreadsheetError` (a Chinese message)."""
    check_size(len(data))
    return read_table(filename, data, max_rows=max_rows(), is_header=is_header)


# kept uploads --------------------------------------------------------------------------------


@dataclass
class StoredUpload:
    token: str
    user_id: int | None
    filename: str
    size: int
    created_at: str
    #: What the uploader chose (the learner import: ``valid_only``, ``course_code``).
    options: dict = field(default_factory=dict)
    #: Set once imported: the outcome to show (no personal data).
    result: dict | None = None
    #: Which import it was uploaded to (:data:`LEARNERS`, :data:`SCHEDULE`); files kept
    #: before kinds existed were rosters.
    kind: str = LEARNERS

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(token: str, suffix: str) -> Path:
    return upload_dir() / f"{token}{suffix}"


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _encrypt(data: bytes) -> bytes:
    return cipher().encrypt(base64.b64encode(data).decode("ascii")).encode("ascii")


def _decrypt(token: bytes) -> bytes:
    return base64.b64decode(cipher().decrypt(token.decode("ascii")))


def clean_filename(filename: str | None) -> str:
    """The file's own name (no directories), for display and the audit log."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:200] or "未命名文件"


def save_upload(user_id: int | None, filename: str, data: bytes, options: dict, *,
                kind: str) -> StoredUpload:
    """Keep an uploaded file; old uploads of everyone are cleaned up first."""
    clean_expired()
    upload = StoredUpload(
        token=secrets.token_urlsafe(18), user_id=user_id, filename=clean_filename(filename),
        size=len(data), created_at=utcnow().isoformat(), options=dict(options), kind=kind,
    )
    _write(_path(upload.token, ".source"), _encrypt(data))
    _save_meta(upload)
    return upload


def keep_result(user_id: int | None, filename: str, result: dict, rejected: bytes | None, *,
                kind: str) -> StoredUpload:
    """Keep only an import's outcome and rejected rows (the API, which needs no preview)."""
    clean_expired()
    upload = StoredUpload(
        token=secrets.token_urlsafe(18), user_id=user_id, filename=clean_filename(filename),
        size=0, created_at=utcnow().isoformat(), options={}, kind=kind,
    )
    save_result(upload, result, rejected)
    return upload


def _save_meta(upload: StoredUpload) -> None:
    _write(_path(upload.token, ".json"), json.dumps(asdict(upload), ensure_ascii=False).encode())


def save_options(upload: StoredUpload, options: dict) -> None:
    """Keep what the uploader chose since the upload (on the preview) with the file."""
    upload.options = dict(options)
    _save_meta(upload)


def load_upload(token: str, user_id: int | None, *, kind: str) -> StoredUpload | None:
    """The upload of ``kind`` with ``token`` if it belongs to ``user_id`` and has not expired."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    path = _path(token, ".json")
    try:
        upload = StoredUpload(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if upload.user_id != user_id or upload.kind != kind or utcnow() - upload.created > MAX_AGE:
        return None
    return upload


def source_data(upload: StoredUpload) -> bytes | None:
    """The uploaded file, or None once imported (or cleaned up)."""
    try:
        return _decrypt(_path(upload.token, ".source").read_bytes())
    except OSError:
        return None


def save_result(upload: StoredUpload, result: dict, rejected: bytes | None) -> None:
    """Record the import's outcome; the source is deleted, the rejected rows kept."""
    if rejected is not None:
        _write(_path(upload.token, ".rejected"), _encrypt(rejected))
    upload.result = result
    _save_meta(upload)
    with contextlib.suppress(FileNotFoundError):
        _path(upload.token, ".source").unlink()


def rejected_data(upload: StoredUpload) -> bytes | None:
    try:
        return _decrypt(_path(upload.token, ".rejected").read_bytes())
    except OSError:
        return None


def discard(upload: StoredUpload) -> None:
    for suffix in SUFFIXES:
        with contextlib.suppress(FileNotFoundError):
            _path(upload.token, suffix).unlink()


def clean_expired(now: datetime | None = None) -> int:
    """Delete uploads older than :data:`MAX_AGE`; returns how many."""
    now = now or utcnow()
    removed = 0
    directory = upload_dir()
    for meta in directory.glob("*.json"):
        token = meta.stem
        try:
            created = datetime.fromisoformat(json.loads(meta.read_text())["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            created = None
        if created is not None and now - created <= MAX_AGE:
            continue
        for suffix in SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                (directory / f"{token}{suffix}").unlink()
        removed += 1
    # files left without their metadata (an interrupted upload)
    for orphan in directory.glob("*"):
        if orphan.suffix in (".source", ".rejected", ".tmp") and not (directory / f"{orphan.stem}.json").exists():
            try:
                age = now.timestamp() - orphan.stat().st_mtime
            except OSError:
                continue
            if age > MAX_AGE.total_seconds():
                with contextlib.suppress(FileNotFoundError):
                    orphan.unlink()
    return removed
