-- Candidate profiles: what matching knows about a person, read from a résumé version and
-- reviewed by them. The facts (skills, roles, education, languages, with their evidence) are
-- one jsonb document written and read by jobraker_adapters.postgres.matching.
-- depends: 0013.resumes

CREATE TABLE candidate_profiles (
    user_id    uuid        NOT NULL,
    resume_id  uuid,
    edited     boolean     NOT NULL,
    document   jsonb       NOT NULL,
    updated_at timestamptz,
    CONSTRAINT candidate_profiles_pkey PRIMARY KEY (user_id),
    CONSTRAINT candidate_profiles_user_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT candidate_profiles_resume_fkey FOREIGN KEY (resume_id)
        REFERENCES resumes (id) ON DELETE SET NULL,
    CONSTRAINT candidate_profiles_document_check CHECK (jsonb_typeof(document) = 'object')
);
