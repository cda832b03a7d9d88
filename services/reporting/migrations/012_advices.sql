-- Councils' advices and their outcome (issue 16), from AdviceGiven and AdviceAnswered: codes and dates
-- only (subject, text and response stay in intake). The quarterly report lists them. After this
-- migration on an installation with older events, run `samenloket reporting rebuild`.
CREATE TABLE advice_facts (
    advice_id               text        PRIMARY KEY,
    council                 text,
    municipality            text,
    addressee               text,
    addressee_organisation  text,
    given_on                date,
    response_due            date,
    themes                  text[]      NOT NULL DEFAULT '{}',
    life_domains            text[]      NOT NULL DEFAULT '{}',
    signal_count            integer     NOT NULL DEFAULT 0,
    recorded_at             timestamptz,
    decision                text,
    decided_on              date,
    responded_on            date,
    answered_at             timestamptz
);
CREATE INDEX advice_facts_given_on ON advice_facts (given_on);
