-- How the resident wants to hear from us: 'email', 'sms', 'none'; NULL = we choose (e-mail when
-- there is an address, else SMS). A channel code is not personal data, so it is stored plain.
ALTER TABLE residents ADD COLUMN preferred_channel text
    CHECK (preferred_channel IN ('email', 'sms', 'none'));
