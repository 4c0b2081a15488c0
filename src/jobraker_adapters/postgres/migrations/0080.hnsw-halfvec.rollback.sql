-- Back to migration 0070's indexes: vector up to 2,000 dimensions, halfvec above, m = 32.

DO $$
DECLARE
    model record;
    kind text;
BEGIN
    FOR model IN
        SELECT model_id, dimensions, index_name FROM embedding_models
        WHERE index_name IS NOT NULL AND dimensions <= 4000
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
