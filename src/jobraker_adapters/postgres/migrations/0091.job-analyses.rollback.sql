-- Analyses are derived data: without the table every process analyses postings as it scores them.

DROP TABLE IF EXISTS job_analyses;
