-- The canonical skills each stored analysis asks for, as an array with a GIN index: recommendations
-- take the postings asking for a person's rarest skills as a third candidate list, next to the
-- title words and the vectors (jobraker_core.matching.retrieval.SkillQuery). Generated from the
-- analysis document, so existing rows are filled by this migration and no writer can forget it.
-- The planner's statistics on the array (pg_stats.most_common_elems) are the skills' shares.
-- depends: 0091.job-analyses

CREATE FUNCTION job_analysis_skill_ids(analysis jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(
        SELECT DISTINCT skill
        FROM jsonb_array_elements_text(
            jsonb_path_query_array(analysis, '$.skills[*].skill_id ? (@ != null)')
        ) AS skill
        ORDER BY skill
    );

ALTER TABLE job_analyses
    ADD COLUMN skill_ids text[] GENERATED ALWAYS AS (job_analysis_skill_ids(analysis)) STORED;

CREATE INDEX job_analyses_skill_ids ON job_analyses USING gin (skill_ids);
