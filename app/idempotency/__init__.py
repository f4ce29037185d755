"""Idempotency-Key for retried writes (IETF httpapi idempotency-key draft): same key, same body, one effect."""
