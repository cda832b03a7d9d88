"""A question prepared once per decision: de-duplicated codes, the postcode as a number, the day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from services.matching.domain.model import Organisation, Question, postcode_number
from services.matching.domain.places import NO_PLACES, Places


@dataclass(frozen=True, slots=True)
class View:
    """What the rules, scores and explanations read of one question (and the world it is decided in)."""

    q: Question
    domains: tuple[str, ...]
    languages: tuple[str, ...]
    #: Domains and needs: where a specialism or lived experience fits.
    relevant: tuple[str, ...]
    needs: tuple[str, ...]
    previous: frozenset[str]
    postcode: int | None
    today: date
    organisations: Mapping[str, Organisation]
    #: Organisation id → independent of whoever decides on provisions.
    independent: Mapping[str, bool]
    places: Places

    @classmethod
    def of(
        cls,
        q: Question,
        organisations: Mapping[str, Organisation],
        today: date | None = None,
        places: Places = NO_PLACES,
        independent: Mapping[str, bool] | None = None,
    ) -> View:
        """``today`` decides who is paused (default: the real today). ``independent``: what
        :func:`independence` says of ``organisations``, when the caller has it already."""
        domains = tuple(dict.fromkeys(q.life_domains))
        needs = tuple(dict.fromkeys(q.needs))
        return cls(
            q=q,
            domains=domains,
            languages=tuple(q.languages),
            relevant=tuple(dict.fromkeys((*domains, *needs))),
            needs=needs,
            previous=frozenset(q.previous_supporters),
            postcode=postcode_number(q.postcode),
            today=today or date.today(),
            organisations=organisations,
            independent=independence(organisations) if independent is None else independent,
            places=places,
        )


def independence(organisations: Mapping[str, Organisation]) -> dict[str, bool]:
    """Organisation id → independent of whoever decides on provisions."""
    return {o.id: not o.decides_on_provisions for o in organisations.values()}
