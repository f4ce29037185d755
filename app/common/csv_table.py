"""Reading an uploaded CSV table (pure): decoding, a header of known columns, and numbered data lines.

Staff export these files from Excel, so the reader accepts UTF-8 (with or without BOM) and GB18030,
Chinese or English headers, blank lines and Excel's trailing ",,,," rows. Line numbers are where a
record starts in the file (line 1 is the header), so an error can be found in the spreadsheet.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.errors import Unprocessable

MAX_ERRORS_SHOWN = 200


@dataclass(frozen=True)
class LineError:
    """A problem with one line of the file (line 1 is the header)."""

    line: int
    message: str


@dataclass
class Table:
    """The data lines as {column: value}, with their line numbers, and the errors met while reading."""

    lines: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    encoding: str = ""
    end_line: int = 1


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding used: UTF-8 (BOM or not), else GB18030 (Excel in China)."""
    if data.startswith(b"PK\x03\x04"):
        raise ValueError("This looks like an Excel workbook; save it as CSV (逗号分隔) and upload that.")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Strict UTF-8 rarely accepts GBK bytes, so trying it first cannot misread an Excel file.
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ValueError("The file is neither UTF-8 nor GB18030/GBK text.") from exc


def _header(
    cells: list[str], line: int, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[dict[int, str], list[LineError]]:
    """Column index -> column key, and what is wrong with the header."""
    lookup = {alias.casefold(): col for col, names in aliases.items() for alias in names}
    columns: dict[int, str] = {}
    errors = []
    for i, cell in enumerate(cells):
        text = cell.strip()
        if not text:
            continue
        col = lookup.get(text.casefold())
        if col is None:
            errors.append(LineError(line, f"unknown column {text!r}; known: {', '.join(aliases)}"))
        elif col in columns.values():
            errors.append(LineError(line, f"column {text!r} appears twice"))
        else:
            columns[i] = col
    for col in required:
        if col not in columns.values():
            errors.append(LineError(line, f"the {col} ({'/'.join(aliases[col][1:])}) column is missing"))
    return columns, errors


def read_table(data: bytes, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...], max_rows: int) -> Table:
    """Decode and split the file into numbered {column: value} lines; header or format problems end the read."""
    table = Table()
    try:
        text, table.encoding = decode(data)
    except ValueError as exc:
        table.errors.append(LineError(1, str(exc)))
        return table
    columns: dict[int, str] | None = None
    reader = csv.reader(io.StringIO(text, newline=""))
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and Excel's trailing ",,,," rows
            if columns is None:
                columns, header_errors = _header(cells, line, aliases, required)
                if header_errors:
                    table.errors.extend(header_errors)
                    return table
                continue
            if len(table.lines) >= max_rows:
                table.errors.append(LineError(line, f"a file may hold at most {max_rows} rows"))
                return table
            extra = [c for i, c in enumerate(cells) if i not in columns and c.strip()]
            if extra:
                table.errors.append(LineError(line, f"values outside the named columns: {extra[:3]}"))
                continue
            table.lines.append((line, {col: cells[i].strip() for i, col in columns.items() if i < len(cells)}))
    except csv.Error as exc:
        table.errors.append(LineError(next_line, f"malformed CSV: {exc}"))
        return table
    table.end_line = next_line
    if columns is None:
        table.errors.append(LineError(1, "the file is empty; it needs a header line and data lines"))
    elif not table.lines and not table.errors:
        table.errors.append(LineError(table.end_line, "the file has a header but no data lines"))
    return table


def invalid_file(errors: list[LineError]) -> Unprocessable:
    """The 422 for a file with bad lines: each by number (the first 200), and that nothing was imported."""
    shown = [{"line": e.line, "message": e.message} for e in errors[:MAX_ERRORS_SHOWN]]
    lines = len({e.line for e in errors})
    return Unprocessable(
        f"{lines} line(s) of the file cannot be imported; nothing was imported.",
        code="csv_invalid",
        extra={"errors": shown, "error_count": len(errors)},
    )
