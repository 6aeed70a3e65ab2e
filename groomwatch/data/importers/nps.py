"""NPS Chat corpus (Forsyth & Martell 2007, distributed with NLTK) → conversation records.

Each XML file is one session of an age-banded public chat room, named ``DATE-BAND_Nposts.xml``
(``10-26-teens_706posts.xml``; bands ``teens``, ``20s``, ``30s``, ``40s``, ``adults``). A file
becomes one record, label 0, source ``nps``, platform ``chatroom``: real chat-room talk with
flirting, crude talk and age/sex/location questions and no grooming, the hard negatives at hand.

Each ``<Post class=ACT user=NAME>text<terminals>…</terminals></Post>`` is one message whose
text is the element's own text (not the token list); ``class`` (the dialogue act) is kept as
the message's ``act``. The room's band is each participant's ``age_band``; role is ``unknown``
in the teens room (ages 13–19 mixed with whoever joins) and ``adult`` elsewhere. Room events
(``JOIN``, ``PART``, ``NICK`` system posts) are nobody's words: they are left out and counted
in ``meta.room_events_left_out``.

``plain=True`` also removes the corpus's own markup from the text: the anonymised user names
people address each other by (``10-19-20sUser7``, in over a third of the posts) and the
``.ACTION`` prefix of ``/me`` posts. No other chat carries these strings, so a model trained
with them learns "this is NPS" rather than anything about the talk; posts left empty are
dropped and counted in ``meta.posts_left_empty``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.parsers.expat import ErrorString

from groomwatch.data.importers.common import NoProgress, Progress, require_file, same_id
from groomwatch.data.pseudonymise import AuthorMap
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import InputError

SOURCE = "nps"
PLATFORM = "chatroom"
AGE_BANDS = ("teens", "20s", "30s", "40s", "adults")
_FILE_NAME = re.compile(r"^(?P<session>.+?-(?P<band>teens|20s|30s|40s|adults))_\w*$")
_ROOM_EVENT = re.compile(r"^(JOIN|PART|NICK)\b")
_MARKUP = re.compile(r"\b\d+-\d+-(?:teens|20s|30s|40s|adults)User\d+\b|^\.ACTION\b")
_SPACES = re.compile(r"\s{2,}")


def age_band(path: Path) -> str:
    """The room's age band from the file name; a name that does not carry one is an error."""
    match = _FILE_NAME.match(path.stem)
    if match is None:
        raise InputError(
            f"{path}: the file name names no age band (expected e.g. 10-26-teens_706posts.xml "
            f"with one of {', '.join(AGE_BANDS)})"
        )
    return match["band"]


def iter_nps(
    directory: Path,
    *,
    author_map: AuthorMap = same_id,
    progress: Progress | None = None,
    plain: bool = False,
) -> Iterator[Conversation]:
    """Yield one record per XML file of ``directory``, in file-name order."""
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    files = sorted(p for p in directory.glob("*.xml") if p.is_file())
    if not files:
        raise InputError(f"{directory}: holds no .xml files")
    bands = {path: age_band(path) for path in files}  # every name checked before any output
    progress = progress or NoProgress()
    progress.start(len(files), "files")
    for path in files:
        yield _session(path, bands[path], author_map, plain)
        progress.advance(1)


def _parse(path: Path) -> ET.Element:
    require_file(path)
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(
            f"{path}:{exc.position[0]}: not well-formed XML or not UTF-8 "
            f"({ErrorString(exc.code)})"
        ) from None


def plain_text(text: str) -> str:
    """``text`` without NPS's anonymised user names and ``.ACTION`` prefix."""
    return _SPACES.sub(" ", _MARKUP.sub("", text)).strip()


def _session(path: Path, band: str, author_map: AuthorMap, plain: bool) -> Conversation:
    messages: list[Message] = []
    room_events = left_empty = 0
    for number, post in enumerate(_parse(path).iter("Post"), start=1):
        user, act = post.get("user"), post.get("class")
        if not user:
            raise InputError(f"{path}: post number {number} has no user attribute")
        text = (post.text or "").strip()
        if act == "System" and _ROOM_EVENT.match(text):
            room_events += 1
            continue
        if plain:
            text = plain_text(text)
            if not text:
                left_empty += 1
                continue
        messages.append(Message(author_map(user), text, extra={"act": act} if act else {}))
    if not messages:
        raise InputError(f"{path}: holds no <Post> elements with text")
    role = "unknown" if band == "teens" else "adult"
    authors = dict.fromkeys(m.author_id for m in messages)
    return Conversation(
        f"nps-{path.stem}",
        [Participant(a, role, False, extra={"age_band": band}) for a in authors],
        messages,
        label=0,
        language="en",
        source=SOURCE,
        platform=PLATFORM,
        meta={"room": band, "room_events_left_out": room_events}
        | ({"posts_left_empty": left_empty} if plain else {}),
    )
