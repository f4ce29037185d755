"""Which uploaded file types are accepted, decided by the file's first bytes, never by its name (pure)."""

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
ACCEPTED = (JPEG, PNG, WEBP, PDF)
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
SYNONYMS = {JPEG: (".jpg", ".jpeg")}


def sniff(head: bytes) -> str | None:
    """The content type the magic bytes announce, or None when they are not an accepted type."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def safe_name(name: str | None, content_type: str) -> str:
    """A display name without directories or control characters, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment" + EXTENSIONS[content_type]
    return base[-255:]


def download_name(name: str, content_type: str) -> str:
    """The name a download is saved under: its extension follows the checked type, so a PDF uploaded as
    `x.html` or `x.exe` is saved as `x.pdf` and never opened by the browser or the desktop as a page or program."""
    if name.lower().endswith(SYNONYMS.get(content_type, (EXTENSIONS[content_type],))):
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or " " in ext or len(ext) > 10:  # no extension: "现场照片", ".hidden", "v1.2 方案"
        stem = name
    return (stem.rstrip(". ") or "attachment") + EXTENSIONS[content_type]
