-- Back to the default toast_tuple_target (~2 kB: vectors of over ~500 dimensions go to TOAST).

ALTER TABLE job_embeddings RESET (toast_tuple_target);
