"""Fund sources, the append-only ledger with its balance rows, year end and finance reports."""
