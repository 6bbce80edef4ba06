"""Checking and storing attachments: size and type limits, SHA-256, content-addressed files."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from opora.core.errors import TooLarge, ValidationFailed
from opora.tickets import errors
from opora.tickets.models import Attachment, Message, attachment_path


@dataclass(frozen=True)
class IncomingFile:
    """A file on its way in, from a form, the API or an e-mail part."""

    name: str
    content: IO[bytes]
    size: int
    content_type: str = ""
    content_id: str = ""  # MIME Content-ID of an e-mail part, without <>


def clean_filename(name: str) -> str:
    # Keep only the last path component; browsers and mail clients send full paths.
    base = PurePath(name.replace("\\", "/")).name.strip().strip(".")
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')
    return base[:200] or "attachment"


def check_attachments(files: list[IncomingFile], *, field: str = "attachments") -> None:
    """Refuse, before anything is written, files that are too large or of a blocked type."""
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    for f in files:
        name = clean_filename(f.name)
        if f.size > limit:
            raise TooLarge(
                errors.ATTACHMENT_TOO_LARGE,
                _("“%(name)s” is larger than the %(limit)s MB limit.")
                % {"name": name, "limit": settings.MAX_ATTACHMENT_MB},
                field=field,
            )
        ext = PurePath(name).suffix.lower().lstrip(".")
        if ext in settings.BLOCKED_ATTACHMENT_EXTENSIONS:
            raise ValidationFailed(
                errors.ATTACHMENT_TYPE_BLOCKED,
                _("Files of type .%(ext)s are not accepted (“%(name)s”).")
                % {"ext": ext, "name": name},
                field=field,
            )


def store_attachment(message: Message, incoming: IncomingFile) -> Attachment:
    """Hash and store one checked file; identical content is stored once."""
    digest = hashlib.sha256()
    incoming.content.seek(0)
    for chunk in iter(lambda: incoming.content.read(1024 * 1024), b""):
        digest.update(chunk)
    name = clean_filename(incoming.name)
    content_type = (
        incoming.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    attachment = Attachment(
        message=message,
        filename=name,
        content_type=content_type[:255],
        size=incoming.size,
        sha256=digest.hexdigest(),
        content_id=incoming.content_id[:255],
    )
    path = attachment_path(attachment, name)
    if not default_storage.exists(path):
        incoming.content.seek(0)
        path = default_storage.save(path, File(incoming.content, name=name))
    attachment.file.name = path
    attachment.save()
    return attachment
