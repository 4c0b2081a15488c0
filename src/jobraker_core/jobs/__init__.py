"""Jobs: postings and their sources, de-duplication, search, and the ingestion that feeds them."""
