"""The variable naming the folder workers share their metrics in (importable without prometheus-client)."""

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
