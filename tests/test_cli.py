"""The weishi command line: migrate, seed the demo (twice), issue and revoke a token."""

import re
import sqlite3
import uuid

from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings


def test_cli_round_trip(tmp_path, monkeypatch):
    db = tmp_path / "data" / "cli.db"  # a folder that does not exist yet, as ./data on a fresh checkout
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        first = runner.invoke(cli, ["seed-demo"])
        assert first.exit_code == 0 and "weishi-demo-2026" in first.output and "district_admin" in first.output
        assert "proposal submitted" in first.output and "programme opened" in first.output
        again = runner.invoke(cli, ["seed-demo"])  # idempotent
        assert again.exit_code == 0 and "exists already" in again.output
        conn = sqlite3.connect(db)
        assert conn.execute("select count(*) from app_user where username = 'district'").fetchone() == (1,)
        org = uuid.UUID(conn.execute("select id from organisation where kind = 'assessor'").fetchone()[0])
        issued = runner.invoke(cli, ["issue-token", str(org), "--scope", "assessments:write", "--days", "7"])
        assert issued.exit_code == 0, issued.output
        secret = re.search(r"wst_\S+", issued.output).group(0)
        token_id = re.search(r"token id ([0-9a-f-]{36})", issued.output).group(1)
        # The demo's year issued an assessor token of its own: look at the one just issued.
        token_key = (token_id.replace("-", ""),)
        stored = conn.execute("select token_hmac from api_token where replace(id, '-', '') = ?", token_key).fetchone()[
            0
        ]
        assert secret not in stored
        assert runner.invoke(cli, ["revoke-token", token_id]).exit_code == 0
        assert conn.execute(
            "select revoked_at is not null from api_token where replace(id, '-', '') = ?", token_key
        ).fetchone() == (1,)
        purged = runner.invoke(cli, ["purge-expired"])
        assert purged.exit_code == 0 and "purged 0 expired idempotency records" in purged.output, purged.output
        assert "rate-limit counters" in purged.output and "one-time codes" in purged.output
        # SQLite keeps plain tables: nothing to make, list or detach.
        for args in (["partitions", "ensure"], ["partitions", "list"]):
            plain = runner.invoke(cli, args)
            assert plain.exit_code == 0 and "plain tables" in plain.output, plain.output
        refused = runner.invoke(cli, ["partitions", "detach", "2025"])
        assert refused.exit_code == 2 and "PostgreSQL only" in refused.output, refused.output
        bad = runner.invoke(cli, ["issue-token", str(org), "--scope", "root:everything"])
        assert bad.exit_code == 2 and "scope" in bad.output.lower(), bad.output
    finally:
        get_settings.cache_clear()
