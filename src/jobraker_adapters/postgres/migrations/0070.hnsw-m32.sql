-- Rebuild every embedding model's HNSW index with m = 32 (was 16), ef_construction = 64.
-- Measured on hashing vectors of synthetic postings (docs/benchmarks-vectors.md, ADR 0007): at
-- 300,000 vectors, recall@10 at the shipped hnsw.ef_search = 200 rose from 0.87 to 0.94 for a
-- build 1.8x as long and an index 4% larger. New models get the same parameters from
-- jobraker_adapters.postgres.embeddings (HNSW_M). Writes to job_embeddings wait while an index is
-- rebuilt (minutes for millions of vectors); searches fall back to exact scans meanwhile.
-- depends: 0010.job-embeddings

DO $$
DECLARE
    model record;
    kind text;
BEGIN
    FOR model IN
        SELECT model_id, dimensions, index_name FROM embedding_models WHERE index_name IS NOT NULL
    LOOP
        kind := CASE WHEN model.dimensions <= 2000 THEN 'vector' ELSE 'halfvec' END;
        EXECUTE format('DROP INDEX IF EXISTS %I', model.index_name);
        EXECUTE format(
            'CREATE INDEX %I ON job_embeddings USING hnsw ((embedding::%s(%s)) %s_cosine_ops)'
            ' WITH (m = 32, ef_construction = 64) WHERE model_id = %L',
            model.index_name, kind, model.dimensions, kind, model.model_id
        );
    END LOOP;
END
$$;
