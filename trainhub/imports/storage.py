"""Uploaded rosters kept between the preview and the confirmation, and their results.

The web page previews a file and imports it on a second request; the file must survive in
between without trusting a copy sent back by the browser. It is kept under
``instance/uploads/imports/`` with a random, unguessable token, tied to the user who
uploaded it, and encrypted with the personal-data key (rosters hold ID and phone numbers).
After the import the source is deleted; the counts and the rejected-rows workbook stay for
the result page. Everything is deleted after :data:`MAX_AGE`, checked on each upload.
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

MAX_AGE = timedelta(hours=24)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{24}$")
SUFFIXES = (".json", ".source", ".rejected")


@dataclass
class StoredUpload:
    token: str
    user_id: int | None
    filename: str
    size: int
    created_at: str
    #: What the uploader chose: ``valid_only``, ``course_code``.
    options: dict = field(default_factory=dict)
    #: Set once imported: the counts and enrolment outcome (no personal data).
    result: dict | None = None

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


def save_upload(user_id: int | None, filename: str, data: bytes, options: dict) -> StoredUpload:
    """Keep an uploaded roster; old uploads of everyone are cleaned up first."""
    clean_expired()
    upload = StoredUpload(
        token=secrets.token_urlsafe(18), user_id=user_id, filename=clean_filename(filename),
        size=len(data), created_at=utcnow().isoformat(), options=dict(options),
    )
    _write(_path(upload.token, ".source"), _encrypt(data))
    _save_meta(upload)
    return upload


def keep_result(user_id: int | None, filename: str, result: dict, rejected: bytes) -> StoredUpload:
    """Keep only an import's outcome and rejected rows (the API, which needs no preview)."""
    clean_expired()
    upload = StoredUpload(
        token=secrets.token_urlsafe(18), user_id=user_id, filename=clean_filename(filename),
        size=0, created_at=utcnow().isoformat(), options={},
    )
    save_result(upload, result, rejected)
    return upload


def _save_meta(upload: StoredUpload) -> None:
    _write(_path(upload.token, ".json"), json.dumps(asdict(upload), ensure_ascii=False).encode())


def load_upload(token: str, user_id: int | None) -> StoredUpload | None:
    """The upload with ``token`` if it belongs to ``user_id`` and has not expired."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    path = _path(token, ".json")
    try:
        upload = StoredUpload(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if upload.user_id != user_id or utcnow() - upload.created > MAX_AGE:
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
