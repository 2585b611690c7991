"""Detect the text encoding of a CSV file the way Excel and WPS write them.

Order (never the other way round): a byte-order mark (UTF-8 → ``utf-8-sig``, UTF-16 →
``utf-16``); UTF-16 without one when NUL bytes sit on one side of every byte pair and the
file decodes; then strict UTF-8 over the whole file; else GB18030 (a superset of GBK that
also holds rare name characters such as 䶮 and 𠮷). GB18030 is never tried first: it
decodes UTF-8 bytes silently into mojibake.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from riskmodel.io.errors import DataError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Encoding:
    """The detected encoding of a file; ``errors`` is 'replace' when bytes were damaged.

    ``utf8`` holds the whole file transcoded to UTF-8 when detection had to decode it
    anyway (GB18030): the reader parses those bytes instead of decoding the file again.
    """

    name: str
    errors: str = "strict"
    note: str = ""
    utf8: pa.Buffer | None = field(default=None, repr=False, compare=False)


def _complete_length(data: bytes) -> int:
    """Length of ``data`` without a UTF-8 character that may continue past its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: the last character starts here
            return len(data) - back if byte >= 0xC0 else len(data)
    return len(data)


def _arrow_utf8(data: bytes, length: int) -> bool:
    """Whether ``data[:length]`` is strict UTF-8 (validated by Arrow, no copy)."""
    offsets = pa.py_buffer(np.array([0, length], dtype=np.int64).tobytes())
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _valid_utf8(path: Path, chunk_bytes: int) -> bool:
    """Whether the whole file is strict UTF-8, validated in Arrow a chunk at a time (much
    faster than decoding it in Python; a character cut by a chunk end waits for the next)."""
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            data = carry + chunk
            length = _complete_length(data)
            if not _arrow_utf8(data, length):
                return False
            carry = data[length:]
    return _arrow_utf8(carry, len(carry))


def _decodes(path: Path, encoding: str, chunk_bytes: int) -> tuple[bool, int, int]:
    """Decode the whole file incrementally: (ok, error offset, total bytes)."""
    if encoding in ("utf-8", "utf-8-sig") and _valid_utf8(path, chunk_bytes):
        return True, -1, path.stat().st_size  # the decoder below would only confirm it
    error_at, size = _decode_chunks(path, encoding, chunk_bytes, None)
    return error_at < 0, error_at, size


def _transcode(path: Path, encoding: str, chunk_bytes: int) -> tuple[pa.Buffer | None, int, int]:
    """Decode the whole file strictly, re-encoded as UTF-8: (buffer, -1, size) when it
    decodes, else (None, error offset, size). The chunks are appended to one growing
    buffer (no list of parts joined at the end: about half the peak memory)."""
    sink = bytearray()
    error_at, size = _decode_chunks(path, encoding, chunk_bytes, sink)
    return (pa.py_buffer(sink) if error_at < 0 else None), error_at, size


def _decode_chunks(
    path: Path, encoding: str, chunk_bytes: int, utf8_sink: bytearray | None
) -> tuple[int, int]:
    """Decode the file strictly chunk by chunk, writing each chunk as UTF-8 to
    ``utf8_sink`` when given: (error offset or -1, bytes read)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                return offset + max(exc.start, 0), path.stat().st_size
            if utf8_sink is not None:
                utf8_sink += text.encode("utf-8")
            offset += len(chunk)
            if final:
                return -1, offset


def _utf16_without_bom(path: Path, head: bytes, chunk_bytes: int) -> Encoding | None:
    """UTF-16 text written without a byte-order mark: the NUL bytes of its ASCII
    characters (digits, separators) all sit on one side of each pair, and the whole file
    decodes strictly. None when the bytes are not such text."""
    head = head[: len(head) // 2 * 2]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd and not even:
        name = "utf-16-le"
    elif even and not odd:
        name = "utf-16-be"
    else:
        return None
    ok, _error_at, _size = _decodes(path, name, chunk_bytes)
    if not ok:
        return None
    return Encoding(name, note=f"UTF-16 text without a byte-order mark: read as {name}")


def detect_encoding(path: Path, chunk_bytes: int = 8 << 20) -> Encoding:
    """Return the encoding to read CSV file ``path`` with.

    Raises
    ------
    DataError
        If the file holds NUL bytes that are not UTF-16 text (a binary file).
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    for bom, name in _BOMS:
        if head.startswith(bom):
            ok, error_at, _size = _decodes(path, name, chunk_bytes)
            if ok:
                return Encoding(name)
            return Encoding(
                name,
                "replace",
                f"bytes at offset {error_at} are not valid {name}; they were replaced by "
                "'\ufffd' — check the export (a truncated file?)",
            )
    if b"\x00" in head:
        bare = _utf16_without_bom(path, head, chunk_bytes)
        if bare is not None:
            return bare
        raise DataError(
            f"{path.name}: not a text CSV file (it holds binary bytes); export the table "
            "again from Excel/WPS as 'CSV UTF-8' or as .xlsx"
        )
    ok, error_at, size = _decodes(path, "utf-8", chunk_bytes)
    if ok:
        return Encoding("utf-8")
    if error_at >= size - 3:
        # UTF-8 up to a character cut off at the very end: a truncated UTF-8 file
        return Encoding(
            "utf-8",
            "replace",
            "file ends in the middle of a character: it looks truncated; the damaged "
            "character was replaced",
        )
    utf8, error_at, size = _transcode(path, "gb18030", chunk_bytes)
    if utf8 is not None:
        return Encoding("gb18030", utf8=utf8)
    if error_at >= size - 3:
        return Encoding(
            "gb18030",
            "replace",
            "file ends in the middle of a character: it looks truncated; the damaged "
            "character was replaced",
        )
    return Encoding(
        "gb18030",
        "replace",
        f"bytes at offset {error_at} are neither UTF-8 nor GB18030; they were replaced by "
        "'\ufffd' — check the export",
    )
