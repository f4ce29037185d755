"""What a backup archive holds and when a restore may go ahead (pure)."""

from typing import Any

from app.core.errors import Conflict, Unprocessable

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite"}
UPLOADS = "uploads"


def manifest(backend: str, revision: str | None, created_at: str, uploads: int) -> dict[str, Any]:
    """The archive's description, read first on restore."""
    return {
        "format": FORMAT,
        "backend": backend,
        "revision": revision,
        "created_at": created_at,
        "database_file": DATABASE_FILES[backend],
        "uploads": uploads,
    }


def check_manifest(found: dict[str, Any], backend: str, known_revisions: set[str]) -> None:
    """Refuse an archive this code cannot restore into this kind of database."""
    if found.get("format") != FORMAT:
        raise Unprocessable("备份文件格式无法识别。", code="backup_unreadable")
    if found.get("backend") != backend:
        raise Unprocessable(
            f"这是 {found.get('backend')} 数据库的备份，不能恢复到 {backend} 数据库。", code="backup_other_backend"
        )
    if found.get("revision") not in known_revisions:
        raise Unprocessable(
            f"备份的数据库版本 {found.get('revision')} 比本程序新或无法识别，请用对应版本的程序恢复。",
            code="backup_unknown_migration",
        )


def check_target(tables: list[str], target_revision: str | None, backup_revision: str) -> None:
    """A restore goes only into a database with nothing in it: it never merges into or overwrites data."""
    if target_revision is not None and target_revision != backup_revision:
        raise Conflict(
            f"目标数据库处于迁移版本 {target_revision}，备份为 {backup_revision}；请恢复到一个新建的空数据库。",
            code="restore_target_other_migration",
        )
    if tables:
        raise Conflict(
            f"目标数据库不是空的（已有 {len(tables)} 张表）；请恢复到一个新建的空数据库。",
            code="restore_target_not_empty",
        )


def check_uploads(existing: int) -> None:
    """Uploaded files are restored only into an empty folder, so none is overwritten."""
    if existing:
        raise Conflict(
            f"上传文件目录不是空的（已有 {existing} 个文件）；请指定一个新的空目录。", code="restore_uploads_not_empty"
        )
