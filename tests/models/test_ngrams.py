"""The numpy n-gram counters count what scikit-learn's word and char_wb analyzers produce."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from groomwatch.models.ngrams import CharNgramCounter, WordNgramCounter

TEXTS = [
    "Are you  home alone? u r",
    "dont tell your parents, dont",
    "Grüße aus München 😀😀 bis morgen",
    "",
    "lol ok ok",
]


@pytest.mark.parametrize(
    ("counter", "vectorizer"),
    [
        (CharNgramCounter((2, 4)), CountVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
        (WordNgramCounter((1, 2)), CountVectorizer(ngram_range=(1, 2), token_pattern=r"\b\w+\b")),
    ],
)
def test_counts_match_scikit_learn(counter, vectorizer):
    """Per text: the same number of n-grams and of distinct n-grams (char_wb's special case
    for words shorter than n aside, which these texts avoid for n <= 4)."""
    counts = counter.fit_transform(TEXTS)
    expected = vectorizer.fit_transform(TEXTS)
    np.testing.assert_array_equal(counts.sum(axis=1), expected.sum(axis=1))
    np.testing.assert_array_equal(counts.getnnz(axis=1), expected.getnnz(axis=1))
    assert counts.shape[1] == expected.shape[1]


def test_transform_ignores_unknown_ngrams_and_min_df_prunes():
    counter = CharNgramCounter((3, 3), min_df=2)
    counter.fit_transform(["abc", "abc", "xyz"])
    assert len(counter.vocabulary) == 3  # " ab", "abc", "bc " appear in two texts; xyz in one
    np.testing.assert_array_equal(counter.transform(["xyz abc"]).toarray(), [[1, 1, 1]])
    assert counter.transform([]).shape == (0, 3)


def test_max_features_keeps_the_most_frequent():
    counter = WordNgramCounter((1, 1), max_features=1)
    counter.fit_transform(["ok ok lol", "ok hi"])
    assert counter.transform(["ok lol ok", "hi"]).toarray().tolist() == [[2], [0]]


@pytest.mark.parametrize("counter", [CharNgramCounter((2, 4)), WordNgramCounter((1, 2))])
def test_a_nul_inside_a_text_is_a_space_not_a_text_boundary(counter):
    counts = counter.fit_transform(["one two", "one\0two", "three"])
    np.testing.assert_array_equal(counts[0].toarray(), counts[1].toarray())
    assert counts.shape[0] == 3 and counts[2].sum() > 0
