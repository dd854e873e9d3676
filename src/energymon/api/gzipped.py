"""One gzip member from pieces compressed apart: raw deflate blocks that end on a byte boundary.

Deflate blocks may follow one another whatever compressed them, so text compressed once (a kept
part of an answer) is joined with text compressed per request; the member's CRC-32 and length
run over the whole text (RFC 1952).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "COMPRESS_LEVEL",
    "GZIP_HEADER",
    "GZIP_MINIMUM_BYTES",
    "accepts_gzip",
    "deflate",
    "json_response",
    "member",
]

GZIP_MINIMUM_BYTES = 1024  # as the app's GZip middleware: smaller answers go uncompressed
COMPRESS_LEVEL = 5  # as the app's GZip middleware
GZIP_HEADER = bytes((0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255))  # deflate, no name, no mtime


def deflate(text: bytes, *, last: bool = False) -> bytes:
    """Raw deflate blocks of `text`, ending on a byte boundary (or final, when `last`)."""
    packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(text) + packer.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def member(pieces: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    """A gzip member of the pieces' text: (text, its deflate blocks or None to compress now).

    The last piece is compressed now, as the final block.
    """
    chunks = [GZIP_HEADER]
    crc = size = 0
    listed = list(pieces)
    for index, (text, packed) in enumerate(listed):
        crc = zlib.crc32(text, crc)
        size += len(text)
        if index == len(listed) - 1:
            chunks.append(deflate(text, last=True))
        else:
            chunks.append(deflate(text) if packed is None else packed)
    chunks.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(chunks)


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes a gzip body (the app, httpx and browsers all do)."""
    return "gzip" in request.headers.get("accept-encoding", "")


def json_response(body: bytes) -> Response:
    """A JSON answer written ahead: a gzip member goes out as one, the rest as it is (the
    app's GZip middleware then decides about it)."""
    if body[:2] != GZIP_HEADER[:2]:
        return Response(body, media_type="application/json")
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(body, media_type="application/json", headers=headers)
