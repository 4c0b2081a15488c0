DROP INDEX IF EXISTS jobs_last_seen_idx;
DROP TABLE IF EXISTS moderation_decisions;
DROP TABLE IF EXISTS moderation_flags;
DROP TABLE IF EXISTS moderation_fingerprints;
