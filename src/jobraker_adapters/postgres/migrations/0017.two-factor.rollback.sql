DROP TABLE IF EXISTS two_factor_challenges;
DROP TABLE IF EXISTS recovery_codes;
DROP TABLE IF EXISTS two_factor_enrolments;
