"""PAN 2012 Sexual Predator Identification corpus (XML) → conversation records.

The real files hold up to ~2M messages, so the XML is streamed with ``iterparse`` and each
element is cleared once used: memory stays flat however large the corpus is. PAN12 times are
``HH:MM`` without a date, so they cannot be timestamps; they are kept in the message's extra key
``time``. Predatory conversations are Perverted-Justice chats, so the non-predator in them is
the volunteer posing as a child (``role: child``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.parsers.expat import ErrorString

from groomwatch.data.importers.common import (
    CountingReader,
    NoProgress,
    Progress,
    read_id_list,
    read_lines,
    require_file,
    same_id,
    unescape_html,
)
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import InputError

SOURCE = "pan12"
# One <message> as read from the XML: (line attribute, author, time, text).
RawMessage = tuple[str | None, str | None, str | None, str | None]


def read_predators(path: Path) -> set[str]:
    """The predator author IDs (problem-1 ground truth or the training predator list)."""
    return read_id_list(path)


def read_predatory_lines(path: Path) -> set[tuple[str, str]]:
    """Problem-2 ground truth: ``conversation id<TAB>line number`` of every predatory line."""
    marked: set[tuple[str, str]] = set()
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit():
            raise InputError(f"{path}:{number}: expected 'conversation_id<TAB>line number'")
        marked.add((fields[0], fields[1]))
    if not marked:
        raise InputError(f"{path}: lists no predatory lines")
    return marked


def iter_pan12(
    xml_path: Path,
    predators: set[str],
    predatory_lines: set[tuple[str, str]] | None = None,
    *,
    author_map: AuthorMap = same_id,
    progress: Progress | None = None,
) -> Iterator[Conversation]:
    """Stream the conversations of a PAN12 XML file; raises InputError naming file and line."""
    require_file(xml_path)
    progress = progress or NoProgress()
    progress.start(xml_path.stat().st_size, "bytes")
    seen: set[str] = set()
    with open(xml_path, "rb") as handle:
        events = ET.iterparse(CountingReader(handle, progress.advance), events=("end",))
        try:
            for _, elem in events:
                # Messages are read when their conversation closes; clearing the conversation
                # then frees its whole subtree, so memory holds one conversation at a time.
                if elem.tag == "conversation":
                    conv_id = _conversation_id(elem, xml_path, len(seen) + 1, seen)
                    raw_messages = [_raw_message(m) for m in elem if m.tag == "message"]
                    elem.clear()
                    yield _conversation(
                        conv_id, raw_messages, predators, predatory_lines, author_map, xml_path
                    )
        except ET.ParseError as exc:
            line = exc.position[0]
            raise InputError(
                f"{xml_path}:{line}: not well-formed XML or not UTF-8 ({ErrorString(exc.code)})"
            ) from None
    if not seen:
        raise InputError(f"{xml_path}: holds no <conversation> elements")


def _raw_message(elem: ET.Element) -> RawMessage:
    author = time = text = None
    for child in elem:
        tag = child.tag
        if tag == "author":
            author = child.text
        elif tag == "text":
            text = child.text
        elif tag == "time":
            time = child.text
    return elem.get("line"), author, time, text


def _conversation_id(elem: ET.Element, xml_path: Path, number: int, seen: set[str]) -> str:
    conv_id = (elem.get("id") or "").strip()
    if not conv_id:
        raise InputError(f"{xml_path}: conversation number {number} has no id attribute")
    if conv_id in seen:
        raise InputError(f"{xml_path}: conversation id {conv_id} appears twice")
    seen.add(conv_id)
    return conv_id


def _conversation(
    conv_id: str,
    raw_messages: list[RawMessage],
    predators: set[str],
    predatory_lines: set[tuple[str, str]] | None,
    author_map: AuthorMap,
    xml_path: Path,
) -> Conversation:
    messages: list[Message] = []
    pseudonyms: dict[str, str] = {}  # raw author id → output id, mapped once per author
    for position, (line, author, time, text) in enumerate(raw_messages, start=1):
        line = line or str(position)
        author = (author or "").strip()
        if not author:
            raise InputError(
                f"{xml_path}: conversation {conv_id}, message line {line}: <author> is missing"
            )
        author_id = pseudonyms.get(author) or pseudonyms.setdefault(author, author_map(author))
        if text is None:
            text = ""
        elif "&" in text:
            text = unescape_html(text)
        grooming = None if predatory_lines is None else int((conv_id, line) in predatory_lines)
        messages.append(
            Message(author_id, text, None, grooming, None, {"time": time} if time else {})
        )
    is_predatory = not predators.isdisjoint(pseudonyms)
    participants = [
        Participant(
            author_id,
            "adult" if author in predators else ("child" if is_predatory else "unknown"),
            author in predators,
        )
        for author, author_id in pseudonyms.items()
    ]
    return Conversation(
        conv_id, participants, messages, label=int(is_predatory), language="en", source=SOURCE
    )
