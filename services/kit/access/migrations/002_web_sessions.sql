-- Sessions of people signed in to pages. The browser keeps a random session id; only its SHA-256 is here.
-- A session names its subject: an API key (its key id) today; a supporter or an OpenID Connect login later.
CREATE TABLE web_sessions (
    id_sha256     text        PRIMARY KEY,
    subject_kind  text        NOT NULL CHECK (subject_kind IN ('api_key', 'supporter', 'oidc')),
    subject_id    text        NOT NULL,
    organisation  text        NOT NULL,
    scopes        text[]      NOT NULL,
    municipality  text,
    audience      text        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_subject ON web_sessions (subject_kind, subject_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
