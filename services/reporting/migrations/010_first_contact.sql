-- Reporting, issue 12: first contact and the end of support per assignment. The day the supporter
-- reached the resident and how (FirstContactMade), the end reason code (SupportEnded), and what the
-- fact derives from them: working days from the assignment to first contact, and the last day that
-- keeps the promise of contact within 3 working days (Dutch working days). After this migration on an
-- installation with older events, run `samenloket reporting rebuild` so the new columns are filled.
ALTER TABLE assignment_facts
    ADD COLUMN first_contact_on            date,
    ADD COLUMN first_contact_method        text,
    ADD COLUMN end_code                    text,
    ADD COLUMN first_contact_working_days  integer,
    ADD COLUMN first_contact_due_on        date;
CREATE INDEX assignment_facts_assigned_at ON assignment_facts (assigned_at);
CREATE INDEX assignment_facts_ended_at ON assignment_facts (ended_at);
CREATE INDEX assignment_facts_declined_at ON assignment_facts (declined_at);
