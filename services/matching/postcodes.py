"""The region's postcode table (``data/pc4_drechtsteden.json``), read when the service is wired.

The domain computes distances from whatever :class:`~services.matching.domain.places.Places` it is
given; this module is the one place that reads the file. :func:`region_places` reads it once per
process (the service's container asks for it at start; tools and pages that are not wired through
the container get the same table).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

from services.matching.domain.places import Places
from services.matching.domain.scoring import Scoring

log = logging.getLogger(__name__)

PC4_FILE = Path(__file__).with_name("data") / "pc4_drechtsteden.json"


def load_places(path: Path = PC4_FILE) -> Places:
    """Approximate centroids of 4-digit postcode areas; empty (numeric fallback only) when unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["centroids"]
    except (OSError, ValueError, KeyError):
        log.warning("postcode table %s not readable: distances use the numeric postcode proxy", path)
        return Places()
    return Places({int(pc): (float(lat), float(lon)) for pc, (lat, lon) in raw.items()})


@cache
def region_places() -> Places:
    """The region's table, read on first use."""
    return load_places()


def region_scoring(scoring: Scoring | None = None) -> Scoring:
    """``scoring``, or the default weights with the region's table (for callers not wired through
    the service's container)."""
    return scoring if scoring is not None else Scoring(places=region_places())
