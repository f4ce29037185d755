"""Pieces every domain package shares: table base, column types, schema bases, pagination."""
