"""Money as people read it: integer fen shown in 元 with two decimals (JSON keeps integer fen in *_fen fields)."""


def yuan(fen: int | None) -> str:
    """Integer fen as 元 with thousands separators and two decimals (exact: no float on the way)."""
    if fen is None:
        return "—"
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"
