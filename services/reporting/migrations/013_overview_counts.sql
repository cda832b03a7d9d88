-- The all-time overview at any scale (issue 17): its counts are kept per municipality as question facts
-- change, in the same statement's transaction (a trigger per statement, over the rows it changed), so the
-- live handler and a rebuild keep them alike; the overview reads a few hundred rows instead of every fact.
--
-- minutes_to_assigned is the value whose median the overview publishes (receipt to first assignment);
-- question_hour_counts counts it per hour (whole minutes / 60: the values from 60 * hour minutes, up to
-- 60 more), so the median is found among one hour's values (index question_facts_minutes*) instead of
-- sorting every question; a few thousand rows per municipality at most, whatever the number of questions.
ALTER TABLE question_facts ADD COLUMN minutes_to_assigned double precision
    GENERATED ALWAYS AS ((extract(epoch FROM assigned_at - received_at) / 60)::double precision) STORED;
CREATE INDEX question_facts_minutes ON question_facts (minutes_to_assigned) WHERE minutes_to_assigned IS NOT NULL;
CREATE INDEX question_facts_municipality_minutes ON question_facts (municipality, minutes_to_assigned)
    WHERE minutes_to_assigned IS NOT NULL;

CREATE TABLE question_counts (
    municipality       text,
    status             text    NOT NULL,
    with_life_domains  boolean NOT NULL,
    measured           boolean NOT NULL,
    n                  bigint  NOT NULL,
    UNIQUE NULLS NOT DISTINCT (municipality, status, with_life_domains, measured)
);
CREATE TABLE question_domain_counts (
    municipality  text,
    domain        text   NOT NULL,
    n             bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (municipality, domain)
);
CREATE TABLE question_hour_counts (
    municipality  text,
    hour          bigint NOT NULL,
    n             bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (municipality, hour)
);

-- The rows a statement changed, each with +1 (as it is now) or -1 (as it was), counted into the tables.
-- Rows are upserted in key order, so concurrent writers lock them in the same order.
CREATE FUNCTION count_question_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT f.*, 1 AS sign FROM new_facts f'
        WHEN 'DELETE' THEN 'SELECT f.*, -1 AS sign FROM old_facts f'
        ELSE 'SELECT f.*, 1 AS sign FROM new_facts f UNION ALL SELECT f.*, -1 AS sign FROM old_facts f' END;
BEGIN
    EXECUTE format($q$
        INSERT INTO question_counts AS c (municipality, status, with_life_domains, measured, n)
        SELECT municipality, status, life_domains IS NOT NULL, minutes_to_assigned IS NOT NULL, sum(sign)
          FROM (%s) f GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (municipality, status, with_life_domains, measured) DO UPDATE SET n = c.n + EXCLUDED.n
    $q$, changed);
    EXECUTE format($q$
        INSERT INTO question_domain_counts AS c (municipality, domain, n)
        SELECT municipality, domain, sum(sign) FROM (%s) f, unnest(f.life_domains) AS domain
         GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
        ON CONFLICT (municipality, domain) DO UPDATE SET n = c.n + EXCLUDED.n
    $q$, changed);
    EXECUTE format($q$
        INSERT INTO question_hour_counts AS c (municipality, hour, n)
        SELECT municipality, floor(minutes_to_assigned)::bigint / 60, sum(sign) FROM (%s) f
         WHERE minutes_to_assigned IS NOT NULL GROUP BY 1, 2 HAVING sum(sign) <> 0 ORDER BY 1, 2
        ON CONFLICT (municipality, hour) DO UPDATE SET n = c.n + EXCLUDED.n
    $q$, changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER question_facts_counted_insert AFTER INSERT ON question_facts
    REFERENCING NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION count_question_facts();
CREATE TRIGGER question_facts_counted_update AFTER UPDATE ON question_facts
    REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION count_question_facts();
CREATE TRIGGER question_facts_counted_delete AFTER DELETE ON question_facts
    REFERENCING OLD TABLE AS old_facts FOR EACH STATEMENT EXECUTE FUNCTION count_question_facts();

-- The counts of the facts already there.
INSERT INTO question_counts (municipality, status, with_life_domains, measured, n)
SELECT municipality, status, life_domains IS NOT NULL, minutes_to_assigned IS NOT NULL, count(*)
  FROM question_facts GROUP BY 1, 2, 3, 4;
INSERT INTO question_domain_counts (municipality, domain, n)
SELECT municipality, domain, count(*) FROM question_facts, unnest(life_domains) AS domain GROUP BY 1, 2;
INSERT INTO question_hour_counts (municipality, hour, n)
SELECT municipality, floor(minutes_to_assigned)::bigint / 60, count(*) FROM question_facts
 WHERE minutes_to_assigned IS NOT NULL GROUP BY 1, 2;
