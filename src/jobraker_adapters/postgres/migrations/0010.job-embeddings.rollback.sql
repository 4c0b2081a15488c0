DROP TABLE IF EXISTS job_embeddings;
DROP TABLE IF EXISTS embedding_models;
