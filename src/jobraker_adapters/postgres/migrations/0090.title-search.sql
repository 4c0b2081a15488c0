-- A full-text vector of each job's title alone, with its own GIN index, for recommendations.
-- A recommendation's full-text query is a whole profile's desired titles, role titles and
-- skills OR-ed: over the `search` vector (title, company and description) its common words match
-- most postings, and ranking them all (ts_rank_cd reads each match's whole vector, out of line in
-- TOAST) took 1.7 s at 100,000 jobs and grows linearly (docs/performance-notes.md). Titles are
-- short, stored in the row, and a profile's words match a small share of them. Adding a stored
-- generated column rewrites `jobs` once (about a minute a million rows, under an exclusive lock).
-- depends: 0081.vectors-in-row

ALTER TABLE jobs ADD COLUMN title_search tsvector GENERATED ALWAYS AS (
    to_tsvector('jobraker_english', coalesce(title, ''))
) STORED;

CREATE INDEX jobs_title_search_idx ON jobs USING gin (title_search);
