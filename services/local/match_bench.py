"""`samenloket match-bench`: the matching engine's own benchmark (in process, no broker, no database).

It reports, as JSON (targets in ARCHITECTURE.md):

- ``decision``: latency of one matching decision (:meth:`SupporterIndex.evaluate` plus building the
  winner's reasons) with 50,000 synthetic supporters: p50, p99, max in milliseconds;
- ``batch``: re-optimising 10,000 waiting questions over 5,000 supporters with
  :func:`~services.matching.optimise.assign_waiting` — seconds, questions placed as a share of
  :func:`~services.matching.optimise.max_assignable` (exact, by maximum flow) and the objective as
  a share of :func:`~services.matching.optimise.optimal_objective` (exact, by column generation to
  the proven optimum).

The synthetic region looks like the Drechtsteden demo: seven municipalities, Dordrecht the largest;
professionals, volunteers and experience experts with 2–5 life domains, some extra languages,
specialisms and lived-experience themes; capacity from 2 to 25 with part of it in use; questions
with 1–3 domains, a kind preference, sometimes a second language, a required specialism, a
deciding referrer or an earlier supporter. Everything is seeded, so runs compare.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.codes import LIFE_DOMAINS
from services.kit.region import region_of
from services.matching import optimise
from services.matching.domain import Organisation, Question, SupporterIndex, SupporterRecord
from services.matching.postcodes import region_places

ORGANISATIONS = {
    "mee": Organisation("mee", "MEE Plus", False),
    "ouderplatform": Organisation("ouderplatform", "Ouderplatform", False),
    "humanitas": Organisation("humanitas", "Humanitas", False),
    "zorgbelang": Organisation("zorgbelang", "Zorgbelang", False),
    "schuldhulp": Organisation("schuldhulp", "Schuldhulpmaatje", False),
    "ervaring": Organisation("ervaring", "Ervaringswijzer", False),
    "wijkteam": Organisation("wijkteam", "Sociaal Wijkteam", True),
    "jeugdteam": Organisation("jeugdteam", "Jeugdteam", True),
}
KIND_ORGS = {
    "professional": ["mee", "zorgbelang", "wijkteam", "jeugdteam"],
    "volunteer": ["humanitas", "schuldhulp", "ouderplatform"],
    "experience_expert": ["ervaring", "ouderplatform"],
}
POSTCODES = {
    "GM0505": ["3311", "3312", "3313", "3314", "3315", "3316", "3317", "3318", "3319", "3328"],
    "GM0642": ["3331", "3332", "3333", "3334"],
    "GM0590": ["3351", "3352", "3353", "3354", "3355", "3356"],
    "GM0610": ["3361", "3362", "3363", "3364"],
    "GM0482": ["2951", "2952", "2953", "2954"],
    "GM0531": ["3341", "3342", "3343", "3344"],
    "GM1978": ["2964", "2967", "2971", "3381", "4221"],
}
#: Relative number of residents per municipality.
POPULATION = {"GM0505": 12, "GM0642": 4, "GM0590": 3, "GM0610": 2, "GM0482": 2, "GM0531": 3, "GM1978": 4}
EXTRA_LANGUAGES = ["en", "ar", "tr", "pl", "ber", "ti", "uk", "so", "ngt"]
SPECIALISMS = ["lvb", "ggz", "sign_language", "youth", "debts", "elderly", "autism", "dementia"]


def _municipality(rng: random.Random) -> str:
    return rng.choices(list(POPULATION), weights=list(POPULATION.values()))[0]


def synthetic_supporters(n: int, seed: int = 1, busy: float = 0.7) -> list[SupporterRecord]:
    """``n`` supporters; ``busy``: the expected share of capacity already in use."""
    rng = random.Random(seed)
    domains = list(LIFE_DOMAINS)
    out = []
    for i in range(n):
        kind = rng.choices(["professional", "volunteer", "experience_expert"], weights=[5, 3, 2])[0]
        home = _municipality(rng)
        served = sorted({home, *rng.sample(list(region_of().municipality_names), rng.choice([0, 0, 1, 1, 2]))})
        capacity = {"professional": rng.randint(8, 25), "volunteer": rng.randint(2, 5)}.get(kind, rng.randint(3, 8))
        used = min(capacity, round(capacity * rng.uniform(busy - 0.3, busy + 0.3)))
        out.append(
            SupporterRecord(
                id=f"s{i:06d}",
                name=f"Ondersteuner {i}",
                email=f"s{i}@bench.example",
                kind=kind,
                organisation=rng.choice(KIND_ORGS[kind]),
                municipalities=tuple(served),
                life_domains=tuple(sorted(rng.sample(domains, rng.randint(2, 5)))),
                languages=("nl", *rng.sample(EXTRA_LANGUAGES, rng.choice([0, 0, 0, 1, 1, 2]))),
                specialisms=tuple(sorted(rng.sample(SPECIALISMS, rng.randint(0, 2)))),
                capacity=capacity,
                active_cases=max(0, used),
                postcode=rng.choice(POSTCODES[home]),
                active=rng.random() > 0.03,
                paused_until=date(2100, 1, 1) if rng.random() < 0.02 else None,
                experience_themes=tuple(rng.sample(SPECIALISMS, 2)) if kind == "experience_expert" else (),
            )
        )
    return out


def synthetic_questions(n: int, supporters: list[SupporterRecord], seed: int = 2) -> list[Question]:
    """``n`` questions; a tenth come back to an earlier supporter. No duos (``wants_duo=False``)."""
    rng = random.Random(seed)
    domains = list(LIFE_DOMAINS)
    serving: dict[str, list[str]] = {}
    for s in supporters:
        for m in s.municipalities:
            serving.setdefault(m, []).append(s.id)
    out = []
    for i in range(n):
        municipality = _municipality(rng)
        extra = rng.sample(EXTRA_LANGUAGES[:-1], 1) if rng.random() < 0.12 else []
        languages = tuple(extra) if extra and rng.random() < 0.2 else (*extra, "nl")
        previous = (rng.choice(serving[municipality]),) if rng.random() < 0.1 and serving.get(municipality) else ()
        out.append(
            Question(
                question_id=f"q{i:06d}",
                municipality=municipality,
                life_domains=tuple(rng.sample(domains, rng.choices([1, 2, 3], weights=[5, 3, 1])[0])),
                preferred_supporter_kind=rng.choices(
                    ["any", "professional", "volunteer", "experience_expert"], weights=[6, 2, 1, 1]
                )[0],
                languages=languages,
                postcode=rng.choice(POSTCODES[municipality]),
                referrer=rng.choice(["wijkteam", "huisarts", "school", None]),
                needs=(rng.choice(SPECIALISMS),) if rng.random() < 0.05 else (),
                previous_supporters=previous,
                wants_duo=False,
            )
        )
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_decisions(supporters: int, decisions: int, seed: int = 1) -> dict[str, Any]:
    """Latency of single decisions against an index of ``supporters`` (booking the winner each time)."""
    pool = synthetic_supporters(supporters, seed, busy=0.5)
    started = time.perf_counter()
    index = SupporterIndex(pool, ORGANISATIONS, region_places())
    built = time.perf_counter() - started
    questions = synthetic_questions(decisions, pool, seed + 1)
    today = date(2025, 6, 1)
    for q in questions[:50]:  # warm up caches and numpy's dispatch
        index.evaluate(q, limit=10, today=today)
    latencies, verdicts = [], {"assign": 0, "wait": 0, "consult": 0}
    for q in questions:
        t0 = time.perf_counter()
        evaluation = index.evaluate(q, limit=10, today=today)
        if evaluation.ranked:
            winner = evaluation.ranked[0]
            winner.top_reasons(3)
            index.book(winner.supporter.id)
        elif evaluation.verdict.value == "consult":
            evaluation.consultation_candidates()
        latencies.append((time.perf_counter() - t0) * 1000)
        verdicts[evaluation.verdict.value] += 1
    return {
        "supporters": supporters,
        "decisions": decisions,
        "index_build_s": round(built, 3),
        "p50_ms": round(_percentile(latencies, 0.50), 3),
        "p99_ms": round(_percentile(latencies, 0.99), 3),
        "max_ms": round(max(latencies), 3),
        "mean_ms": round(statistics.fmean(latencies), 3),
        "verdicts": verdicts,
        "target_p99_ms": 5.0,
    }


def bench_batch(waiting: int, supporters: int, seed: int = 3) -> dict[str, Any]:
    """Re-optimise ``waiting`` questions over ``supporters``; compare with the exact yardsticks."""
    pool = synthetic_supporters(supporters, seed)
    questions = synthetic_questions(waiting, pool, seed + 1)
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)
    rng = random.Random(seed + 2)
    since = {q.question_id: now - timedelta(hours=rng.uniform(0, 60 * 24)) for q in questions}
    started = time.perf_counter()
    result = optimise.assign_waiting(questions, since, pool, ORGANISATIONS, now, places=region_places())
    seconds = time.perf_counter() - started
    t0 = time.perf_counter()
    best = optimise.max_assignable(questions, pool, ORGANISATIONS, now)
    flow_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    optimum = optimise.optimal_objective(questions, since, pool, ORGANISATIONS, now, places=region_places())
    exact_seconds = time.perf_counter() - t0
    placed = len({row[0] for row in result})
    value = optimise.objective(result, since, now)
    free = sum(max(0, s.capacity - s.active_cases) for s in pool if s.active)
    return {
        "waiting_questions": waiting,
        "supporters": supporters,
        "free_places": free,
        "seconds": round(seconds, 3),
        "assigned": placed,
        "max_assignable": best,
        "assigned_share_of_max": round(placed / best, 5) if best else 1.0,
        "objective": round(value, 3),
        "optimal_objective": round(optimum, 3),
        "objective_share_of_optimum": round(value / optimum, 6) if optimum else 1.0,
        "max_flow_seconds": round(flow_seconds, 3),
        "exact_optimum_seconds": round(exact_seconds, 3),
        "target_seconds": 5.0,
        "target_share_of_optimum": 0.995,
    }


def run(
    supporters: int = 50_000, decisions: int = 2_000, waiting: int = 10_000, batch_supporters: int = 5_000
) -> dict[str, Any]:
    """Both parts of the benchmark, as one JSON-ready dict."""
    return {
        "decision": bench_decisions(supporters, decisions),
        "batch": bench_batch(waiting, batch_supporters),
    }
