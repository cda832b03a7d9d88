"""A privacy officer's key limited to a municipality handles that municipality's residents only.

Issue 14, row 7: a key limited to GM0505 erased a GM1978 resident and read the whole region's audit
log. Now such a key erases and reads the audit entries of residents with a question in its own
municipality only; any other resident is answered as unknown (404), and the listing of the log
leaves out every other resident's entries. A key without a municipality still handles the region.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.intake.audit import ref_digest
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


async def key_with(intake: RunningService, *scopes: str, municipality: str | None = None) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes), municipality)
    return {"Authorization": f"Bearer {key}"}


def question(municipality: str, contact: dict[str, str]) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "life_domains": ["wmo"],
        "description": f"Ik zoek hulp bij de Wmo-aanvraag {uuid.uuid4().hex}.",
        "postcode": "3311",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }


def person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Joost Gemeente {tag}", "email": f"joost.{tag}@example.nl"}


async def resident_in(intake: RunningService, *municipalities: str) -> tuple[str, list[str]]:
    """A resident with a question in each municipality, each contact read once; (ref, question ids)."""
    staff = await key_with(intake, "staff")
    contact = person()
    ids = []
    for municipality in municipalities:
        response = await intake.client.post("/api/v1/questions", json=question(municipality, contact), headers=staff)
        assert response.status_code == 202, response.text
        ids.append(response.json()["question_id"])
    refs = set()
    for question_id in ids:
        read = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
        assert read.status_code == 200, read.text
        refs.add(read.json()["resident_ref"])
    [ref] = refs
    return ref, ids


async def audit(intake: RunningService, key: dict[str, str], ref: str | None = None) -> Any:
    params = {"resident_ref": ref, "limit": 1000} if ref else {"limit": 1000}
    return await intake.client.get("/api/v1/audit", params=params, headers=key)


async def test_an_officer_of_one_municipality_cannot_erase_a_resident_of_another(intake: RunningService) -> None:
    dordrecht = await key_with(intake, "privacy-officer", municipality="GM0505")
    elsewhere, _ = await resident_in(intake, "GM1978")

    refused = await intake.client.delete(f"/api/v1/residents/{elsewhere}", headers=dordrecht)

    assert refused.status_code == 404 and "niet bekend" in refused.json()["detail"]
    still = await intake.runtime.db.fetchval("SELECT 1 FROM residents WHERE resident_ref = $1", uuid.UUID(elsewhere))
    assert still == 1
    # The regional officer (no municipality) may; so may Dordrecht's for a resident with a question there.
    local, _ = await resident_in(intake, "GM1978", "GM0505")
    assert (await intake.client.delete(f"/api/v1/residents/{local}", headers=dordrecht)).status_code == 202
    region = await key_with(intake, "privacy-officer")
    assert (await intake.client.delete(f"/api/v1/residents/{elsewhere}", headers=region)).status_code == 202


async def test_an_officer_of_one_municipality_reads_only_its_residents_audit_entries(intake: RunningService) -> None:
    dordrecht = await key_with(intake, "privacy-officer", municipality="GM0505")
    region = await key_with(intake, "privacy-officer")
    other, other_ids = await resident_in(intake, "GM1978")
    mine, mine_ids = await resident_in(intake, "GM0505")
    both, both_ids = await resident_in(intake, "GM1978", "GM0505")

    # One resident's entries: another municipality's resident is unknown to this key.
    assert (await audit(intake, dordrecht, other)).status_code == 404
    assert len((await audit(intake, region, other)).json()["entries"]) == 1
    own = await audit(intake, dordrecht, mine)
    assert own.status_code == 200 and [e["question_id"] for e in own.json()["entries"]] == mine_ids
    shared = (await audit(intake, dordrecht, both)).json()["entries"]
    assert sorted(e["question_id"] for e in shared) == sorted(both_ids)  # a resident of Dordrecht: all of them

    # The whole log: nothing of the other municipality's resident, everything of ours.
    listed = (await audit(intake, dordrecht)).json()["entries"]
    digests = {e["resident_digest"] for e in listed}
    assert ref_digest(other) not in digests and {ref_digest(mine), ref_digest(both)} <= digests
    assert not set(other_ids) & {e["question_id"] for e in listed}
    everything = (await audit(intake, region)).json()["entries"]
    assert ref_digest(other) in {e["resident_digest"] for e in everything}

    # After the erasure the entries (and the erasure itself) stay readable to the municipality's officer.
    assert (await intake.client.delete(f"/api/v1/residents/{mine}", headers=dordrecht)).status_code == 202
    after = await audit(intake, dordrecht, mine)
    assert after.status_code == 200
    assert [e["action"] for e in after.json()["entries"]] == ["resident.erase", "contact.read"]
    other_officer = await key_with(intake, "privacy-officer", municipality="GM0590")
    assert (await audit(intake, other_officer, mine)).status_code == 404


async def test_the_databases_digest_of_a_ref_is_the_audit_logs(intake: RunningService) -> None:
    ref = str(uuid.uuid4())
    assert await intake.runtime.db.fetchval("SELECT resident_ref_digest($1::uuid)", ref) == ref_digest(ref)
