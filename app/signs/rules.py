"""The project sign (pure): its code, and an A4 page with the QR code, the project's name and the code under it."""

import io
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

from app.proposals.enums import ProposalState

# Confirmed after notice and every state after it: these projects carry a sign.
SIGNED_STATES = frozenset(
    {
        ProposalState.confirmed,
        ProposalState.in_implementation,
        ProposalState.completed,
        ProposalState.terminated,
        ProposalState.evaluated,
    }
)
HEADING = "民生微实事 · 一码一工程"
INVITATION = "扫码查看项目进展、现场照片、资金使用和居民满意度"
A4_MM = (210, 297)
A4_PX = (1240, 1754)  # A4 at 150 dpi: sharp enough for a printed sign, small enough to serve
LINE_CHARS = 13  # characters of a title per line under the code, at the sizes below


def project_code(year: int, proposal_id: uuid.UUID) -> str:
    """The project's code, printed on its sign and searchable by staff: programme year and the id's first 8 hex."""
    return f"WS{year}-{proposal_id.hex[:8].upper()}"


def board_url(base_url: str, proposal_id: uuid.UUID) -> str:
    """The board page the QR code opens."""
    return f"{base_url.rstrip('/')}/board/projects/{proposal_id}"


def _qr(url: str) -> segno.QRCode:
    # Level M survives a scuffed or partly covered outdoor sign; the URL is short, so the code stays small.
    return segno.make_qr(url, error="m")


def title_lines(title: str) -> list[str]:
    """The title broken into lines that fit under the code (at most three; the rest elided)."""
    lines = [title[i : i + LINE_CHARS] for i in range(0, len(title), LINE_CHARS)] or [""]
    return [*lines[:2], lines[2][: LINE_CHARS - 1] + "…"] if len(lines) > 3 else lines


def svg(url: str, title: str, code: str) -> str:
    """An A4 SVG sign: heading, the QR code as one path, the project's name and code, and what the code opens."""
    qr = _qr(url)
    width = qr.symbol_size(scale=1, border=0)[0]
    size = 150  # mm the code takes on the page
    unit = size / width
    runs = []
    for y, cells in enumerate(qr.matrix_iter(border=0)):
        row = tuple(cells)
        x = 0
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    left, top = (A4_MM[0] - size) / 2, 40
    text = [f'<text x="105" y="25" font-size="11" text-anchor="middle">{escape(HEADING)}</text>']
    y = top + size + 20
    for line in title_lines(title):
        text.append(
            f'<text x="105" y="{y}" font-size="13" font-weight="bold" text-anchor="middle">{escape(line)}</text>'
        )
        y += 16
    text.append(f'<text x="105" y="{y + 2}" font-size="9" text-anchor="middle">项目编号 {escape(code)}</text>')
    text.append(f'<text x="105" y="{y + 16}" font-size="7" text-anchor="middle">{escape(INVITATION)}</text>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{A4_MM[0]}mm" height="{A4_MM[1]}mm" '
        f'viewBox="0 0 {A4_MM[0]} {A4_MM[1]}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">\n'
        f"<title>{escape(title)}（{escape(code)}）</title>\n"
        f'<rect width="{A4_MM[0]}" height="{A4_MM[1]}" fill="#fff"/>\n'
        f'<g font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif" fill="#000">\n'
        + "\n".join(text)
        + "\n</g>\n"
        f'<path transform="translate({left:.3f} {top}) scale({unit:.5f})" fill="#000" d="{"".join(runs)}"/>\n'
        "</svg>\n"
    )


def png(url: str, title: str, code: str, font_path: Path) -> bytes:
    """The same A4 sign as a PNG at 150 dpi; the name is drawn with the CJK font at font_path."""
    page = Image.new("L", A4_PX, 255)
    qr_buffer = io.BytesIO()
    qr = _qr(url)
    scale = 880 // qr.symbol_size(scale=1, border=0)[0]
    qr.save(qr_buffer, kind="png", scale=scale, border=0)
    code_image = Image.open(qr_buffer).convert("L")
    page.paste(code_image, ((A4_PX[0] - code_image.width) // 2, 240))
    draw = ImageDraw.Draw(page)

    def centred(text: str, y: int, size: int) -> int:
        font = ImageFont.truetype(str(font_path), size)
        box = draw.textbbox((0, 0), text, font=font)
        draw.text(((A4_PX[0] - (box[2] - box[0])) // 2, y), text, font=font, fill=0)
        return y + int(size * 1.35)

    centred(HEADING, 110, 60)
    y = 240 + code_image.height + 90
    for line in title_lines(title):
        y = centred(line, y, 80)
    y = centred(f"项目编号 {code}", y + 20, 50)
    centred(INVITATION, y + 10, 38)
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(150, 150))
    return out.getvalue()
