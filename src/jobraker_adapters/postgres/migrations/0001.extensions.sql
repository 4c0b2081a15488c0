-- Extensions Jobraker needs: pgvector (embeddings, used by the matching capability), unaccent
-- (accent-insensitive full-text search) and pg_trgm (substring search on places).
-- `vector` is not a trusted extension: on a managed PostgreSQL a superuser may have to create it
-- first; IF NOT EXISTS then makes this migration a no-op for it.
--
-- No rollback: the extensions may predate Jobraker or serve other schemas in the same database,
-- so rolling back Jobraker's schema leaves them in place.

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
