"""HTTP entry points of matching, one module per resource: the supporter registry (organisations,
supporters), the life of an assignment, the joint consultation, and the internal contact route.

``/api/v1`` is for coordinators: an API key with the ``coordinator`` scope (``samenloket apikey
create --scope coordinator``), or the internal token for calls between services. A key tied to a
municipality sees and changes only that municipality's supporters, assignments and consultations.
A coordinator's key is also bound to its organisation in the supporter registry: it registers, reads
and changes only that organisation's supporters (see :mod:`.supporters`), and sets only that
organisation's coordinator address (:mod:`.organisations`).
A supporter's e-mail address leaves matching only through the internal contact route (for
notifications), never on a topic or in a listing.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.kit.runtime import Runtime
from services.matching.container import Container
from services.matching.http import assignments, consultations, internal, organisations, supporters


def routers(rt: Runtime, c: Container) -> list[APIRouter]:
    return [
        internal.router(rt),
        organisations.router(rt),
        supporters.router(rt, c),
        assignments.router(rt, c),
        consultations.router(rt, c),
    ]
