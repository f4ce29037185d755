"""The OpenAPI document: its metadata, links and the exported file CI compares."""
