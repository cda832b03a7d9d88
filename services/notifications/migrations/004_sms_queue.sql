-- SMS held back during quiet hours (21:00-08:00 Europe/Amsterdam): status 'queued' until not_before.
-- ``body`` is the SMS text (no resident data: the texts name no resident); the phone number is not
-- stored but fetched from intake again when the SMS goes out. ``body`` is cleared once it is sent.
ALTER TABLE deliveries ADD COLUMN not_before timestamptz;
ALTER TABLE deliveries ADD COLUMN body text;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('sending', 'sent', 'failed', 'skipped', 'queued'));
CREATE INDEX deliveries_queued ON deliveries (not_before) WHERE status = 'queued';
