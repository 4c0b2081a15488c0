-- Job vectors for hybrid retrieval, one per job and embedding model, and the models themselves.
-- See docs/adr/0007-vector-storage.md for why the column is untyped and indexes are per model.
-- depends: 0003.jobs

-- Every embedding model whose vectors are (or were being) stored. ``index_name`` is the HNSW
-- index of the model's vectors, created by the adapter when the model is registered (its
-- dimension is only known then); NULL when the dimension is too large to index (> 4,000).
-- At most one model is ``active``: the one the last complete re-index produced.
CREATE TABLE embedding_models (
    model_id      text        NOT NULL,
    dimensions    integer     NOT NULL,
    index_name    text,
    active        boolean     NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    CONSTRAINT embedding_models_pkey PRIMARY KEY (model_id),
    CONSTRAINT embedding_models_dimensions_check CHECK (dimensions BETWEEN 1 AND 16000),
    CONSTRAINT embedding_models_index_name_key UNIQUE (index_name)
);

CREATE UNIQUE INDEX embedding_models_one_active_idx ON embedding_models (active) WHERE active;

-- The vector of a job's text (title, company, description) under one model. ``content_hash`` is
-- the SHA-256 of that text (unchanged text is never embedded again); ``job_seen_at`` is the job's
-- ``last_seen`` when its text was last checked, so a job seen again since is checked again.
-- ``embedding`` has no declared dimension: each model's HNSW index casts it to its own.
CREATE TABLE job_embeddings (
    job_id       uuid        NOT NULL,
    model_id     text        NOT NULL,
    content_hash text        NOT NULL,
    job_seen_at  timestamptz NOT NULL,
    embedding    vector      NOT NULL,
    CONSTRAINT job_embeddings_pkey PRIMARY KEY (job_id, model_id),
    CONSTRAINT job_embeddings_job_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE,
    CONSTRAINT job_embeddings_model_fkey FOREIGN KEY (model_id)
        REFERENCES embedding_models (model_id) ON DELETE CASCADE,
    CONSTRAINT job_embeddings_content_hash_check CHECK (content_hash ~ '^[0-9a-f]{64}$')
);

-- The embedding cache: a stored vector for a text already embedded under a model.
CREATE INDEX job_embeddings_content_hash_idx ON job_embeddings (model_id, content_hash);
