"""Text perturbations shared by the synthetic generator's surface noise and robustness checks.

Every function has the signature ``(text, rng, rate) -> str`` so callers can pick them by name
from ``PERTURBATIONS``. ``rate`` is a probability per character, word or message (as each
docstring says); 0 leaves the text unchanged. Redaction tokens such as ``[SEXUAL_CONTENT]`` are
never altered, so the content a token stands for stays machine-recognisable after noise.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable

Perturbation = Callable[[str, random.Random, float], str]

_TOKEN = re.compile(r"(\[[A-Z_]+\])")

#: Neighbouring keys on a QWERTY/QWERTZ/AZERTY-agnostic approximation: the letters beside each.
_NEIGHBOURS = {
    "a": "qsz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "wa",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "xa",
}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}
EMOJI = (
    "😂",
    "🤣",
    "😊",
    "🙂",
    "😅",
    "😉",
    "😎",
    "🙃",
    "😭",
    "😩",
    "😳",
    "🤔",
    "🙄",
    "😬",
    "😴",
    "👍",
    "👋",
    "🙏",
    "💀",
    "🔥",
    "✨",
    "❤️",
    "💯",
    "👀",
    "🤷",
    ":)",
    ":D",
    ";)",
    "xD",
    ":(",
    "^^",
    ":P",
)
_VOWELS = set("aeiouyäöüéèàóąęo")


def _outside_tokens(func: Perturbation) -> Perturbation:
    """Apply ``func`` to the text between redaction tokens only."""

    def wrapper(text: str, rng: random.Random, rate: float) -> str:
        if rate <= 0 or not text:
            return text
        if "[" not in text:
            return func(text, rng, rate)
        parts = _TOKEN.split(text)
        for i in range(0, len(parts), 2):  # odd indices hold the tokens
            parts[i] = func(parts[i], rng, rate)
        return "".join(parts)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    #: the bare function, for callers that already know the text has no token and rate > 0
    wrapper.token_free = func  # type: ignore[attr-defined]
    return wrapper


def _positions(length: int, rng: random.Random, rate: float) -> list[int]:
    """Indices hit with probability ``rate`` each, drawn by geometric jumps (fast at low rates)."""
    if rate >= 1:
        return list(range(length))
    log_miss = math.log1p(-rate)
    index = int(math.log(1.0 - rng.random()) / log_miss)
    if index >= length:  # the common case at chat noise rates: no hit at all
        return []
    hits = [index]
    while True:
        index += 1 + int(math.log(1.0 - rng.random()) / log_miss)
        if index >= length:
            return hits
        hits.append(index)


@_outside_tokens
def typos(text: str, rng: random.Random, rate: float) -> str:
    """Per letter: drop it, double it, swap it with the next or hit a neighbouring key."""
    hits = _positions(len(text), rng, rate)
    if not hits:
        return text
    chars = list(text)
    for i in reversed(hits):
        char = chars[i]
        if not char.isalpha():
            continue
        kind = rng.random()
        if kind < 0.25:
            chars[i] = ""
        elif kind < 0.45:
            chars[i] = char + char
        elif kind < 0.7 and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], char
        else:
            near = _NEIGHBOURS.get(char.lower())
            if near:
                chars[i] = near[int(rng.random() * len(near))]
    return "".join(chars)


@_outside_tokens
def leet(text: str, rng: random.Random, rate: float) -> str:
    """Per replaceable letter: write it as a digit (e -> 3, o -> 0, ...)."""
    hits = _positions(len(text), rng, rate)
    if not hits:
        return text
    chars = list(text)
    for i in hits:
        chars[i] = _LEET.get(chars[i].lower(), chars[i])
    return "".join(chars)


def emoji(text: str, rng: random.Random, rate: float) -> str:
    """Per message: add one emoji or emoticon (sometimes repeated) at the end or the start."""
    if rate <= 0 or rng.random() >= rate:
        return text
    symbol = rng.choice(EMOJI) * (1 + (rng.random() < 0.2) + (rng.random() < 0.1))
    if not text:
        return symbol
    return f"{symbol} {text}" if rng.random() < 0.1 else f"{text} {symbol}"


@_outside_tokens
def casing(text: str, rng: random.Random, rate: float) -> str:
    """Per message: write it all lower case, all upper case or with a capital first letter."""
    if rng.random() >= rate:
        return text
    kind = rng.random()
    if kind < 0.6:
        return text.lower()
    if kind < 0.7:
        return text.upper()
    return text[:1].upper() + text[1:]


@_outside_tokens
def spacing(text: str, rng: random.Random, rate: float) -> str:
    """Per space: drop it or double it."""
    hits = _positions(len(text), rng, rate)
    if not hits:
        return text
    chars = list(text)
    for i in hits:
        if chars[i] == " ":
            chars[i] = "" if rng.random() < 0.7 else "  "
    return "".join(chars)


@_outside_tokens
def repeats(text: str, rng: random.Random, rate: float) -> str:
    """Per word: stretch its last vowel or final letter ("so" -> "sooo", "hey" -> "heyyy")."""
    hits = _positions(text.count(" ") + 1, rng, rate)
    if not hits:
        return text
    words = text.split(" ")
    for i in hits:
        word = words[i]
        for j in range(len(word) - 1, -1, -1):
            if word[j].lower() in _VOWELS or (j == len(word) - 1 and word[j] in "!?y"):
                words[i] = word[: j + 1] + word[j] * (1 + int(rng.random() * 4)) + word[j + 1 :]
                break
    return " ".join(words)


PERTURBATIONS: dict[str, Perturbation] = {
    "typos": typos,
    "leet": leet,
    "emoji": emoji,
    "casing": casing,
    "spacing": spacing,
    "repeats": repeats,
}
