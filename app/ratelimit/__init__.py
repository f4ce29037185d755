"""Fixed-window rate limits whose counters live in the database, shared by every worker."""
