-- The supporters' own pages ("Mijn vragen"): sign-in by a single-use e-mail link, its audit, and the
-- first contact a supporter records on their assignment.

-- First contact with the resident, as the supporter recorded it (FirstContactMade): the day, how,
-- and when it was recorded. NULL until recorded; recorded once per assignment.
ALTER TABLE assignments
    ADD COLUMN first_contact_on          date,
    ADD COLUMN first_contact_method      text CHECK (first_contact_method IN ('phone', 'visit', 'video', 'email')),
    ADD COLUMN first_contact_recorded_at timestamptz;
-- A supporter's own cases, newest first.
CREATE INDEX assignments_supporter_assigned ON assignments (supporter_id, assigned_at DESC);

-- A supporter asks for a sign-in link with their e-mail address.
CREATE INDEX supporters_email_lower ON supporters (lower(email));

-- Sign-in links: only the SHA-256 of the token is kept; a link is good once, for 15 minutes.
-- `return_to` is the page of /mijn-vragen the supporter wanted (checked when stored).
CREATE TABLE sign_in_links (
    token_sha256  text        PRIMARY KEY,
    supporter_id  text        NOT NULL REFERENCES supporters (id) ON DELETE CASCADE,
    return_to     text        NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX sign_in_links_expires ON sign_in_links (expires_at);

-- Every sign-in step: a link requested (for a known or an unknown address), a link used, a link or a
-- session refused, a sign-out. `client` is a keyed hash of the client's address (no raw IP); an
-- unknown e-mail address is not kept at all. Kept for accountability (who signed in when, from where).
CREATE TABLE sign_in_audit (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    event         text        NOT NULL CHECK (event IN ('requested', 'requested_unknown', 'rate_limited',
                                                        'used', 'refused', 'signed_out', 'session_refused')),
    supporter_id  text,
    organisation  text,
    client        text        NOT NULL,
    detail        text
);
CREATE INDEX sign_in_audit_supporter ON sign_in_audit (supporter_id, id) WHERE supporter_id IS NOT NULL;
CREATE INDEX sign_in_audit_at ON sign_in_audit (at);
