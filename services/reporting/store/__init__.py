"""PostgreSQL access for reporting: every SQL statement of the service, by concern.

- :mod:`.events` — the event store: append, erase old resident refs, what was read per type, replay;
- :mod:`.projections` — the read models, changed by merging facts (:mod:`services.reporting.domain`);
- :mod:`.schedule` — whose turn it is to publish ``StatisticsPublished``;
- :mod:`.questions`, :mod:`.assignments`, :mod:`.participation`, :mod:`.overview` — the figures of a
  report, read in the caller's snapshot and handed to :mod:`services.reporting.figures` as plain
  values.

Statements are fixed text; what varies (the area, the period, now) is a parameter. The area is
``$1``: a CBS code, or NULL for the whole region.
"""
