-- A supporter reading the question they support is audited as themselves: actor '<organisation>/<supporter id>',
-- actor_kind 'supporter' (matching asks on their behalf over the internal call).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
    CHECK (actor_kind IN ('api_key', 'internal', 'staff', 'supporter'));
