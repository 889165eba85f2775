"""A request body copied to a temporary file in chunks, so a large import is never held in
memory and the runner reads it like the CLI reads a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 64 * 1024


class TooLarge(Exception):
    """The body went past the limit (a chunked body has no Content-Length to refuse up front)."""


def spool(stream: BinaryIO, limit: int) -> tuple[Path, int]:
    """Copy ``stream`` to a new temporary file; its path and size. The caller deletes it.
    Raises TooLarge, leaving no file, once more than ``limit`` bytes have arrived."""
    descriptor, name = tempfile.mkstemp(prefix="sahayata-import-", suffix=".body")
    size = 0
    try:
        with os.fdopen(descriptor, "wb") as handle:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise TooLarge()
                handle.write(chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Path(name), size
