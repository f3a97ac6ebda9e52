"""MIME detection from magic bytes, after the `infer` crate's matcher table (REST.md §6.8, §10.6).

Only the first 8 KiB are inspected; nothing is decoded. Order matters where signatures overlap
(e.g. RIFF containers, ZIP-based office documents), so matchers run in the order listed.
"""

from __future__ import annotations

from typing import Callable

SNIFF_BYTES = 8192
PROFILE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"})


def _ftyp_brand(buf: bytes) -> bytes | None:
    if len(buf) >= 12 and buf[4:8] == b"ftyp":
        return buf[8:12]
    return None


def _ftyp(brands: tuple[bytes, ...]) -> Callable[[bytes], bool]:
    return lambda b: _ftyp_brand(b) in brands


def _riff(kind: bytes) -> Callable[[bytes], bool]:
    return lambda b: len(b) >= 12 and b[:4] == b"RIFF" and b[8:12] == kind


def _prefix(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda b: any(b.startswith(p) for p in prefixes)


def _zip_containing(marker: bytes) -> Callable[[bytes], bool]:
    return lambda b: b.startswith(b"PK\x03\x04") and marker in b[:SNIFF_BYTES]


def _html(b: bytes) -> bool:
    head = b.lstrip(b" \t\r\n")[:64].lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<title", b"<iframe", b"<h1", b"<div", b"<font", b"<table", b"<a ", b"<style", b"<b ", b"<br", b"<p ", b"<!--"))


def _mp3(b: bytes) -> bool:
    return b.startswith(b"ID3") or (len(b) >= 2 and b[0] == 0xFF and b[1] in (0xFB, 0xF3, 0xF2))


def _tar(b: bytes) -> bool:
    return len(b) >= 262 and b[257:262] == b"ustar"


MATCHERS: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    # images
    ("image/jpeg", _prefix(b"\xff\xd8\xff")),
    ("image/png", _prefix(b"\x89PNG")),
    ("image/gif", _prefix(b"GIF")),
    ("image/webp", lambda b: len(b) >= 12 and b[8:12] == b"WEBP"),
    ("image/x-canon-cr2", lambda b: len(b) > 10 and b[:4] in (b"II*\x00", b"MM\x00*") and b[8:10] == b"CR"),
    ("image/tiff", _prefix(b"II*\x00", b"MM\x00*")),
    ("image/bmp", _prefix(b"BM")),
    ("image/vnd.ms-photo", _prefix(b"II\xbc")),
    ("image/vnd.adobe.photoshop", _prefix(b"8BPS")),
    ("image/vnd.microsoft.icon", _prefix(b"\x00\x00\x01\x00")),
    ("image/heif", _ftyp((b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"))),
    ("image/avif", _ftyp((b"avif", b"avis"))),
    ("image/jxl", _prefix(b"\xff\x0a", b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a")),
    # video
    ("video/mp4", _ftyp((b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"dash", b"MSNV", b"mmp4"))),
    ("video/quicktime", _ftyp((b"qt  ",))),
    ("video/x-m4v", _ftyp((b"M4V ", b"M4VH", b"M4VP"))),
    ("video/webm", lambda b: b.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in b[:64]),
    ("video/x-matroska", _prefix(b"\x1a\x45\xdf\xa3")),
    ("video/x-msvideo", _riff(b"AVI ")),
    ("video/x-ms-wmv", _prefix(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")),
    ("video/mpeg", _prefix(b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")),
    ("video/x-flv", _prefix(b"FLV\x01")),
    # audio
    ("audio/mpeg", _mp3),
    ("audio/x-m4a", _ftyp((b"M4A ",))),
    ("audio/ogg", _prefix(b"OggS")),
    ("audio/x-flac", _prefix(b"fLaC")),
    ("audio/x-wav", _riff(b"WAVE")),
    ("audio/amr", _prefix(b"#!AMR")),
    ("audio/aac", lambda b: len(b) >= 2 and b[0] == 0xFF and b[1] in (0xF1, 0xF9)),
    ("audio/midi", _prefix(b"MThd")),
    ("audio/x-aiff", lambda b: len(b) >= 12 and b[:4] == b"FORM" and b[8:12] in (b"AIFF", b"AIFC")),
    # documents (zip-based office formats before plain zip)
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip_containing(b"word/")),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip_containing(b"xl/")),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _zip_containing(b"ppt/")),
    ("application/epub+zip", _zip_containing(b"mimetypeapplication/epub+zip")),
    ("application/vnd.oasis.opendocument.text", _zip_containing(b"mimetypeapplication/vnd.oasis.opendocument.text")),
    ("application/pdf", _prefix(b"%PDF")),
    ("application/rtf", _prefix(b"{\\rtf")),
    ("application/msword", _prefix(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")),
    # archives
    ("application/zip", _prefix(b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")),
    ("application/x-tar", _tar),
    ("application/gzip", _prefix(b"\x1f\x8b\x08")),
    ("application/x-bzip2", _prefix(b"BZh")),
    ("application/x-7z-compressed", _prefix(b"7z\xbc\xaf\x27\x1c")),
    ("application/vnd.rar", _prefix(b"Rar!\x1a\x07")),
    ("application/x-xz", _prefix(b"\xfd7zXZ\x00")),
    ("application/zstd", _prefix(b"\x28\xb5\x2f\xfd")),
    ("application/x-lzip", _prefix(b"LZIP")),
    ("application/vnd.sqlite3", _prefix(b"SQLite format 3\x00")),
    ("application/wasm", _prefix(b"\x00asm")),
    ("application/x-executable", _prefix(b"\x7fELF")),
    ("application/vnd.microsoft.portable-executable", _prefix(b"MZ")),
    ("application/x-mach-binary", _prefix(b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")),
    ("application/vnd.ms-fontobject", lambda b: len(b) > 35 and b[34:36] == b"LP"),
    # fonts
    ("application/font-woff", _prefix(b"wOFF", b"wOF2")),
    ("application/font-sfnt", _prefix(b"\x00\x01\x00\x00\x00", b"OTTO")),
    # text-ish formats infer recognises
    ("text/xml", _prefix(b"<?xml ")),
    ("text/x-shellscript", _prefix(b"#!")),
    ("text/html", _html),
)


def sniff(data: bytes) -> str | None:
    """The detected MIME type of `data`, or None when no signature matches."""
    head = data[:SNIFF_BYTES]
    for mime, matches in MATCHERS:
        if matches(head):
            return mime
    return None


def mime_essence(header: str) -> str | None:
    """`type/subtype` of a Content-Type header value, lower-cased; None when it does not parse."""
    essence = header.split(";", 1)[0].strip().lower()
    if essence.count("/") != 1:
        return None
    kind, sub = essence.split("/")
    token_ok = lambda s: bool(s) and all(c.isalnum() or c in "!#$&^_.+-" for c in s)
    return essence if token_ok(kind) and token_ok(sub) else None
