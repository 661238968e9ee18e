"""Video ids, and turning them into file names that cannot escape their folder."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

# Bytes a file name may not hold on common filesystems, plus '%' so the encoding is
# reversible and '/' '\\' so an id never becomes a path.
_UNSAFE = set('/\\%:*?"<>|') | {chr(code) for code in range(32)} | {"\x7f"}
_MAX_NAME_BYTES = 200  # leaves room for a suffix and a temp marker under the 255-byte limit


def video_id_from_path(relative_path: str) -> str:
    """The default id: the path relative to the source root, POSIX separators, no extension."""
    path = PurePosixPath(relative_path.replace("\\", "/"))
    return str(path.with_suffix("")) if path.suffix else str(path)


def safe_file_stem(video_id: str) -> str:
    """A file name stem for ``video_id`` that stays inside its folder.

    Unsafe characters are percent-encoded (``a/b`` -> ``a%2Fb``), a leading dot too (so
    ``..`` and hidden names cannot occur), and over-long ids are shortened with a hash
    suffix. Distinct ids give distinct stems.
    """
    stem = "".join(f"%{ord(char):02X}" if char in _UNSAFE else char for char in video_id)
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    encoded = stem.encode("utf-8")
    if len(encoded) > _MAX_NAME_BYTES:
        digest = hashlib.sha256(video_id.encode("utf-8")).hexdigest()[:16]
        head = encoded[: _MAX_NAME_BYTES - 17].decode("utf-8", errors="ignore")
        stem = f"{head}~{digest}"
    return stem
