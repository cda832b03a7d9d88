"""The demo of a region (its region file's organisations and ``[demo]`` section): supporters of three kinds.

Deterministic (a seeded random generator), so every `samenloket up --demo` shows the same region.
Supporters are written through matching's own store and announced as matching would announce them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from contracts.codes import LIFE_DOMAINS
from contracts.events import SupporterRegistered
from services.kit import db
from services.kit.outbox import publish
from services.kit.region import Demo, Organisation, Region, use_region
from services.matching import store
from services.matching.domain import SupporterRecord
from services.matching.store.organisations import set_coordinator_email

#: The CloudEvents source of what the demo announces on matching's behalf.
MATCHING_SOURCE = "/samenloket/matching"


def demo_of(region: Region) -> Demo:
    """The region's demo section; a region file without one cannot run ``--demo``."""
    if region.demo is None:
        raise SystemExit(f"samenloket: the region file of {region.name} has no [demo] section to run --demo with")
    return region.demo


def mail_domain(organisation: Organisation) -> str:
    """Where the organisation's (fictional) supporters get mail: its coordinator's domain."""
    return organisation.coordinator_email.rpartition("@")[2] or f"{organisation.id}.example"


FIRST_NAMES = [
    "Anouk",
    "Bram",
    "Chantal",
    "Daan",
    "Esra",
    "Fleur",
    "Gijs",
    "Hatice",
    "Iris",
    "Joost",
    "Karin",
    "Lars",
    "Mohamed",
    "Noor",
    "Olga",
    "Pieter",
    "Rachida",
    "Sanne",
    "Tim",
    "Ursula",
    "Vera",
    "Willem",
    "Yusuf",
    "Zoë",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Yilmaz",
    "El Amrani",
    "Kowalski",
    "van Dijk",
    "Verhoeven",
]
EXTRA_LANGUAGES = ["en", "ar", "tr", "pl", "ber", "ti", "uk", "so", "ngt"]
SPECIALISMS = ["lvb", "ggz", "sign_language", "youth", "debts", "elderly", "autism", "dementia"]


def demo_supporters(rng: random.Random, region: Region) -> list[SupporterRecord]:
    """A realistic spread of kinds, domains, languages and capacity over the region."""
    demo = demo_of(region)
    municipalities = list(region.municipality_names)
    largest = max(demo.weights, key=lambda code: demo.weights[code])
    domains = list(LIFE_DOMAINS)
    supporters = []
    for planned in demo.organisations:
        organisation = region.organisation(planned.id)
        assert organisation is not None  # the region file's validation checked it
        for n in range(planned.supporters):
            kind = planned.kinds[n % len(planned.kinds)]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            home = largest if n % 3 else rng.choice(municipalities)
            served = sorted({home, *rng.sample(municipalities, rng.randint(0, min(3, len(municipalities))))})
            covered = sorted({"wmo", *rng.sample(domains, rng.randint(2, 5))})
            languages = ["nl", *rng.sample(EXTRA_LANGUAGES, rng.choice([0, 0, 0, 1, 1, 2]))]
            supporters.append(
                SupporterRecord(
                    id=f"{planned.id}-{n + 1:03d}",
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower().replace(' ', '')}.{n + 1}@{mail_domain(organisation)}",
                    kind=kind,
                    organisation=planned.id,
                    municipalities=served,
                    life_domains=covered,
                    languages=languages,
                    specialisms=sorted(rng.sample(SPECIALISMS, rng.randint(0, 2))),
                    capacity={"professional": rng.randint(12, 25), "volunteer": rng.randint(2, 5)}.get(
                        kind, rng.randint(3, 8)
                    ),
                    postcode=rng.choice(demo.postcodes[home]),
                )
            )
    return supporters


async def load_demo(database_url: str, region: Region) -> dict[str, int]:
    """Write the region's organisations and its demo supporters (idempotent: live case counts are kept)."""
    use_region(region)  # matching's store checks supporters against the region served
    await db.migrate(database_url, "matching")
    pool = await db.create_pool(database_url, "matching", max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            for organisation in region.organisations:
                await store.upsert_organisation(conn, organisation.id, organisation.name, not organisation.independent)
                await set_coordinator_email(conn, organisation.id, organisation.coordinator_email or None)
            supporters = demo_supporters(random.Random(2026), region)
            known = {row["id"] for row in await conn.fetch("SELECT id FROM supporters")}
            for supporter in supporters:
                await store.upsert_supporter(conn, supporter)
                if supporter.id not in known:
                    await publish(conn, registered(supporter), MATCHING_SOURCE)
    finally:
        await pool.close()
    return {"organisations": len(region.organisations), "supporters": len(supporters)}


def registered(supporter: SupporterRecord) -> SupporterRegistered:
    """The announcement matching makes of a new supporter (reporting counts capacity from it)."""
    return SupporterRegistered.model_validate(
        {
            "supporter_id": supporter.id,
            "organisation": supporter.organisation,
            "kind": supporter.kind,
            "municipalities": list(supporter.municipalities),
            "life_domains": list(supporter.life_domains),
            "languages": list(supporter.languages),
            "specialisms": list(supporter.specialisms),
            "experience_themes": list(supporter.experience_themes),
            "capacity": supporter.capacity,
            "postcode": supporter.postcode,
            "registered_at": datetime.now(UTC),
        }
    )
