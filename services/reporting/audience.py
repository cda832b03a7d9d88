"""Who may read which figures: the area a report key may ask for.

Report readers are keys with scope ``analyst``, ``council`` or ``municipality``. A key tied to one
municipality sees that municipality only; a key without one (a regional analyst, a regional
council) sees the region as a whole and every municipality in it. Every audience gets suppressed
figures; this module only decides the area.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from fastapi.exceptions import RequestValidationError

from services.kit.access import Principal
from services.kit.region import current_region

#: The scopes that may read reports.
READERS = ("analyst", "council", "municipality")


def resolve_area(principal: Principal, requested: str | None) -> str | None:
    """The area to report on: a CBS code, or ``None`` for the whole region.

    An unknown code is a 422 naming ``municipality``; a key tied to another municipality gets 403.
    """
    region = current_region()
    if requested is not None and not region.serves(requested):
        allowed = ", ".join(sorted(region.municipality_names))
        message = f"unknown municipality code {requested!r}; allowed: {allowed}"
        raise RequestValidationError([{"loc": ("query", "municipality"), "msg": message, "type": "value_error"}])
    own = principal.municipality
    if own is None:
        return requested
    if requested is None or requested == own:
        return own
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"Deze sleutel hoort bij {region.municipality_name(own)} ({own}): u ziet alleen de cijfers van die gemeente."
        f" / This key is limited to municipality {own}.",
    )
