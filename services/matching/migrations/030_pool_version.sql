-- A counter that moves whenever the supporter pool changes in a way that matters for matching
-- (a profile, availability, a new or removed supporter, an organisation), but not when a place is
-- booked or freed. Every matching instance keeps the pool in memory and checks this one row before a
-- decision: when it moved, the instance reloads the pool. Capacity itself stays guarded by the
-- `active_cases < capacity` condition of the booking UPDATE.
CREATE TABLE pool_version (
    id      int    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO pool_version (id, version) VALUES (1, 0);

-- SET search_path FROM CURRENT: the function finds pool_version in this schema whoever's session updates
-- the supporters (the bench, an operator's psql).
CREATE FUNCTION bump_pool_version() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE pool_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER supporters_added_or_removed AFTER INSERT OR DELETE OR TRUNCATE ON supporters
    FOR EACH STATEMENT EXECUTE FUNCTION bump_pool_version();
-- Bookings and frees change only active_cases; every other update is a profile change.
CREATE TRIGGER supporters_profile_changed AFTER UPDATE ON supporters
    FOR EACH ROW WHEN (OLD.active_cases IS NOT DISTINCT FROM NEW.active_cases) EXECUTE FUNCTION bump_pool_version();
CREATE TRIGGER organisations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_pool_version();
