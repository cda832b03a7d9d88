-- Residents who asked for no more messages (by a hash of their pseudonymous reference), and the
-- delivery status 'skipped' for messages not sent because of it.
CREATE TABLE opt_outs (
    resident_ref_hash  text        PRIMARY KEY,
    at                 timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('sending', 'sent', 'failed', 'skipped'));
