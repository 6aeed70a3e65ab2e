"""Helpers every importer shares: strict text decoding, ID lists, progress reporting."""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from groomwatch.errors import InputError


def same_id(author_id: str) -> str:
    """The author map used when no pseudonymisation is asked for."""
    return author_id


#: Where an importer reports a problem it can step over (the CLI prints ``warning: ...``).
Warn = Callable[[str], None]


def python_warning(message: str) -> None:
    """The default :data:`Warn` for library use: a standard ``UserWarning``."""
    warnings.warn(message, stacklevel=3)


class Progress(Protocol):
    """Where an importer reports how far it got; the CLI draws it as a rich progress bar."""

    def start(self, total: int | None, unit: str) -> None: ...

    def advance(self, amount: int) -> None: ...


class NoProgress:
    """Progress that goes nowhere (library use and tests)."""

    def start(self, total: int | None, unit: str) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


class CountingReader:
    """A binary file wrapper that reports the bytes read, for byte-based progress bars."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]) -> None:
        self._handle = handle
        self._report = report

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._report(len(data))
        return data


def require_file(path: Path) -> None:
    """Fail clearly on a missing or empty input file before any parsing starts."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")


def decode_utf8(data: bytes, path: Path) -> str:
    """Decode strictly, naming the line of the first bad byte (never guess an encoding)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 ({exc.reason})") from None


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file without line endings; errors for missing/empty files."""
    require_file(path)
    return decode_utf8(path.read_bytes(), path).splitlines()


def read_id_list(path: Path) -> set[str]:
    """One ID per line (blank lines ignored), as in PAN12's predator lists."""
    ids = {line.strip() for line in read_lines(path)} - {""}
    if not ids:
        raise InputError(f"{path}: lists no IDs")
    return ids


def unescape_html(text: str) -> str:
    """Undo HTML escaping however many times it was applied (PAN12 sometimes escaped twice)."""
    while "&" in text:
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text
