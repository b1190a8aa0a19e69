"""One cleaning rule for every text that reaches trainhub, whatever the entry point: a web
form, the API, a spreadsheet, the command line.

People paste from chat apps, web pages and Word: zero-width spaces, direction overrides
(U+202E turns ``txt.exe`` into ``exe.txt`` on screen), bells and stray line feeds come
along. None of them belongs in a name, a position or a note, and a direction override can
make one name look like another. So:

- :func:`clean_line` (names, titles, codes, any one-line field): invisible format
  characters (Unicode category Cf) and lone surrogates are removed, control characters
  (Cc: line feeds, tabs, BEL, NUL …) become spaces, runs of white space become one space,
  and the ends are trimmed;
- :func:`clean_text` (notes, descriptions, reasons): the same, but line breaks are kept
  (``\\r\\n`` and ``\\r`` become ``\\n``), trailing spaces of each line go, and at most one
  empty line stands between paragraphs.
"""

from __future__ import annotations

import re
import unicodedata

_WHITE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _drop(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Cs")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean_line(value: object) -> str:
    """``value`` as one clean line (None and non-text become ``""``)."""
    if not isinstance(value, str):
        return ""
    kept = "".join(" " if _is_control(c) else c for c in value if not _drop(c))
    return _WHITE.sub(" ", kept).strip()


def clean_text(value: object) -> str:
    """``value`` as clean text of several lines (None and non-text become ``""``)."""
    if not isinstance(value, str):
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for line in value.split("\n"):
        kept = "".join(" " if _is_control(c) else c for c in line if not _drop(c))
        lines.append(re.sub(r"[^\S\n]+", " ", kept).strip())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def has_lone_surrogate(value: str) -> bool:
    """Whether ``value`` holds half of a UTF-16 pair (JSON can carry one: ``"\\ud800"``);
    such text cannot be stored or shown and is refused where it arrives."""
    return any("\ud800" <= char <= "\udfff" for char in value)
