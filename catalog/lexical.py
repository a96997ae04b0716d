"""Lexical (BM25) scoring of products, with typo correction against the catalog's words.

Dense vectors find meaning but blur exact words (a brand, "merino", "gtx"); BM25
scores those. The bulk of the catalog is scored by ``bm25s`` (a sparse matrix of
precomputed term scores); products added or changed since the last build form a
small delta scored here with the same formula and the same statistics, so an
update does not rebuild the matrix; loading a saved index builds it afresh, the
delta folded in.

A query reads only the postings of its terms (:meth:`LexicalIndex.matches`), and
only the rows they match are masked and ranked, where a dense array of every
product was scored, masked and ranked before; rare words then cost only their few
rows (common words still touch most rows: :data:`DENSE_SUM_RATIO`).

Typo tolerance: a query word the catalog never uses is replaced by the catalog
word closest in edit distance (1 edit for words of 5-8 letters, 2 from 9), so
"waterprof jaket" searches "waterproof jacket" in both BM25 and the encoder.

Example:
    >>> lexical = LexicalIndex.build(["Waterproof rain jacket", "Cast iron pan"])
    >>> lexical.correct("waterprof jaket")
    'waterproof jacket'
    >>> int(lexical.scores("rain jackets").argmax())
    0
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

__all__ = ["LexicalIndex", "stem", "tokenize"]

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

K1 = 1.5
B = 0.75
DENSE_SUM_RATIO = 16
"""Postings from which a query's scores are summed over every row, not sorted and merged. On
the benchmark queries at 50k rows (common words match 40-60 % of them) summing over every row
took 0.25 ms at p90 where sorting took 1.1 ms; with a 1/16 switch-over point the p90 stayed
0.25 ms, and a query of rare words at a million rows still costs only its postings."""
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_TEXT_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_STOPWORD_TEXT = (
    "a an and are as at be but by for from has have i in is it its me my of on or our so "
    "that the their this to was we with you your want need looking some any"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """Strips English plural endings so "jackets" matches "jacket" (a light, safe stemmer)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Returns the lower-case words of ``text``, stopwords included."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def tokenize(text: str) -> list[str]:
    """Returns the BM25 terms of ``text``: lower-case words, no stopwords, plurals stemmed."""
    return [stem(word) for word in words(text) if word not in STOPWORDS]


def max_edits(word: str) -> int:
    """Edits allowed when correcting ``word``: short words are too ambiguous to correct.

    Four-letter words are left alone: "trip" is one edit from "grip", and most
    short words a catalog lacks are plain English, not typos.
    """
    if len(word) < 5 or word.isdigit():
        return 0
    return 1 if len(word) < 9 else 2


class LexicalIndex:
    """BM25 over product texts by row, plus typo correction from the catalog's vocabulary."""

    def __init__(self, tokens: Sequence[Sequence[str]], surface_words: Counter[str]) -> None:
        """Indexes tokenised documents; ``surface_words`` counts the unstemmed words seen."""
        self._surface = surface_words
        self._surface_list = list(surface_words)
        self._vocab: dict[str, int] = {}
        self._base_tokens = [self._ids(doc, grow=True) for doc in tokens]
        self._base_count = len(self._base_tokens)
        self._df = np.zeros(len(self._vocab) + 1, dtype=np.int64)
        lengths = np.zeros(self._base_count, dtype=np.float64)
        for row, doc in enumerate(self._base_tokens):
            self._df[np.unique(doc)] += 1
            lengths[row] = len(doc)
        self._avgdl = float(lengths.mean()) if len(lengths) else 1.0
        self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        empty = len(self._vocab)
        self._vocab[""] = empty  # bm25s scores documents without terms through this token
        docs = [doc.tolist() or [empty] for doc in self._base_tokens]
        self._bm25.index((docs, dict(self._vocab)), show_progress=False)
        self._base_vocab = len(self._vocab)
        self._delta: dict[int, Counter[int]] = {}
        self._correct = lru_cache(maxsize=4096)(self._correct_word)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Tokenises and indexes ``texts``; row ``i`` is ``texts[i]``."""
        surface: Counter[str] = Counter()
        tokens = []
        for text in texts:
            surface.update(words(text))
            tokens.append(tokenize(text))
        return cls(tokens, surface)

    def __len__(self) -> int:
        """Returns the number of rows scored (base plus delta)."""
        return max([self._base_count - 1, *self._delta]) + 1

    def _ids(self, doc: Sequence[str], *, grow: bool) -> np.ndarray:
        """Maps terms to ids; with ``grow`` unknown terms get new ids, else they are dropped."""
        if grow:
            return np.array([self._vocab.setdefault(t, len(self._vocab)) for t in doc], np.int64)
        return np.array([self._vocab[t] for t in doc if t in self._vocab], np.int64)

    def set_row(self, row: int, text: str) -> None:
        """Indexes ``text`` as row ``row`` (a new or changed product) in the delta."""
        self._surface.update(words(text))
        self._surface_list = list(self._surface)
        self._correct.cache_clear()
        doc = self._ids(tokenize(text), grow=True)
        self._delta[row] = Counter(int(term) for term in doc)

    def correct(self, text: str) -> str:
        """Replaces each word the catalog never uses by its closest catalog word, if any.

        Everything else (case, "$", "&") is kept, so filters can still be read from it.
        """

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            corrected = self._correct(word.lower())
            return word if corrected == word.lower() else corrected

        return _TEXT_WORD.sub(fix, text.replace("\u2019", "'"))

    def _correct_word(self, word: str) -> str:
        if word in self._surface or word in STOPWORDS or max_edits(word) == 0:
            return word
        match = process.extractOne(
            word,
            self._surface_list,
            scorer=Levenshtein.distance,
            score_cutoff=max_edits(word),
        )
        return str(match[0]) if match else word

    def scores(self, query: str, *, typo_tolerant: bool = True) -> np.ndarray:
        """Returns the BM25 score of every row for ``query`` (0 where no term matches).

        Rows in the delta are scored from their delta text; the caller masks
        deleted rows.
        """
        rows, scores = self.matches(query, typo_tolerant=typo_tolerant)
        out = np.zeros(len(self), dtype=np.float32)
        out[rows] = scores
        return out

    def matches(self, query: str, *, typo_tolerant: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Returns ``(rows, scores)``: the rows matching a term of ``query``, ascending, and
        their BM25 scores (as :meth:`scores` gives them, without the zeros)."""
        text = self.correct(query) if typo_tolerant else query
        terms = [int(t) for t in dict.fromkeys(self._ids(tokenize(text), grow=False).tolist())]
        rows, scores = self._base_matches([term for term in terms if term < self._base_vocab])
        if not self._delta or not terms:
            return rows, scores
        delta = {row: self._delta_score(terms, counts) for row, counts in self._delta.items()}
        keep = ~np.isin(rows, list(delta))
        matched = [(row, score) for row, score in sorted(delta.items()) if score > 0]
        rows = np.concatenate([rows[keep], np.array([r for r, _ in matched], np.int64)])
        scores = np.concatenate([scores[keep], np.array([s for _, s in matched], np.float32)])
        order = np.argsort(rows, kind="stable")
        return rows[order], scores[order]

    def _base_matches(self, terms: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Sums the precomputed per-term scores of bm25s's term-major (CSC) matrix."""
        matrix = self._bm25.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        spans = [slice(indptr[term], indptr[term + 1]) for term in terms]
        if not spans:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        if len(spans) == 1:
            return indices[spans[0]].astype(np.int64), data[spans[0]].astype(np.float32)
        hits = np.concatenate([indices[span] for span in spans])
        weights = np.concatenate([data[span] for span in spans])
        if len(hits) * DENSE_SUM_RATIO > self._base_count:
            # Common words: one pass over every row beats sorting most of them.
            summed = np.bincount(hits, weights=weights, minlength=self._base_count)
            rows = np.flatnonzero(summed)
            return rows, summed[rows].astype(np.float32)
        rows, inverse = np.unique(hits, return_inverse=True)
        summed = np.bincount(inverse, weights=weights)
        return rows.astype(np.int64), summed.astype(np.float32)

    def _delta_score(self, terms: list[int], counts: Counter[int]) -> float:
        """Scores one delta document with bm25s's Lucene formula and the base statistics."""
        length = sum(counts.values())
        total = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if not tf:
                continue
            df = int(self._df[term]) if term < len(self._df) else 0
            idf = np.log(1 + (self._base_count - df + 0.5) / (df + 0.5))
            norm = tf + K1 * (1 - B + B * length / self._avgdl)
            total += float(idf) * tf / norm
        return total

    @property
    def delta_size(self) -> int:
        """Rows indexed since the last build; rebuild when this grows large."""
        return len(self._delta)
