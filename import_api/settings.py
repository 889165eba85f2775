"""SAHAYATA_IMPORT_MAX_BYTES: the largest body an import may post."""

from __future__ import annotations

from collections.abc import Mapping

from foundation.config import UnsafeStart

IMPORT_MAX_BYTES = "SAHAYATA_IMPORT_MAX_BYTES"
# A payments file of a million rows is about 100 MB; the body goes to a temporary file,
# never to memory, so the bound is the disk's and the import transaction's, not the web's.
DEFAULT_IMPORT_MAX_BYTES = 256 * 1024 * 1024


def import_max_bytes(env: Mapping[str, str]) -> int:
    """The import API's own body limit, far above SAHAYATA_MAX_BODY_BYTES (which every other
    route keeps); a whole number of bytes of at least 1, anything else refuses the start."""
    raw = env.get(IMPORT_MAX_BYTES, "").strip()
    if not raw:
        return DEFAULT_IMPORT_MAX_BYTES
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise UnsafeStart(f"{IMPORT_MAX_BYTES} must be a number of bytes (e.g. 268435456), not {raw!r}")
    return int(raw)
