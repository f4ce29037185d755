"""Append-only, hash-chained event log (台账)."""
