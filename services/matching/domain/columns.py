"""Supporters and questions in bits and numpy columns: the one form the rules and scores are computed in.

Codes (life domains, languages, specialisms) become bits of a uint64 through a :class:`Vocabulary`;
a set of supporters becomes a :class:`Block` of columns, one row per supporter; a question becomes
:class:`QuestionMasks` in the same vocabulary. A whole pool is indexed with one vocabulary of every
code (at most 64 of a kind, :class:`TooManyCodes` beyond); the candidates of a single decision need
bits for the question's own codes only, so they never run out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from contracts.codes import LIFE_DOMAINS, SUPPORTER_KINDS
from services.matching.domain.model import SupporterRecord, postcode_number
from services.matching.domain.places import Places
from services.matching.domain.view import View

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
#: One value of a question, or a column of them (one per question) when a batch is decided at once.
Term = Any

KIND_CODES = {kind: i for i, kind in enumerate(SUPPORTER_KINDS)}
OTHER_KIND = len(SUPPORTER_KINDS)
UNKNOWN_KIND = 99
MAX_CODES = 64


class TooManyCodes(ValueError):
    """More different codes of one kind than a uint64 has bits: the pool cannot be indexed."""


class Vocabulary:
    """Codes of one kind (domains, languages, specialisms) as bits of a uint64 (at most 64 codes)."""

    def __init__(self, name: str, initial: Iterable[str] = ()) -> None:
        self.name = name
        self.bits: dict[str, int] = {}
        for code in initial:
            self.add(code)

    def add(self, code: str) -> None:
        if code not in self.bits:
            if len(self.bits) >= MAX_CODES:
                raise TooManyCodes(f"more than {MAX_CODES} different {self.name} codes; the index keeps at most 64")
            self.bits[code] = len(self.bits)

    def mask(self, codes: Iterable[str]) -> int:
        """The bits of the known codes (unknown codes have no bit)."""
        m = 0
        for code in codes:
            bit = self.bits.get(code)
            if bit is not None:
                m |= 1 << bit
        return m

    def knows_all(self, codes: Iterable[str]) -> bool:
        return all(code in self.bits for code in codes)


@dataclass(frozen=True)
class Vocabularies:
    domains: Vocabulary
    languages: Vocabulary
    expertise: Vocabulary

    @classmethod
    def of_pool(cls, records: Iterable[SupporterRecord]) -> Vocabularies:
        """Every code of a pool (raises :class:`TooManyCodes`)."""
        found = cls(Vocabulary("life domain", LIFE_DOMAINS), Vocabulary("language"), Vocabulary("specialism"))
        for s in records:
            for code in s.life_domains:
                found.domains.add(code)
            for code in s.languages:
                found.languages.add(code)
            for code in (*s.specialisms, *s.experience_themes):
                found.expertise.add(code)
        return found

    @classmethod
    def of_question(cls, v: View) -> Vocabularies:
        """Only the question's codes: all a single decision needs."""
        return cls(
            Vocabulary("life domain", v.domains),
            Vocabulary("language", v.languages),
            Vocabulary("specialism", v.relevant),
        )


@dataclass(frozen=True)
class QuestionMasks:
    """A question in a vocabulary's bits (computed once per decision); see :data:`Term`."""

    today: int
    domains: Term
    domains_known: Term
    n_domains: Term
    languages: Term
    #: The resident gave no language: any will do (and the language score is neutral).
    any_language: Term
    first_language: Term
    needs: Term
    needs_known: Term
    relevant: Term
    n_relevant: Term
    kind: Term
    any_kind: Term
    postcode: Term
    lat: Term
    lon: Term

    @classmethod
    def of(cls, v: View, vocab: Vocabularies) -> QuestionMasks:
        lat, lon = v.places.lat_lon(v.postcode)
        kind = v.q.preferred_supporter_kind
        return cls(
            today=v.today.toordinal(),
            domains=np.uint64(vocab.domains.mask(v.domains)),
            domains_known=vocab.domains.knows_all(v.domains),
            n_domains=len(v.domains),
            languages=np.uint64(vocab.languages.mask(v.languages)),
            any_language=not v.languages,
            first_language=np.uint64(vocab.languages.mask(v.languages[:1])),
            needs=np.uint64(vocab.expertise.mask(v.needs)),
            needs_known=vocab.expertise.knows_all(v.needs),
            relevant=np.uint64(vocab.expertise.mask(v.relevant)),
            n_relevant=len(v.relevant),
            kind=KIND_CODES.get(kind, UNKNOWN_KIND),
            any_kind=kind == "any",
            postcode=v.postcode if v.postcode is not None else -1,
            lat=lat,
            lon=lon,
        )

    @classmethod
    def stack(cls, masks: Sequence[QuestionMasks], as_column: bool = True) -> QuestionMasks:
        """Many questions decided on the same day at once: each term becomes an array with one entry
        per question, shaped ``(n, 1)`` to broadcast against a row of supporters, or ``(n,)`` to pair
        with ``n`` supporters one to one."""
        shape = (-1, 1) if as_column else (-1,)
        terms = {
            f.name: np.array([getattr(m, f.name) for m in masks]).reshape(shape)
            for f in fields(cls)
            if f.name != "today"
        }
        return cls(today=masks[0].today if masks else 0, **terms)


@dataclass(frozen=True)
class Columns:
    """Supporters as numpy columns, one entry per supporter: what the rules and scores read."""

    active: B
    #: The day (ordinal) a pause ends; 0 when not paused.
    paused: I64
    capacity: I64
    active_cases: I64
    kind: I64
    independent: B
    #: Serves the municipality of the question (``True`` for a block of one municipality's supporters).
    serves: B | bool
    domains: U64
    languages: U64
    specialisms: U64
    #: Specialisms and lived-experience themes.
    expertise: U64
    postcode: I64
    lat: F64
    lon: F64

    def take(self, rows: I64) -> Columns:
        """The columns of ``rows`` only (a 2-D ``rows`` gives 2-D columns, for broadcasting)."""
        serves = self.serves if isinstance(self.serves, bool) else self.serves[rows]
        taken = {f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "serves"}
        return Columns(serves=serves, **taken)


class Block:
    """A set of supporters as :class:`Columns`, with their records: the supporters of one municipality
    in an index, or the candidates of one decision.

    ``records`` may be shared with an index that replaces records as places are booked; ``rows`` are
    this block's positions in it. Only ``active_cases`` changes after building.
    """

    def __init__(
        self,
        records: Sequence[SupporterRecord],
        rows: Sequence[int],
        vocab: Vocabularies,
        independent: Mapping[str, bool],
        places: Places,
        serves: B | bool = True,
        id_rank: I64 | None = None,
    ) -> None:
        """``id_rank``: the order of ``records`` by id, when the caller has it (else it is sorted here)."""
        chosen = [records[r] for r in rows]
        self.records = records
        self.vocab = vocab
        self.rows = np.array(rows, dtype=np.int64)
        self._rows = list(rows)
        self.ids = [s.id for s in chosen]
        self.pos_of = {sid: pos for pos, sid in enumerate(self.ids)}
        #: Order of the supporter ids: equal scores rank by id.
        self.id_rank = id_order(self.ids) if id_rank is None else id_rank[self.rows]
        postcodes = [postcode_number(s.postcode) for s in chosen]
        coords = [places.lat_lon(p) for p in postcodes]
        specialisms = np.array([vocab.expertise.mask(s.specialisms) for s in chosen], dtype=np.uint64)
        self.cols = Columns(
            active=np.array([s.active for s in chosen], dtype=np.bool_),
            paused=np.array([s.paused_until.toordinal() if s.paused_until else 0 for s in chosen], dtype=np.int64),
            capacity=np.array([s.capacity for s in chosen], dtype=np.int64),
            active_cases=np.array([s.active_cases for s in chosen], dtype=np.int64),
            kind=np.array([KIND_CODES.get(s.kind, OTHER_KIND) for s in chosen], dtype=np.int64),
            independent=np.array([independent.get(s.organisation, False) for s in chosen], dtype=np.bool_),
            serves=serves,
            domains=np.array([vocab.domains.mask(s.life_domains) for s in chosen], dtype=np.uint64),
            languages=np.array([vocab.languages.mask(s.languages) for s in chosen], dtype=np.uint64),
            specialisms=specialisms,
            expertise=specialisms
            | np.array([vocab.expertise.mask(s.experience_themes) for s in chosen], dtype=np.uint64),
            postcode=np.array([-1 if p is None else p for p in postcodes], dtype=np.int64),
            lat=np.array([c[0] for c in coords], dtype=np.float64),
            lon=np.array([c[1] for c in coords], dtype=np.float64),
        )

    #: The failure bits of the rules that read only the day, for the day (ordinal) they were computed
    #: for (kept by :func:`services.matching.domain.rules.failures_in`).
    daily_failures: tuple[int, I64] = (-1, np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def record(self, pos: int) -> SupporterRecord:
        """The current record of the supporter at ``pos``."""
        return self.records[self._rows[pos]]

    def positions(self, ids: Iterable[str]) -> list[int]:
        """Positions of those of ``ids`` that are in this block."""
        return [self.pos_of[sid] for sid in ids if sid in self.pos_of]


def id_order(ids: Sequence[str]) -> I64:
    """The rank of each id in sorted order."""
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    return rank


def candidates_block(v: View, candidates: Sequence[SupporterRecord]) -> Block:
    """The candidates of one decision as a block, in bits of the question's own codes."""
    municipality = v.q.municipality
    serves = np.array([municipality in s.municipalities for s in candidates], dtype=np.bool_)
    return Block(candidates, range(len(candidates)), Vocabularies.of_question(v), v.independent, v.places, serves)
