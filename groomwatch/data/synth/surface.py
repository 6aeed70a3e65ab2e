"""Surface realism: platforms, lengths, timestamps and each writer's typing habits.

Nothing here looks at the label: every rate is drawn from the same distribution for offenders,
children and benign writers alike, so a detector cannot separate the classes by how the text
looks, only by what is said.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import cache, lru_cache
from statistics import NormalDist

from groomwatch.data.perturb import PERTURBATIONS, Perturbation
from groomwatch.data.synth.config import NoiseConfig, SynthConfig
from groomwatch.data.synth.grammar import Grammar
from groomwatch.data.synth.safety import noise_created_blocked_word

#: median seconds between messages within a session, per platform
_MEDIAN_GAP = {"game_chat": 9.0, "social_dm": 45.0, "messenger": 25.0, "forum_pm": 420.0}
#: relative activity by hour of day (evenings busiest), the same for every kind of conversation
_HOURS = (2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 6, 7, 9, 10, 10, 10, 11, 12, 11, 8, 4)
_EPOCH = datetime(2024, 1, 1)
#: exp of 4,096 evenly spaced standard-normal quantiles: a log-normal draw is one table lookup
_LOGNORMAL = tuple(math.exp(NormalDist().inv_cdf((i + 0.5) / 4096)) for i in range(4096))
#: share of messages that trail off with a filler word ("lol", "tbh", ...)
_TAIL_RATE = 0.12
#: share of messages in which a writer laughs their own way rather than as the wording has it
_HABIT = 0.85
#: noise that changes letters and so may create new words (checked by the block-list guard) ...
_LETTER_NOISE = ("repeats", "typos", "leet", "spacing")
#: ... and noise that only changes case or adds a symbol
_MESSAGE_NOISE = ("casing", "emoji")


@dataclass(frozen=True)
class WriterStyle:
    """One writer's habits; rates are probabilities as in ``groomwatch.data.perturb``."""

    typos: float
    leet: float
    emoji: float
    casing: float
    spacing: float
    repeats: float
    abbreviations: float
    run_on: float
    tidy: bool
    #: share of messages typed without apostrophes ("dont", "im"): in the real English logs
    #: 91% of the decoys' "im"/"i'm", 66% of the offenders', 53% in chat rooms, 20% in chit-chat
    bare: float = 0.0
    #: share of messages that end with "!"
    exclaim: float = 0.0
    #: the writer's habitual laugh ("lol", "haha"), typed in place of the others; "" for none
    laugh: str = ""

    #: the perturbations this writer applies, in order, skipping those at rate 0, and the same
    #: without the redaction-token check for the many texts without a token (set on init; plain
    #: attributes because render reads them for every message)
    letter_noise: tuple[tuple[Perturbation, float], ...] = field(init=False, repr=False)
    message_noise: tuple[tuple[Perturbation, float], ...] = field(init=False, repr=False)
    token_free_letter_noise: tuple[tuple[Perturbation, float], ...] = field(init=False, repr=False)
    token_free_message_noise: tuple[tuple[Perturbation, float], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for attributes, names in _NOISE_ATTRIBUTES:
            rates = [(name, rate) for name in names if (rate := getattr(self, name)) > 0]
            checked = tuple((PERTURBATIONS[name], rate) for name, rate in rates)
            bare = tuple((_TOKEN_FREE[name], rate) for name, rate in rates)
            object.__setattr__(self, attributes[0], checked)
            object.__setattr__(self, attributes[1], bare)


_NOISE_ATTRIBUTES = (
    (("letter_noise", "token_free_letter_noise"), _LETTER_NOISE),
    (("message_noise", "token_free_message_noise"), _MESSAGE_NOISE),
)
#: each perturbation without its redaction-token check (the same function if it has none)
_TOKEN_FREE = {name: getattr(p, "token_free", p) for name, p in PERTURBATIONS.items()}
#: habits drawn the same way for every writer (leetspeak and tidiness are drawn apart)
_DRAWN_RATES = tuple(
    f.name
    for f in fields(WriterStyle)
    if f.init and f.name not in ("tidy", "leet", "bare", "exclaim", "laugh")
)


@dataclass(frozen=True)
class Register:
    """How a kind of chat is typed, whoever types it and whatever the label.

    Measured on the real English corpora (shares of messages): instant messages (the PJ logs)
    start with a capital 11% of the time and end with "!" 1%; public chat rooms (NPS) 12% and
    6%, with "u" for "you" rare; everyday typed chat between adults (BYU chit-chat) 71% and
    12%, and "u" almost never. Grooming is written in the instant-message register, and so are
    most look-alikes (parents, coaches, teenagers, dating, gaming).
    """

    #: factor on each writer's chat-abbreviation rate
    abbreviations: float = 1.0
    #: share of tidy writers (capital first letter); None: ``NoiseConfig.tidy_writers``
    tidy: float | None = None
    #: upper bound of a writer's share of messages that end with "!"
    exclaim: float = 0.03


REGISTERS = {
    "im": Register(),
    "room": Register(abbreviations=0.15, exclaim=0.12),
    "formal": Register(abbreviations=0.1, tidy=0.3, exclaim=0.12),
}


def writer_style(
    rng: random.Random,
    noise: NoiseConfig,
    child: bool = False,
    register: str = "im",
    laugh: str = "",
) -> WriterStyle:
    """Most writers are a little sloppy, a few very; leetspeak is a habit of a few only.

    Children abbreviate most: in the real English logs the decoys posing as children write "u"
    for "you" 88% of the time, adults in chat rooms 24% and the offenders 46%. Children are in
    both classes, so this says who is writing, not the label.
    """
    kind = REGISTERS[register]
    rates = {name: getattr(noise, name) * rng.random() ** 1.5 for name in _DRAWN_RATES}
    if child:
        rates["abbreviations"] = noise.abbreviations * (0.6 + 0.4 * rng.random())
    rates["abbreviations"] *= kind.abbreviations
    leet = noise.leet * rng.random() if rng.random() < 0.15 else 0.0
    tidy_share = noise.tidy_writers if kind.tidy is None else kind.tidy
    tidy = rng.random() < tidy_share * (0.3 if child else 1.0)
    bare = 0.0 if tidy else (0.6 + 0.4 * rng.random() if child else rng.random())
    exclaim = kind.exclaim * rng.random()
    return WriterStyle(leet=leet, tidy=tidy, bare=bare, exclaim=exclaim, laugh=laugh, **rates)


def render(text: str, rng: random.Random, style: WriterStyle, grammar: Grammar) -> str:
    """Write a clean grammar expansion the way this writer types."""
    # abbreviated part by part: each part is a wording that recurs, so its split is cached
    text = grammar.abbreviate(text, rng, style.abbreviations)
    if style.bare and rng.random() < style.bare:
        text = text.replace("'", "")
    if rng.random() < style.run_on:
        more = grammar.abbreviate(grammar.expand("tell", rng), rng, style.abbreviations)
        text = f"{text}, {more}"
    if rng.random() < _TAIL_RATE:
        text = f"{text} {grammar.abbreviate(grammar.expand('tail', rng), rng, style.abbreviations)}"
    if style.laugh and rng.random() < _HABIT and grammar.laugh_pattern.search(text):
        text = grammar.laugh_pattern.sub(style.laugh, text)
    if rng.random() < style.exclaim and text and text[-1] not in "?!.":
        text += "!!" if rng.random() < 0.2 else "!"
    if style.tidy and text:
        text = text[0].upper() + text[1:]
    noisy = text
    for perturb, rate in style.letter_noise if "[" in text else style.token_free_letter_noise:
        noisy = perturb(noisy, rng, rate)
    if noisy != text and noise_created_blocked_word(text, noisy):
        noisy = text
    plain = noisy and "[" not in noisy  # the checked versions leave empty text alone
    for perturb, rate in style.token_free_message_noise if plain else style.message_noise:
        noisy = perturb(noisy, rng, rate)
    return noisy


def message_count(rng: random.Random, config: SynthConfig) -> int:
    """Heavy-tailed: mostly short chats, a few of hundreds of messages."""
    drawn = rng.lognormvariate(math.log(config.length_median), config.length_sigma)
    return max(config.min_messages, min(config.max_messages, round(drawn)))


def platform(rng: random.Random, config: SynthConfig) -> str:
    names = sorted(config.platforms)
    return rng.choices(names, weights=[config.platforms[p] for p in names])[0]


def timestamps(
    rng: random.Random,
    count: int,
    platform_name: str,
    restarts: frozenset[int] | set[int] = frozenset(),
) -> list[str]:
    """ISO timestamps: quick replies within a session, now and then a break of hours or days;
    the messages at ``restarts`` open a new session one to four days later."""
    hour = rng.choices(range(24), weights=_HOURS)[0]
    day = rng.randrange(730)
    seconds = hour * 3600 + rng.randrange(3600)  # since midnight of that day
    median = _MEDIAN_GAP[platform_name]
    clock, draw, lognormal, size = _clock_times(), rng.random, _LOGNORMAL, len(_LOGNORMAL)
    stamps = []
    for index in range(count):
        if index in restarts:
            seconds += round(86400 * (1 + 3 * draw()))
        days, second = divmod(seconds, 86400)
        stamps.append(_date_prefix(day + days) + clock[second])
        roll = draw()
        if roll < 0.03:
            gap = 1200 + (36 * 3600 - 1200) * roll / 0.03  # a break: uniform over 20 min to 36 h
        else:
            gap = median * lognormal[int(draw() * size)]  # log-normal, sigma 1
        seconds += max(1, round(gap))
    return stamps


@cache
def _clock_times() -> tuple[str, ...]:
    """The clock time of every second of a day, built once: formatting dominates a stamp's cost."""
    return tuple(
        f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
    )


@lru_cache(maxsize=4096)
def _date_prefix(day: int) -> str:
    """``YYYY-MM-DDT`` of the day ``day`` days after the epoch."""
    return (_EPOCH + timedelta(days=day)).date().isoformat() + "T"
