"""The Drechtsteden demo region: its organisations and their supporters of three kinds.

Deterministic (a seeded random generator), so every `samenloket up --demo` shows the same region.
Supporters are written through matching's own store and announced as matching would announce them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES
from contracts.events import SupporterRegistered
from services.kit import db
from services.kit.outbox import publish
from services.matching import store
from services.matching.domain import SupporterRecord

#: The CloudEvents source of what the demo announces on matching's behalf.
MATCHING_SOURCE = "/samenloket/matching"

#: (id, name, decides_on_provisions, kinds it employs, e-mail domain)
ORGANISATIONS: list[tuple[str, str, bool, tuple[str, ...], str]] = [
    ("mee-plus", "MEE Plus", False, ("professional",), "meeplus.example"),
    ("ouderplatform-zhz", "Ouderplatform ZHZ", False, ("volunteer", "experience_expert"), "ouderplatform.example"),
    ("humanitas-drechtsteden", "Humanitas Drechtsteden", False, ("volunteer",), "humanitas.example"),
    ("wijkteam-dordrecht", "Sociaal Wijkteam Dordrecht", True, ("professional",), "wijkteam.example"),
]

#: The demo loket residents and supporters can reach (settings ``loket_*``): clearly not a real number or
#: address (all zeros; the reserved ``example`` domain). A value set in the environment wins.
DEMO_LOKET = {
    "SAMENLOKET_LOKET_NAME": "Samenloket Drechtsteden",
    "SAMENLOKET_LOKET_PHONE": "078 000 00 00",
    "SAMENLOKET_LOKET_EMAIL": "loket@samenloket-drechtsteden.example",
}


def with_demo_loket(env: dict[str, str]) -> dict[str, str]:
    """The services' environment with the demo loket, unless the environment names one itself."""
    return {**DEMO_LOKET, **env}


#: How many supporters each organisation gets in the demo.
SUPPORTERS_PER_ORGANISATION = {
    "mee-plus": 28,
    "ouderplatform-zhz": 22,
    "humanitas-drechtsteden": 12,
    "wijkteam-dordrecht": 6,
}

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
#: 4-digit postcode areas per municipality in the demo region.
POSTCODES = {
    "GM0505": ["3311", "3312", "3313", "3314", "3315", "3316", "3317", "3318", "3319", "3328"],
    "GM0642": ["3331", "3332", "3333", "3334"],
    "GM0590": ["3351", "3352", "3353", "3354", "3355", "3356"],
    "GM0610": ["3361", "3362", "3363", "3364"],
    "GM0482": ["2951", "2952", "2953", "2954"],
    "GM0531": ["3341", "3342", "3343", "3344"],
    "GM1978": ["2964", "2967", "2971", "3381", "4221", "4233"],
}
EXTRA_LANGUAGES = ["en", "ar", "tr", "pl", "ber", "ti", "uk", "so", "ngt"]
SPECIALISMS = ["lvb", "ggz", "sign_language", "youth", "debts", "elderly", "autism", "dementia"]


def demo_supporters(rng: random.Random) -> list[SupporterRecord]:
    """A realistic spread of kinds, domains, languages and capacity over the region."""
    municipalities = list(MUNICIPALITIES)
    domains = list(LIFE_DOMAINS)
    supporters = []
    for org_id, _name, _decides, kinds, mail_domain in ORGANISATIONS:
        for n in range(SUPPORTERS_PER_ORGANISATION[org_id]):
            kind = kinds[n % len(kinds)]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            home = "GM0505" if n % 3 else rng.choice(municipalities)
            served = sorted({home, *rng.sample(municipalities, rng.randint(0, 3))})
            covered = sorted({"wmo", *rng.sample(domains, rng.randint(2, 5))})
            languages = ["nl", *rng.sample(EXTRA_LANGUAGES, rng.choice([0, 0, 0, 1, 1, 2]))]
            supporters.append(
                SupporterRecord(
                    id=f"{org_id}-{n + 1:03d}",
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower().replace(' ', '')}.{n + 1}@{mail_domain}",
                    kind=kind,
                    organisation=org_id,
                    municipalities=served,
                    life_domains=covered,
                    languages=languages,
                    specialisms=sorted(rng.sample(SPECIALISMS, rng.randint(0, 2))),
                    capacity={"professional": rng.randint(12, 25), "volunteer": rng.randint(2, 5)}.get(
                        kind, rng.randint(3, 8)
                    ),
                    postcode=rng.choice(POSTCODES[home]),
                )
            )
    return supporters


async def load_demo(database_url: str) -> dict[str, int]:
    """Write the demo organisations and supporters (idempotent: live case counts are kept)."""
    await db.migrate(database_url, "matching")
    pool = await db.create_pool(database_url, "matching", max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            for org_id, name, decides, _kinds, _domain in ORGANISATIONS:
                await store.upsert_organisation(conn, org_id, name, decides)
            supporters = demo_supporters(random.Random(2026))
            known = {row["id"] for row in await conn.fetch("SELECT id FROM supporters")}
            for supporter in supporters:
                await store.upsert_supporter(conn, supporter)
                if supporter.id not in known:
                    await publish(conn, registered(supporter), MATCHING_SOURCE)
    finally:
        await pool.close()
    return {"organisations": len(ORGANISATIONS), "supporters": len(supporters)}


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
