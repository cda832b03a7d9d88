-- A privacy officer's key may be limited to a municipality (issue 14, row 7): it reads the audit
-- entries of residents with a question in that municipality only. Each entry now keeps the
-- municipalities of the resident's (or the question's) questions when it was written, so the entry
-- stays with the right municipality after the resident is erased and their ref is gone from the
-- questions. An entry about no one (a look-up that found nobody) keeps the caller's municipality.

-- The audit log's one-way digest of a resident_ref, as services/kit/crypto.py:digest computes it
-- (kind "resident-ref"); tests/integration/test_intake_privacy_municipality.py checks they agree.
CREATE FUNCTION resident_ref_digest(ref uuid) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to('samenloket/resident-ref/v1:' || ref::text, 'UTF8')), 'hex')
$$;

ALTER TABLE audit_log ADD COLUMN municipalities text[] NOT NULL DEFAULT '{}';

-- Entries written before: the municipalities of their question, or of their resident while known
-- (two equi-joins, so the backfill stays linear in the size of the log).
WITH refs AS (
    SELECT resident_ref_digest(resident_ref) AS digest, municipality FROM questions WHERE resident_ref IS NOT NULL
), found AS (
    SELECT a.id, q.municipality FROM audit_log a JOIN questions q ON q.question_id = a.question_id
    UNION
    SELECT a.id, r.municipality FROM audit_log a JOIN refs r ON r.digest = a.resident_ref
), known AS (
    SELECT id, array_agg(DISTINCT municipality ORDER BY municipality) AS municipalities FROM found GROUP BY id
)
UPDATE audit_log a SET municipalities = known.municipalities FROM known WHERE known.id = a.id;

CREATE INDEX audit_log_municipalities ON audit_log USING gin (municipalities);
