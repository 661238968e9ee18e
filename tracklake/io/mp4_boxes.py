"""Just enough of the ISO base media file format (mp4, mov, m4v) to tell a cut-short file.

FFmpeg opens an mp4 whose index (the ``moov`` box) is at the front even when the media data
(``mdat``) was cut off, and quietly reports fewer frames. Walking the top-level boxes shows
whether the last one runs past the end of the file, which no complete file does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_HEADER = struct.Struct(">I4s")
_LARGE_SIZE = struct.Struct(">Q")


@dataclass(frozen=True)
class BoxLayout:
    """The top-level boxes of an ISO BMFF file.

    Attributes:
        box_types: four-character types in file order, e.g. ``("ftyp", "moov", "mdat")``.
        cut_box: type of the box that runs past the end of the file, ``""`` when none does.
    """

    box_types: tuple[str, ...]
    cut_box: str

    @property
    def is_iso_media(self) -> bool:
        return bool(self.box_types) and self.box_types[0] in {"ftyp", "moov", "mdat", "wide"}

    @property
    def has_index(self) -> bool:
        return "moov" in self.box_types


def read_box_layout(path: str | Path, max_boxes: int = 64) -> BoxLayout:
    """Walk the top-level boxes of ``path`` (reads only box headers, never the media)."""
    box_types: list[str] = []
    with open(path, "rb") as file:
        file_size = file.seek(0, 2)
        offset = 0
        while offset < file_size and len(box_types) < max_boxes:
            file.seek(offset)
            header = file.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return BoxLayout(tuple(box_types), cut_box="?")
            size, raw_type = _HEADER.unpack(header)
            box_type = raw_type.decode("latin-1")
            if not box_type.isprintable():
                break
            box_types.append(box_type)
            if size == 1:
                size = _LARGE_SIZE.unpack(file.read(_LARGE_SIZE.size))[0]
            elif size == 0:  # "extends to the end of the file"
                size = file_size - offset
            if size < _HEADER.size:
                break
            if offset + size > file_size:
                return BoxLayout(tuple(box_types), cut_box=box_type)
            offset += size
    return BoxLayout(tuple(box_types), cut_box="")
