DROP TABLE IF EXISTS ingestion_runs;
