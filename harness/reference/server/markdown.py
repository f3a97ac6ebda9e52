"""CommonMark -> MarkdownToken list (REST.md §5.3), via markdown-it-py in strict CommonMark mode.

Filament uses pulldown-cmark with no extensions and maps its events to a small closed token set.
We map markdown-it's token stream onto the same set: raw HTML, block quotes, rules and images
produce no tokens of their own (their text content stays), links survive only for http/https/mailto,
bare URLs in text are auto-linked, and the documented size caps apply.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt

MAX_TOKENS = 4096
MAX_TEXT_BYTES = 4096
MAX_CODE_BYTES = 4096
MAX_FENCED_BYTES = 16384
MAX_FENCED_BLOCKS = 64
_LANGUAGE_RE = re.compile(r"^[A-Za-z0-9_+.\-]{1,32}$")
_BARE_URL_RE = re.compile(r"(?i)(?:https?://|mailto:)\S+")
_URL_TRAILING = ")]}.,!?;:"
_ALLOWED_SCHEMES = ("http", "https", "mailto")

Token = dict[str, Any]

_md = MarkdownIt("commonmark")
# Keep hrefs raw (pulldown-cmark does not normalise) and let every link parse as a link; the scheme
# filter below then drops disallowed targets while keeping their text, as Filament does.
_md.validateLink = lambda url: True  # type: ignore[method-assign]
_md.normalizeLink = lambda url: url  # type: ignore[method-assign]
_md.normalizeLinkText = lambda url: url  # type: ignore[method-assign]


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _allowed_href(href: str) -> bool:
    trimmed = href.strip()
    if ":" not in trimmed:
        return False
    return trimmed.split(":", 1)[0].lower() in _ALLOWED_SCHEMES


def _language(info: str) -> str | None:
    trimmed = info.strip()
    return trimmed.lower() if _LANGUAGE_RE.match(trimmed) else None


class _Builder:
    def __init__(self) -> None:
        self.out: list[Token] = []
        self.fenced = 0
        self.link_kept: list[bool] = []  # one entry per open link: was it kept?

    def text(self, text: str) -> None:
        if not text:
            return
        if self.out and self.out[-1]["type"] == "text":
            self.out[-1]["text"] += text
            return
        self.out.append({"type": "text", "text": text})

    def emit(self, token: Token) -> None:
        self.out.append(token)

    def inline(self, children: list[Any]) -> None:
        for child in children:
            kind = child.type
            if kind == "text":
                self.text(child.content)
            elif kind == "code_inline":
                self.emit({"type": "code", "code": _truncate(child.content, MAX_CODE_BYTES)})
            elif kind in ("em_open", "em_close"):
                self.emit({"type": "emphasis_start" if kind == "em_open" else "emphasis_end"})
            elif kind in ("strong_open", "strong_close"):
                self.emit({"type": "strong_start" if kind == "strong_open" else "strong_end"})
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                keep = _allowed_href(href)
                self.link_kept.append(keep)
                if keep:
                    self.emit({"type": "link_start", "href": href})
            elif kind == "link_close":
                keep = self.link_kept.pop() if self.link_kept else False
                if keep:
                    self.emit({"type": "link_end"})
            elif kind == "softbreak":
                self.emit({"type": "soft_break"})
            elif kind == "hardbreak":
                self.emit({"type": "hard_break"})
            elif kind == "image":
                self.inline(child.children or [])
            # html_inline and anything else: no token

    def block(self, tokens: list[Any]) -> None:
        for token in tokens:
            kind = token.type
            if kind == "paragraph_open" and not token.hidden:
                self.emit({"type": "paragraph_start"})
            elif kind == "paragraph_close" and not token.hidden:
                self.emit({"type": "paragraph_end"})
            elif kind == "heading_open":
                self.emit({"type": "heading_start", "level": int(token.tag[1])})
            elif kind == "heading_close":
                self.emit({"type": "heading_end"})
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.emit({"type": "list_start", "ordered": kind == "ordered_list_open"})
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.emit({"type": "list_end"})
            elif kind == "list_item_open":
                self.emit({"type": "list_item_start"})
            elif kind == "list_item_close":
                self.emit({"type": "list_item_end"})
            elif kind in ("fence", "code_block"):
                self.fenced += 1
                if self.fenced <= MAX_FENCED_BLOCKS:
                    language = _language(token.info) if kind == "fence" else None
                    code = _truncate(token.content, MAX_FENCED_BYTES)
                    self.emit({"type": "fenced_code", "language": language, "code": code})
            elif kind == "inline":
                self.inline(token.children or [])


def _autolink(tokens: list[Token]) -> list[Token]:
    """Split bare http(s)/mailto runs out of text tokens that are not inside a kept link."""
    out: list[Token] = []
    in_link = 0
    for token in tokens:
        if token["type"] == "link_start":
            in_link += 1
        elif token["type"] == "link_end":
            in_link = max(0, in_link - 1)
        if token["type"] != "text" or in_link:
            out.append(token)
            continue
        text = token["text"]
        pos = 0
        for match in _BARE_URL_RE.finditer(text):
            url = match.group(0).rstrip(_URL_TRAILING)
            scheme_len = len(url.split(":", 1)[0]) + 1
            if len(url) <= scheme_len or url.endswith("//"):
                continue
            start, end = match.start(), match.start() + len(url)
            if start > pos:
                out.append({"type": "text", "text": text[pos:start]})
            out += [{"type": "link_start", "href": url}, {"type": "text", "text": url}, {"type": "link_end"}]
            pos = end
        if pos < len(text):
            out.append({"type": "text", "text": text[pos:]})
    return out


def tokenize(source: str) -> list[Token]:
    """MarkdownToken list for `source` (empty list for empty input)."""
    if not source:
        return []
    builder = _Builder()
    builder.block(_md.parse(source))
    tokens = _autolink(builder.out)
    for token in tokens:
        if token["type"] == "text":
            token["text"] = _truncate(token["text"], MAX_TEXT_BYTES)
    return tokens[:MAX_TOKENS]
