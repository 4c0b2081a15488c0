-- Rebuild every embedding model's HNSW index on half-precision copies (halfvec), m = 32,
-- ef_construction = 64 (was vector for models of up to 2,000 dimensions). The index is half the
-- size, so a search touches half the pages and a build writes half as much, for the same
-- recall (docs/benchmarks-vectors.md, ADR 0007). The table keeps full-precision vectors; exact
-- search and every similarity returned use them. Writes to job_embeddings wait while an index is
-- rebuilt (minutes for millions of vectors); searches fall back to exact scans meanwhile.
-- depends: 0070.hnsw-m32

DO $$
DECLARE
    model record;
BEGIN
    FOR model IN
        SELECT model_id, dimensions, index_name FROM embedding_models
        WHERE index_name IS NOT NULL AND dimensions <= 4000
    LOOP
        EXECUTE format('DROP INDEX IF EXISTS %I', model.index_name);
        EXECUTE format(
            'CREATE INDEX %I ON job_embeddings USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops)'
            ' WITH (m = 32, ef_construction = 64) WHERE model_id = %L',
            model.index_name, model.dimensions, model.model_id
        );
    END LOOP;
END
$$;
