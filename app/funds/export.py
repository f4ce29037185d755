"""Reports as CSV and XLSX for spreadsheets: Chinese headers, yuan with two decimals, a totals row."""

import io
from decimal import Decimal

import pandas as pd
from openpyxl.styles import Font

from app.common.spreadsheet import neutralise_frame
from app.funds.reports_service import GroupBy, Report, Row

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The 200 answer of a report that comes as JSON, CSV or XLSX, for the OpenAPI document.
FILE_RESPONSES = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON, or CSV / XLSX with format=csv|xlsx",
    }
}

GROUP_HEADERS = {
    GroupBy.district: "区",
    GroupBy.street: "街道",
    GroupBy.community: "社区",
    GroupBy.pilot: "试点",
    GroupBy.fund_source: "资金来源",
    GroupBy.category: "项目类别",
    GroupBy.year: "年度",
}
AMOUNT_HEADERS = {
    "planned_fen": "计划资金（元）",
    "funds_in_fen": "资金到位（元）",
    "committed_fen": "已承诺（元）",
    "direct_committed_fen": "其中直接安排（未经投票公示）（元）",
    "disbursed_fen": "已拨付（元）",
    "returned_fen": "已退回（元）",
    "transferred_out_fen": "年终结转/收回（元）",
    "remaining_fen": "可用余额（元）",
}
_CENT = Decimal("0.01")


def yuan(fen: int | None) -> Decimal | None:
    """Fen as exact yuan with two decimals (Decimal, never float)."""
    return None if fen is None else (Decimal(fen) / 100).quantize(_CENT)


def _record(report: Report, row: Row) -> dict:
    figures = {**row.figures, "remaining_fen": row.remaining_fen}
    return {GROUP_HEADERS[report.group_by]: row.label, **{h: yuan(figures[k]) for k, h in AMOUNT_HEADERS.items()}}


def to_frame(report: Report) -> pd.DataFrame:
    """The report as a table: one line per group, then the totals row (合计)."""
    records = [_record(report, row) for row in report.rows] + [_record(report, report.totals)]
    return pd.DataFrame.from_records(records, columns=[GROUP_HEADERS[report.group_by], *AMOUNT_HEADERS.values()])


def csv_bytes(frame: pd.DataFrame, amount_columns) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet programs read the Chinese headers right; yuan as 0.00.
    Text is neutralised first, so a negative amount's minus is not taken for a formula."""
    frame = neutralise_frame(frame)
    for column in amount_columns:
        frame[column] = frame[column].map(lambda v: "" if v is None else f"{v:.2f}")
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], amount_columns, about: dict[str, str], *, totals_row: bool) -> bytes:
    """Sheets of figures (yuan formatted #,##0.00) and one sheet (说明) saying what they cover. Text is
    neutralised as in CSV and every text cell is written as a string, never as a formula."""
    buffer = io.BytesIO()
    amount_columns = set(amount_columns)
    about_frame = pd.DataFrame({"项目": list(about), "内容": list(about.values())})
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame = neutralise_frame(frame)
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            _text_as_strings(sheet)
            for index, column in enumerate(frame.columns, start=1):
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = 18 if column in amount_columns else 24
                if column in amount_columns:
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.number_format = "#,##0.00"
            if totals_row:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        neutralise_frame(about_frame).to_excel(writer, sheet_name="说明", index=False)
        _text_as_strings(writer.sheets["说明"])
    return buffer.getvalue()


def _text_as_strings(sheet) -> None:
    # openpyxl stores any text starting with "=" as a formula; a report holds no formulas, only text.
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def to_csv(report: Report) -> bytes:
    """The report as CSV."""
    return csv_bytes(to_frame(report), AMOUNT_HEADERS.values())


def to_xlsx(report: Report) -> bytes:
    """One sheet of figures with the totals row in bold, and one sheet saying what it covers."""
    about = {
        "截至日期": report.as_of.isoformat(),
        "分组": GROUP_HEADERS[report.group_by],
        "年度": str(report.year) if report.year else "全部",
    }
    return xlsx_bytes({"财务报表": to_frame(report)}, AMOUNT_HEADERS.values(), about, totals_row=True)
