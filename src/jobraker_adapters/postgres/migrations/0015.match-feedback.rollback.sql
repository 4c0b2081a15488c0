DROP TABLE IF EXISTS match_feedback;
