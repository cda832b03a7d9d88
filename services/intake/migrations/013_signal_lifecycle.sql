-- The signal lifecycle (issue 6): who raised a signal, the municipality's acknowledgement and answer,
-- and the resident's personal status link.
--
-- raised_by_organisation: the organisation of the API key that raised the signal (NULL for the
-- resident form). It is used to show the raiser its own signals and is never shown to others.
-- answer: the municipality's answer, sealed with the master key ring like signals.text
-- ("intake/signals/answer/<signal id>"), so it never leaves intake except to those who may read it.
-- status_token_sha256: the SHA-256 of the token in a resident's status link (/signaal/<token>); the
-- token itself is shown once, after the form, and never stored.
ALTER TABLE signals ADD COLUMN raised_by_organisation text;
ALTER TABLE signals ADD COLUMN status text NOT NULL DEFAULT 'raised'
    CHECK (status IN ('raised', 'acknowledged', 'answered'));
ALTER TABLE signals ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE signals ADD COLUMN acknowledged_by text;
ALTER TABLE signals ADD COLUMN answer text;
ALTER TABLE signals ADD COLUMN answered_at timestamptz;
ALTER TABLE signals ADD COLUMN answered_by text;
ALTER TABLE signals ADD COLUMN status_token_sha256 text;

CREATE UNIQUE INDEX signals_status_token ON signals (status_token_sha256) WHERE status_token_sha256 IS NOT NULL;
CREATE INDEX signals_raiser ON signals (raised_by_organisation, raised_at) WHERE raised_by_organisation IS NOT NULL;
CREATE INDEX signals_level ON signals (level, raised_at);
