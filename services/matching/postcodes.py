"""The region's postcode table, read when the service is wired: the region file's ``[postcodes]``, or
without one the Drechtsteden table ``data/pc4_drechtsteden.json``; postcodes in neither fall back to the
numeric postcode proxy (see :class:`~services.matching.domain.places.Places`).

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

from services.kit.region import Region
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
def _file_places() -> Places:
    return load_places()


def region_places(region: Region | None = None) -> Places:
    """The table of ``region`` (its ``[postcodes]``), or the shipped file's when it lists none."""
    if region is not None and region.postcodes:
        return Places({int(pc): (lat, lon) for pc, (lat, lon) in region.postcodes.items()})
    return _file_places()


def region_scoring(scoring: Scoring | None = None) -> Scoring:
    """``scoring``, or the default weights with the region's table (for callers not wired through
    the service's container)."""
    return scoring if scoring is not None else Scoring(places=region_places())
