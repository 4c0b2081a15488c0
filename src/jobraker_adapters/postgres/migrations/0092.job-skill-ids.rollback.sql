-- Without the column recommendations retrieve by title words and vectors only.

ALTER TABLE job_analyses DROP COLUMN IF EXISTS skill_ids;
DROP FUNCTION IF EXISTS job_analysis_skill_ids(jsonb);
