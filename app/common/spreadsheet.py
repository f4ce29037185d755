"""Text cells made safe for spreadsheet programs (pure): CSV and formula injection (OWASP "CSV Injection").

Excel, WPS and LibreOffice run a cell that starts with =, +, - or @ as a formula, also after a tab or a
carriage return, so a project title `=HYPERLINK("http://evil.example", "点此")` in a report would become a
live link or worse on an official's machine. Every export passes its text through `neutralise`, which puts a
single quote in front (shown as text, the value otherwise unchanged); numbers stay numbers.
"""

from typing import Any

import pandas as pd

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula, with a quote in front; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the table with every text cell and column header neutralised (numbers untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):  # text is object or (pandas 3) str dtype
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe
