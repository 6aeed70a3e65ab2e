"""Grooming cues counted per message: how the generator's class priors are set and checked.

Real offender logs differ from real look-alike chat less in vocabulary than in how often some
behaviours come up: asking the age, testing whether a parent is near, asking for secrecy or a
private channel, photos, compliments on looks or maturity, gifts, meeting. Each cue is a
regular expression per language over lower-cased text; ``cue_rates`` gives the share of
messages showing each cue, the figure the dataset card sets beside the same rates measured on
the real corpora (``REAL_RATES``). The patterns are coarse on purpose: they measure priors, they
are not a detector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

from groomwatch.data.record import Conversation

CUES = (
    "age",
    "school",
    "alone",
    "location",
    "secrecy",
    "private",
    "photo",
    "looks",
    "gift",
    "meet",
)

#: English patterns, searched in lower-cased text
_EN = {
    "age": r"how old|\basl\b|\bage\b|\bages\b|years? old|\by/?o\b|what grade|what year are",
    "school": r"\bschool|\bgrade\b|\bteacher|\bclass(es)?\b|homework|\bsummer break",
    "alone": r"\balone\b|by ur ?self|by your ?self|\bparents?\b|\bmom\b|\bmum\b|\bdad\b|"
    r"\bur mom|who(?:'s| is) home|anyone home|\bhome alone",
    "location": r"where (do )?(u|you) live|where (r|are) (u|you) from|\bwhat (city|town|state)\b|"
    r"\bhow far\b|\bnear (u|you|me)\b|\bwhere( r| are)? (u|you) at\b|\bzip\b|\baddress\b",
    "secrecy": r"\bsecret|don'?t tell|dont tell|nobody (has to |needs to )?know|"
    r"no ?one (has to |needs to )?know|\bdelete\b|between (us|u and me|you and me)|"
    r"\bin trouble\b|\bjail\b|\bcops?\b",
    "private": r"\bphone\b|\bnumber\b|\bcell\b|\bcall (u|you|me)\b|\btext (u|you|me)\b|"
    r"\byahoo\b|\bmsn\b|\baim\b|\bmyspace\b|\bemail\b|\bsnap(chat)?\b|\bwhatsapp\b|\bkik\b|"
    r"\bdiscord\b|\bdm\b|\bprivate\b",
    "photo": r"\bpics?\b|\bpix\b|\bpicture|\bphotos?\b|\bcam\b|\bwebcam|\bvideo\b|\bselfie",
    "looks": r"\bcute\b|\bpretty\b(?! (good|much|sure|well|cool|bad|fun|busy|nice|hard|easy|"
    r"interesting|awesome|great|funny|tired|big|fast|long|close|similar|different|normal|old))|\bbeautiful\b|\bhot\b|\bsexy\b|\bgorgeous\b|\bmature\b|"
    r"\bgrown up\b|\bolder than\b|\blook(s|ing)? (good|nice|older)\b",
    "gift": r"\bgifts?\b|\bpresent\b|\bbuy (u|you)\b|\bget (u|you) (a|some|something)\b|"
    r"\bgift ?card\b|\bi'?ll pay\b",
    "meet": r"\bmeet\b|\bmeeting\b|\bcome over\b|\bpick (u|you) up\b|\bdrive (to|over|up)\b|"
    r"\bhang ?out\b|\bsee (u|you) in person\b|\bin person\b|\bcome (see|get) (u|you)\b",
}

PATTERNS: dict[str, dict[str, str]] = {"en": _EN}


@cache
def _compiled(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = PATTERNS.get(language) or PATTERNS["en"]
    return tuple((cue, re.compile(patterns[cue])) for cue in CUES)


def message_cues(text: str, language: str = "en") -> set[str]:
    """The cues one message shows."""
    lower = text.lower()
    return {cue for cue, pattern in _compiled(language) if pattern.search(lower)}


def cue_rates(texts: Iterable[str], language: str = "en") -> dict[str, float]:
    """Share of ``texts`` showing each cue (all zero for no texts)."""
    counts = dict.fromkeys(CUES, 0)
    total = 0
    compiled = _compiled(language)
    for text in texts:
        total += 1
        lower = text.lower()
        for cue, pattern in compiled:
            if pattern.search(lower):
                counts[cue] += 1
    return {cue: counts[cue] / total if total else 0.0 for cue in CUES}


def conversation_cue_rates(
    conversations: Sequence[Conversation], label: int, language: str
) -> dict[str, float]:
    """Per-message cue rates over every message of the conversations of one label and language."""
    texts = (
        m.text
        for c in conversations
        if c.label == label and (c.language or "en") == language
        for m in c.messages
    )
    return cue_rates(texts, language)


#: Per-message cue rates measured with ``cue_rates`` on the real English corpora (rates only, no
#: text) on 2026-12-03: all 569,727 lines of the 525 Perverted-Justice offenders and the 537,376
#: lines of their decoys (``../shared/datasets/pj``, E. Koutli's 2023 cleaning), the 10,567 posts
#: of the NPS Chat rooms (Forsyth and Martell 2007) and the 258,145 messages of BYU Chit-Chat.
REAL_RATES: dict[str, dict[str, float]] = {
    "pj_offender": {
        "age": 0.0052,
        "school": 0.0060,
        "alone": 0.0126,
        "location": 0.0035,
        "secrecy": 0.0044,
        "private": 0.0150,
        "photo": 0.0138,
        "looks": 0.0160,
        "gift": 0.0009,
        "meet": 0.0116,
    },
    "pj_decoy": {
        "age": 0.0027,
        "school": 0.0057,
        "alone": 0.0158,
        "location": 0.0014,
        "secrecy": 0.0028,
        "private": 0.0115,
        "photo": 0.0076,
        "looks": 0.0070,
        "gift": 0.0003,
        "meet": 0.0049,
    },
    "nps": {
        "age": 0.0033,
        "school": 0.0014,
        "alone": 0.0024,
        "location": 0.0007,
        "secrecy": 0.0009,
        "private": 0.0059,
        "photo": 0.0054,
        "looks": 0.0066,
        "gift": 0.0003,
        "meet": 0.0009,
    },
    "chitchat": {
        "age": 0.0029,
        "school": 0.0328,
        "alone": 0.0098,
        "location": 0.0014,
        "secrecy": 0.0018,
        "private": 0.0056,
        "photo": 0.0039,
        "looks": 0.0131,
        "gift": 0.0007,
        "meet": 0.0042,
    },
}
