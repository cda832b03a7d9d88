-- The advice register (issue 16): a council's advice to the College or an organisation's board, the
-- signals and experience themes it draws on, and the addressee's decision and response with dates.
-- Subject, text and response are the council's and the addressee's words (no resident's): they stay
-- here; AdviceGiven and AdviceAnswered carry only codes and dates.
CREATE TABLE council_advices (
    advice_id               uuid        PRIMARY KEY,
    council                 text        NOT NULL,
    municipality            text,
    subject                 text        NOT NULL,
    text                    text        NOT NULL,
    given_on                date        NOT NULL,
    response_due            date        NOT NULL,
    addressee               text        NOT NULL CHECK (addressee IN ('college', 'board')),
    addressee_organisation  text,
    signal_ids              uuid[]      NOT NULL DEFAULT '{}',
    themes                  text[]      NOT NULL DEFAULT '{}',
    life_domains            text[]      NOT NULL DEFAULT '{}',
    recorded_at             timestamptz NOT NULL,
    decision                text        CHECK (decision IN ('adopted', 'partly_adopted', 'not_adopted')),
    decided_on              date,
    response                text,
    responded_on            date,
    answered_by             text,
    answered_at             timestamptz,
    CHECK ((addressee = 'board') = (addressee_organisation IS NOT NULL))
);
CREATE INDEX council_advices_council ON council_advices (council, given_on);
CREATE INDEX council_advices_municipality ON council_advices (municipality, given_on);
