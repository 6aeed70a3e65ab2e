"""The conversation record: the interchange format every importer writes and every command reads.

A record is a JSON object (one per JSON Lines line). Known keys become typed fields; unknown keys
are kept in ``extra`` so a round trip through groomwatch never drops a user's data. Every typed
string must be valid Unicode: a lone UTF-16 surrogate (JSON can carry ``"\\ud800"``) is refused
here, naming the field, because it would break the detectors and every output downstream.
``conversation_from_dict`` is the one validation path: JSON Lines, Parquet rows, the importers
and the review service's API all build records through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")

ROLES = ("child", "adult", "unknown")
STAGES = (
    "friendship_forming",
    "relationship_forming",
    "risk_assessment",
    "exclusivity",
    "sexual",
    "approach",
)


class RecordError(ValueError):
    """A record that breaks the format; ``path`` is the field, e.g. ``messages[3].author_id``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path} {problem}" if path else problem)

    def inside(self, parent: str) -> RecordError:
        """The same error with its path made relative to ``parent`` (e.g. ``messages[3]``)."""
        return RecordError(_join(parent, self.path), self.problem)


@dataclass
class Participant:
    author_id: str
    role: str = "unknown"
    offender: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Message:
    author_id: str
    text: str
    timestamp: str | None = None
    grooming: int | None = None
    stage: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    conversation_id: str
    participants: list[Participant]
    messages: list[Message]
    label: int | None = None
    language: str | None = None
    source: str | None = None
    platform: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    def participant(self, author_id: str) -> Participant:
        for p in self.participants:
            if p.author_id == author_id:
                return p
        raise KeyError(author_id)

    @property
    def offender_ids(self) -> list[str]:
        return [p.author_id for p in self.participants if p.offender]

    @classmethod
    def from_dict(cls, data: Any) -> Conversation:
        return conversation_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return conversation_to_dict(self)


_CONVERSATION_KEYS = frozenset((
    "conversation_id", "label", "language", "source", "platform", "meta",
    "participants", "messages",
))
_PARTICIPANT_KEYS = frozenset(("author_id", "role", "offender"))
_MESSAGE_KEYS = frozenset(("author_id", "text", "timestamp", "grooming", "stage"))


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _require(obj: dict, key: str) -> Any:
    if key not in obj:
        raise RecordError(key, "is missing")
    return obj[key]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# The validators below name the field they check relative to the object being read; the caller
# that knows where that object sits adds its position with ``RecordError.inside``, so a valid
# record (the common case, millions of messages) never pays for building field paths.


def _string(value: Any, path: str, *, nullable: bool = False, nonempty: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise RecordError(path, f"must be a string, not {_kind(value)}")
    if nonempty and not value:
        raise RecordError(path, "must not be empty")
    return value if value.isascii() else _code_points(value, path)


def _code_points(value: str, path: str) -> str:
    """``value`` if it can be written as UTF-8: JSON's ``\\ud800`` escapes can carry a lone
    UTF-16 surrogate, which is no character and breaks every later encode (n-grams, output)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(
            path,
            f"contains an invalid code point U+{ord(value[exc.start]):04X} (a lone UTF-16 "
            f"surrogate) at character {exc.start}",
        ) from None
    return value


def _binary(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or value not in (0, 1):
        raise RecordError(path, f"must be 0, 1 or null, not {value!r}")
    return int(value)


def _timestamp(value: Any, path: str) -> str | None:
    text = _string(value, path, nullable=True)
    if text is None:
        return None
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(path, f"is not an ISO 8601 timestamp: {text!r}") from None
    return text


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise RecordError(path, f"must be an object, not {_kind(value)}")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise RecordError(path, f"must be a list, not {_kind(value)}")
    return value


def _extra(obj: dict, known: frozenset[str]) -> dict[str, Any]:
    if obj.keys() <= known:  # the usual case, checked in C
        return {}
    return {k: v for k, v in obj.items() if k not in known}


def _participant(value: Any) -> Participant:
    obj = _object(value, "")
    role = obj.get("role", "unknown")
    if role not in ROLES:
        raise RecordError("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    offender = obj.get("offender")
    if offender is not None and not isinstance(offender, bool):
        raise RecordError("offender", f"must be true, false or null, not {offender!r}")
    return Participant(
        author_id=_string(_require(obj, "author_id"), "author_id", nonempty=True),
        role=role,
        offender=offender,
        extra=_extra(obj, _PARTICIPANT_KEYS),
    )


def _message(value: Any, authors: set[str]) -> Message:
    """One message, checked field by field in the common case's order of cheapness.

    This loop runs for every message of every file (it decides how fast ``score`` reads), so
    a valid field costs one test; the helpers that phrase the error run only when one fails.
    """
    obj = _object(value, "")
    author_id = obj.get("author_id")
    if not (isinstance(author_id, str) and author_id in authors):
        author_id = _string(_require(obj, "author_id"), "author_id", nonempty=True)
        raise RecordError("author_id", f"is not a participant: {author_id!r}")
    text = obj.get("text")
    if not (isinstance(text, str) and text.isascii()):
        text = _string(_require(obj, "text"), "text")
    timestamp = obj.get("timestamp")
    if timestamp is not None:
        _timestamp(timestamp, "timestamp")
    grooming = obj.get("grooming")
    if grooming is not None and (grooming.__class__ is not int or grooming not in (0, 1)):
        grooming = _binary(grooming, "grooming")
    stage = obj.get("stage")
    if stage is not None:
        _string(stage, "stage")
    return Message(author_id, text, timestamp, grooming, stage, _extra(obj, _MESSAGE_KEYS))


def _each(values: list, name: str, read: Callable[[Any], T]) -> list[T]:
    """``read`` applied to every item; an error names the item, e.g. ``messages[3].text``."""
    items = []
    try:
        for item in values:
            items.append(read(item))
    except RecordError as exc:
        raise exc.inside(f"{name}[{len(items)}]") from None
    return items


def conversation_from_dict(data: Any) -> Conversation:
    """Validate one decoded JSON object and build the typed record; raises RecordError."""
    obj = _object(data, "record")
    participants = _each(_list(_require(obj, "participants"), "participants"), "participants",
                         _participant)
    authors: set[str] = set()
    for i, p in enumerate(participants):
        if p.author_id in authors:
            raise RecordError(f"participants[{i}].author_id", f"repeats {p.author_id!r}")
        authors.add(p.author_id)
    messages = _each(_list(_require(obj, "messages"), "messages"), "messages",
                     lambda m: _message(m, authors))
    return Conversation(
        conversation_id=_string(_require(obj, "conversation_id"), "conversation_id",
                                nonempty=True),
        participants=participants,
        messages=messages,
        label=_binary(obj.get("label"), "label"),
        language=_string(obj.get("language"), "language", nullable=True),
        source=_string(obj.get("source"), "source", nullable=True),
        platform=_string(obj.get("platform"), "platform", nullable=True),
        meta=_object({} if obj.get("meta") is None else obj["meta"], "meta"),
        extra=_extra(obj, _CONVERSATION_KEYS),
    )


def conversation_to_dict(conv: Conversation) -> dict[str, Any]:
    """The JSON object for a record, known keys first in a stable order, extras after."""
    return {
        "conversation_id": conv.conversation_id,
        "label": conv.label,
        "language": conv.language,
        "source": conv.source,
        "platform": conv.platform,
        "meta": dict(conv.meta),
        "participants": [
            {"author_id": p.author_id, "role": p.role, "offender": p.offender, **p.extra}
            for p in conv.participants
        ],
        "messages": [
            {
                "author_id": m.author_id,
                "text": m.text,
                "timestamp": m.timestamp,
                "grooming": m.grooming,
                "stage": m.stage,
                **m.extra,
            }
            for m in conv.messages
        ],
        **conv.extra,
    }
