"""The uploaded file on its way in, and kept for an hour so it can be given back annotated.

Two things the Upload users screen needs that validation itself does not:

- `BoundedUploadHandler` reads a multipart upload keeping at most `MAX_FILE_BYTES + 1` bytes in
  memory and only counting the rest, so a huge file is refused without being held in memory or
  written to a temporary file (Django's default handlers keep the whole of it).
- `bulk_upload_keep` / `bulk_upload_kept`: the bytes of a file that came back with errors or
  warnings, so "Download the file with its errors" works without the browser sending the file
  again (the portal keeps only valid files as drafts).

Why the upload's bytes and not the annotated file: the bytes are bounded (at most 1 MB, the
reading limit), while an annotated file grows with every message (a 1 MB file of short faulty
rows would come back several times larger); and validating them again at download time gives
back the customer as it is then — a username someone took in the meantime shows up — through
the same code that made the page, so the page and the file cannot drift apart. The cost is one
lookup of the file's usernames in the directory.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from users.bulk.reading import MAX_FILE_BYTES, MAX_REQUEST_BYTES

KEEP_FOR: Final = timedelta(hours=1)
_KEY: Final = "bulk-upload:v1:{token}"


class BoundedUploadHandler(FileUploadHandler):
    """Keeps the first `limit + 1` bytes of the request's first file and counts the rest.

    The file it hands over reports its real `size` but holds no more than `limit + 1` bytes: one
    more than the limit, so the reader can tell a file that is exactly at the limit from one
    over it. Any further file in the same request is counted and dropped, and a request whose
    files add up to more than `request_limit` stops being read (`request_too_big`): what one
    request can make the portal hold is bounded, not only each file. Install it before anything
    reads `request.POST` (see `users/bulk/views.py`).
    """

    def __init__(
        self,
        request: HttpRequest | None = None,
        limit: int = MAX_FILE_BYTES,
        request_limit: int = MAX_REQUEST_BYTES,
    ) -> None:
        super().__init__(request)
        self.limit = limit
        self.request_limit = request_limit
        self.kept = io.BytesIO()
        self.size = 0
        self.total = 0  # bytes of every file part of the request so far
        self.files = 0
        self.request_too_big = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files += 1
        self.kept = io.BytesIO()
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        self.total += len(raw_data)
        if self.total > self.request_limit:
            # Read on to the end without keeping anything, so the browser gets the answer.
            self.request_too_big = True
            raise StopUpload(connection_reset=False)
        room = self.limit + 1 - self.kept.tell()
        if room > 0 and self.files == 1:
            self.kept.write(raw_data[:room])
        return None  # consumed: no other handler stores it

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.files > 1:
            return None  # only one file is read; another one is not kept
        self.kept.seek(0)
        return InMemoryUploadedFile(
            file=self.kept,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def request_size(request: HttpRequest) -> int:
    """The body size the request announces (0 when it does not say: chunked)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def upload_bytes(upload: UploadedFile[bytes]) -> bytes:
    """At most `MAX_FILE_BYTES + 1` bytes of the upload: enough for validation to refuse an
    over-size file, never the whole of a huge one."""
    upload.seek(0)
    return bytes(upload.read(MAX_FILE_BYTES + 1))


@dataclass(frozen=True)
class KeptUpload:
    file_name: str
    data: bytes


def bulk_upload_keep(
    *, staff: AbstractBaseUser, customer_id: str, file_name: str, data: bytes
) -> str:
    """Keep a validated file's bytes in the shared cache for an hour; returns its random id.

    The id alone finds nothing: it is tied to the staff member and the customer (checked by
    `bulk_upload_kept`), so a link passed on or opened under another customer fails.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("Only a file the portal could read is kept.")
    token = secrets.token_urlsafe(16)
    value = {"staff": staff.pk, "customer": customer_id, "file_name": file_name, "data": data}
    cache.set(_KEY.format(token=token), value, timeout=int(KEEP_FOR.total_seconds()))
    return token


def bulk_upload_kept(*, token: str, staff: AbstractBaseUser, customer_id: str) -> KeptUpload | None:
    """The file kept under `token` for this staff member and customer, or None (expired, or
    someone else's)."""
    if not token or len(token) > 64:
        return None
    value = cache.get(_KEY.format(token=token))
    if not isinstance(value, dict):
        return None
    if value.get("staff") != staff.pk or value.get("customer") != customer_id:
        return None
    return KeptUpload(file_name=str(value["file_name"]), data=bytes(value["data"]))
