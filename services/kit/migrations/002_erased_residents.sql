-- Residents erased on request (ResidentErasureRequested), by a one-way digest of their resident_ref
-- (services/kit/erasure.py). It lets a service honour the erasure for events that arrive late or
-- are replayed, without keeping the ref itself.
CREATE TABLE erased_residents (
    resident_digest  text        PRIMARY KEY,
    erased_at        timestamptz NOT NULL DEFAULT now()
);
