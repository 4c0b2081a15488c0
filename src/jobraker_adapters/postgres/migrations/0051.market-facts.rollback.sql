DROP INDEX IF EXISTS jobs_market_week_idx;
DROP TABLE IF EXISTS job_market_facts;
