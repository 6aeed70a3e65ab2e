"""Small labelled conversation sets for detector tests, built by hand-written templates.

Grooming conversations mix a few grooming-behaviour lines (neutral wording, no sexual content)
into ordinary chat; benign ones are ordinary chat with look-alike lines (ages, parents, photos
in innocent contexts), so a detector has to learn more than one keyword.
"""

from __future__ import annotations

import random

import pytest

from groomwatch.data.record import Conversation, Message, Participant

GROOMING_LINES = [
    "you are so mature for your age",
    "dont tell your parents about our chats ok",
    "are you home alone right now",
    "lets keep this our little secret",
    "delete our messages after you read them",
    "you can trust me more than your friends",
    "nobody understands you like i do",
    "can we move to a private app",
    "send me a picture of you just for me",
    "i could buy you a gift card if you want",
    "where do your parents think you are",
    "we should meet up without telling anyone",
]
BENIGN_LINES = [
    "did you finish the maths homework",
    "what game are you playing tonight",
    "my mum says dinner is ready",
    "that match was so good yesterday",
    "send me the picture of your dog lol",
    "are you going to the party on saturday",
    "my parents bought a new car",
    "how old is your little brother now",
    "i have football practice at five",
    "did you watch the new episode",
    "our teacher gave us so much reading",
    "lets play again tomorrow after school",
    "haha that meme is hilarious",
    "i cant find my charger anywhere",
    "keep the party a secret from my sister its her birthday",
    "my parents are not home so im cooking alone",
    "delete that photo of me i look awful",
    "you can borrow my game if you want",
]
FILLER = ["ok", "lol", "yeah", "hmm", "cool", "sure", "idk", "nice", "omg", "k"]


def make_conversation(rng: random.Random, index: int, label: int, n_messages: int) -> Conversation:
    authors = ["a", "b"]  # "a" is the offender in grooming conversations
    messages = []
    for i in range(n_messages):
        if label and i % 2 == 0 and rng.random() < 0.5:
            text, grooming = rng.choice(GROOMING_LINES), 1
        else:
            text, grooming = rng.choice(BENIGN_LINES), 0
        if rng.random() < 0.5:
            text = f"{rng.choice(FILLER)} {text}"
        messages.append(
            Message(author_id=authors[i % 2], text=text, grooming=grooming if label else 0)
        )
    return Conversation(
        conversation_id=f"c{index}",
        participants=[
            Participant(author_id="a", role="adult", offender=bool(label)),
            Participant(author_id="b", role="child", offender=False),
        ],
        messages=messages,
        label=label,
        language="en",
    )


def make_split(seed: int, n: int, prevalence: float = 0.3) -> list[Conversation]:
    rng = random.Random(seed)
    return [
        make_conversation(
            rng, seed * 100_000 + i, int(rng.random() < prevalence), rng.randint(4, 30)
        )
        for i in range(n)
    ]


def conversation(texts: list[str], label: int | None = None) -> Conversation:
    """A hand-written two-party conversation, authors alternating a, b."""
    return Conversation(
        conversation_id="hand",
        participants=[Participant(author_id="a"), Participant(author_id="b")],
        messages=[Message(author_id="ab"[i % 2], text=t) for i, t in enumerate(texts)],
        label=label,
    )


@pytest.fixture(scope="session")
def splits() -> dict[str, list[Conversation]]:
    """train / validation / test, disjoint by seed."""
    return {
        "train": make_split(1, 300),
        "validation": make_split(2, 120),
        "test": make_split(3, 150),
    }


@pytest.fixture(scope="session")
def hand_conversation():
    """The builder of hand-written conversations (test modules cannot import conftest)."""
    return conversation


#: benign lines repeated into a long chat, and the one grooming line hidden among them
BENIGN_LINES = [
    "did you finish the maths homework",
    "what game are you playing tonight",
    "that match was so good yesterday",
    "i have football practice at five",
    "did you watch the new episode",
    "haha that meme is hilarious",
    "i cant find my charger anywhere",
]
GROOMING_LINE = "dont tell your parents about our chats ok"
#: where ``long_chat`` puts the grooming line
LINE_AT = 100


@pytest.fixture(scope="session")
def long_chat():
    """200 benign messages, with the grooming line as message ``LINE_AT`` if asked: what
    multiple-instance pooling must not average away."""

    def build(with_line: bool):
        texts = [BENIGN_LINES[i % len(BENIGN_LINES)] for i in range(200)]
        if with_line:
            texts.insert(LINE_AT, GROOMING_LINE)
        return conversation(texts)

    return build


_TRAINED: dict[str, object] = {}


@pytest.fixture(scope="session")
def train(splits):
    """Train a detector once per session with fast settings; later calls reuse it."""
    from groomwatch.models.registry import create_detector

    def trained(name: str):
        if name not in _TRAINED:
            detector = create_detector(name, **FAST_PARAMS[name])
            _TRAINED[name] = detector.fit(splits["train"], splits["validation"])
        return _TRAINED[name]

    return trained


@pytest.fixture(scope="session")
def tfidf_sublinear(splits):
    """tfidf-lr with ``sublinear_tf`` (1 + log count), trained once per session."""
    from groomwatch.models.tfidf_lr import TfidfLogisticDetector

    return TfidfLogisticDetector(sublinear_tf=True).fit(splits["train"], splits["validation"])


#: Settings small enough for the default suite on a 2-core CPU.
FAST_PARAMS: dict[str, dict] = {
    "tfidf-lr": {},
    # chunked pooling is covered by static-lr; one-message chunks let embedding-lr embed each
    # distinct template line once and exercise the incremental mean-pool window
    "static-lr": {"messages_per_chunk": 2},
    "embedding-lr": {"messages_per_chunk": 1},
    "exemplar": {"embedder": "static"},
    "finetune": {"max_length": 64, "epochs": 1, "batch_size": 16, "lr": 5e-5},
    "ensemble": {
        "members": [
            {"model": "tfidf-lr"},
            {"model": "static-lr", "params": {"hidden": 16, "hidden_epochs": 60}},
        ]
    },
}
