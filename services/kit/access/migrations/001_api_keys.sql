-- API keys of partner organisations, staff and analysts. Only a hash of the secret is kept.
CREATE TABLE api_keys (
    key_id        text        PRIMARY KEY,
    organisation  text        NOT NULL,
    scopes        text[]      NOT NULL,
    municipality  text,
    secret_sha256 text        NOT NULL,
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX api_keys_organisation ON api_keys (organisation);
