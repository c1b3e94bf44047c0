"""A file's bytes as lines and back, keeping its encoding, byte-order mark and every line ending.

Lines the edit does not touch come back byte for byte; new lines take the file's usual line
ending. A file that is not valid UTF-8 (and has no BOM naming another encoding) is read with
surrogate escapes, which give its bytes back unchanged; only ASCII may be written into it,
since its real encoding is unknown.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

# the longer BOMs first: UTF-32-LE's starts with UTF-16-LE's
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")


class NotText(ValueError):
    """The bytes are not text gearshift can edit and write back unchanged."""


@dataclass(frozen=True)
class TextFile:
    lines: list[str]  # without their endings
    endings: list[str]  # one per line: "\r\n", "\n", "\r", or "" for a last line with none
    bom: bytes
    encoding: str
    escaped: bool  # not valid UTF-8: read with surrogate escapes, so only ASCII may be added

    @property
    def newline(self) -> str:
        """The line ending most lines have (LF when there is none to go by)."""
        counts = Counter(ending for ending in self.endings if ending)
        if not counts:
            return "\n"
        return max(("\n", "\r\n", "\r"), key=lambda ending: counts[ending])

    def encode(self) -> bytes:
        text = "".join(line + ending for line, ending in zip(self.lines, self.endings, strict=True))
        errors = "surrogateescape" if self.escaped else "strict"
        return self.bom + text.encode(self.encoding, errors)


def decode(data: bytes) -> TextFile:
    bom, encoding = b"", "utf-8"
    for mark, name in _BOMS:
        if data.startswith(mark):
            bom, encoding = mark, name
            break
    body = data[len(bom) :]
    escaped = False
    if not bom and b"\0" in body[:8192]:
        raise NotText("it looks binary (it has NUL bytes)")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        if bom:
            raise NotText(f"it starts with a {encoding} byte-order mark but is not {encoding}") from None
        text, escaped = body.decode("utf-8", "surrogateescape"), True
    lines: list[str] = []
    endings: list[str] = []
    for match in _LINE.finditer(text):
        if match.end() == match.start():
            break  # the empty match at the very end
        lines.append(match.group(1))
        endings.append(match.group(2))
    return TextFile(lines, endings, bom, encoding, escaped)


def new_text(file: TextFile | None, text: str) -> str | None:
    """Why ``text`` (from the model) cannot go into ``file``, or None when it can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "it has characters that are not valid Unicode text (lone surrogates)"
    if file is not None and file.escaped and not text.isascii():
        return "the file is not UTF-8 and its encoding is unknown, so only ASCII text can be written into it"
    return None
