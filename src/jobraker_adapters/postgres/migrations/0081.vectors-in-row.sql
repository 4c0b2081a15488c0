-- Keep vectors in the table's own rows. pgvector's types are stored EXTERNAL (never compressed),
-- and PostgreSQL moves such a value out of line to TOAST as soon as its row passes
-- toast_tuple_target (~2 kB by default): the local default's 768 float32 (3 kB) all lived in
-- TOAST, and every read (the exact path, the full-precision re-sort of approximate results,
-- index builds) paid a TOAST index lookup and two chunk fetches. Measured on 30,000 vectors of
-- 768 dimensions (docs/adr/0007-vector-storage.md): an exact scan cost 2.2 us a row in TOAST and
-- 1.3 us in the row; fetching 3,000 rows by id, 3.4 us and 1.5 us. With the largest target a page
-- allows (8,160 bytes), a vector moves out of line only when its row cannot fit a page (models
-- of more than ~2,000 dimensions). Rows already stored stay in TOAST until rewritten
-- (`jobraker reindex --full`, or VACUUM FULL job_embeddings).
-- depends: 0080.hnsw-halfvec

ALTER TABLE job_embeddings SET (toast_tuple_target = 8160);
