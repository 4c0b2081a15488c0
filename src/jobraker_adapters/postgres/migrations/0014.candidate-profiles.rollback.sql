DROP TABLE IF EXISTS candidate_profiles;
