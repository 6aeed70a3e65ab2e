"""Read a technology's predictions CSV and join it to the labelled conversation records.

Any technology can be assessed, so the CSV is the contract: ``conversation_id,score`` and
optionally ``flag`` (the deployed decision), ``author_id`` (PAN12 task 1 rows) and
``warning_at`` (messages seen when an early warning fired). Every problem is counted and a few
examples are shown, so a provider can fix the whole file in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError, InputError

REQUIRED_COLUMNS = ("conversation_id", "score")
OPTIONAL_COLUMNS = ("flag", "author_id", "warning_at")
LEVELS = ("conversation", "author")
RECORD_FIELDS = ("language", "source", "platform")
MISSING_GROUP = "(missing)"
_SHOWN = 5
#: how rows of one conversation (or author) are folded into one
_FOLD = {"score": "max", "flag": "any", "warning_at": "min"}
_FLAG_VALUES = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False}


def _examples(items: Sequence[object]) -> str:
    shown = ", ".join(str(item) for item in items[:_SHOWN])
    return shown + (", ..." if len(items) > _SHOWN else "")


def _fail_rows(path: Path, frame: pd.DataFrame, bad: pd.Series, column: str, problem: str) -> None:
    """Raise one InputError: how many rows break a rule, and the first few (CSV line, value)."""
    if not bad.any():
        return
    rows = frame.index[bad]
    examples = [f"line {i + 2} ({frame.at[i, column]!r})" for i in rows[:_SHOWN]]
    raise InputError(f"{path}: {int(bad.sum())} row(s) {problem}, e.g. {_examples(examples)}")


def read_predictions(path: str | Path, *, flags_from_scores: bool = True) -> pd.DataFrame:
    """Parse and validate a predictions CSV (see ``validate_predictions``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    return validate_predictions(frame, path, flags_from_scores=flags_from_scores)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed predictions table as the strings a CSV would hold (missing values empty)."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


def validate_predictions(
    frame: pd.DataFrame, path: str | Path, *, flags_from_scores: bool = True
) -> pd.DataFrame:
    """Check a table of strings; columns come back typed (score float, flag bool, ...).

    Scores outside [0, 1] are only allowed when a ``flag`` column carries the decision and the
    caller does not derive flags from the score itself.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(frame.columns) or 'none'}"
        )
    if frame.empty:
        raise InputError(f"{path}: holds no predictions")
    frame = frame[[c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in frame.columns]]
    _fail_rows(path, frame, frame["conversation_id"].str.strip() == "", "conversation_id",
               "have an empty conversation_id")
    score = pd.to_numeric(frame["score"], errors="coerce")
    _fail_rows(path, frame, ~np.isfinite(score), "score", "have a score that is not a number")
    if flags_from_scores or "flag" not in frame.columns:
        _fail_rows(path, frame, (score < 0) | (score > 1), "score",
                   "have a score outside [0, 1] (give a flag column to use another scale)")
    out = pd.DataFrame({"conversation_id": frame["conversation_id"].str.strip(), "score": score})
    if "flag" in frame.columns:
        flag = frame["flag"].str.strip().str.lower().map(_FLAG_VALUES)
        _fail_rows(path, frame, flag.isna(), "flag", "have a flag that is not 0/1/true/false")
        out["flag"] = flag.astype(bool)
    if "author_id" in frame.columns:
        out["author_id"] = frame["author_id"].str.strip()
        _fail_rows(path, frame, out["author_id"] == "", "author_id", "have an empty author_id")
    if "warning_at" in frame.columns:
        text = frame["warning_at"].str.strip()
        warning = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & ~((warning >= 1) & (warning == np.floor(warning)))
        _fail_rows(path, frame, bad, "warning_at",
                   "have a warning_at that is not empty or a whole number of messages >= 1")
        out["warning_at"] = warning
    key = ["conversation_id", "author_id"] if "author_id" in out.columns else ["conversation_id"]
    duplicated = out.duplicated(key, keep="first")
    _fail_rows(path, out, duplicated, "conversation_id", f"repeat a {' + '.join(key)} seen before")
    return out


def _group_value(conv: Conversation, field: str) -> str:
    value = getattr(conv, field) if field in RECORD_FIELDS else conv.meta.get(field)
    return MISSING_GROUP if value is None or value == "" else str(value)


def check_group_fields(fields: Sequence[str], conversations: Sequence[Conversation]) -> None:
    """A group field must be a record field or a ``meta`` key present in at least one record."""
    for field in fields:
        if field in RECORD_FIELDS or any(field in c.meta for c in conversations):
            continue
        raise ConfigError(
            f"--group-by {field!r}: not a record field ({', '.join(RECORD_FIELDS)}) "
            "nor a meta key of any conversation"
        )


def _check_ids(path: str, predicted: set[str], known: set[str], what: str) -> None:
    unknown = sorted(predicted - known)
    if unknown:
        raise InputError(
            f"{path}: {len(unknown)} {what}(s) not in the data, e.g. {_examples(unknown)}"
        )
    unscored = sorted(known - predicted)
    if unscored:
        raise InputError(
            f"{path}: {len(unscored)} {what}(s) of the data have no prediction, "
            f"e.g. {_examples(unscored)}"
        )


def join_conversations(
    predictions: pd.DataFrame,
    conversations: Sequence[Conversation],
    *,
    source: str,
    group_by: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per conversation: ``id, y, score`` (+ ``flag``, ``warning_at``, group columns).

    Rows per participant (an ``author_id`` column) are folded into their conversation with the
    highest score, any flag and the earliest warning.
    """
    by_id = {c.conversation_id: c for c in conversations}
    _check_ids(source, set(predictions["conversation_id"]), set(by_id), "conversation_id")
    unlabelled = [cid for cid, c in by_id.items() if c.label is None]
    if unlabelled:
        raise InputError(
            f"{len(unlabelled)} conversation(s) of the data have no label, "
            f"e.g. {_examples(sorted(unlabelled))}"
        )
    folded = predictions.groupby("conversation_id", sort=False).agg(
        {c: _FOLD[c] for c in predictions.columns if c in _FOLD}
    )
    items = pd.DataFrame({"id": folded.index.astype(str)})
    convs = [by_id[cid] for cid in items["id"]]
    items["y"] = np.array([c.label for c in convs], dtype=np.int8)
    for column in folded.columns:
        items[column] = folded[column].to_numpy()
    items["n_messages"] = np.array([len(c.messages) for c in convs], dtype=np.int64)
    if "warning_at" in items.columns:
        late = items["warning_at"] > items["n_messages"]
        if late.any():
            raise InputError(
                f"{source}: {int(late.sum())} warning_at value(s) exceed the conversation's "
                f"message count, e.g. {_examples(list(items.loc[late, 'id']))}"
            )
    check_group_fields(group_by, conversations)
    for field in group_by:
        items[f"group:{field}"] = [_group_value(c, field) for c in convs]
    return items


def join_authors(
    predictions: pd.DataFrame, conversations: Sequence[Conversation], *, source: str
) -> pd.DataFrame:
    """One row per author (PAN12 task 1): truth is the participants' ``offender`` flag.

    An author who appears in several conversations is an offender if marked so in any of them,
    and gets the highest of their scores and any of their flags.
    """
    if "author_id" not in predictions.columns:
        raise InputError(f"{source}: --level author needs an author_id column")
    truth: dict[str, bool] = {}
    unlabelled: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for conv in conversations:
        for p in conv.participants:
            pairs.add((conv.conversation_id, p.author_id))
            if p.offender is None:
                unlabelled.add(p.author_id)
            else:
                truth[p.author_id] = truth.get(p.author_id, False) or p.offender
    predicted = set(zip(predictions["conversation_id"], predictions["author_id"], strict=True))
    _check_ids(
        source,
        {f"{c}/{a}" for c, a in predicted},
        {f"{c}/{a}" for c, a in pairs},
        "conversation_id/author_id pair",
    )
    missing = sorted(unlabelled - set(truth))
    if missing:
        raise InputError(
            f"{len(missing)} author(s) have no offender label in the data, "
            f"e.g. {_examples(missing)}"
        )
    folded = predictions.groupby("author_id", sort=False).agg(
        {c: _FOLD[c] for c in predictions.columns if c in ("score", "flag")}
    )
    items = pd.DataFrame({"id": folded.index.astype(str)})
    items["y"] = np.array([truth[a] for a in items["id"]], dtype=np.int8)
    for column in folded.columns:
        items[column] = folded[column].to_numpy()
    return items
