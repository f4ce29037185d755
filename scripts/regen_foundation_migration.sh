#!/usr/bin/env bash
# Regenerate alembic/versions/0001_foundation.py from the models (only while the foundation is unreleased).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f alembic/versions/0001_foundation.py
sed -i 's/^down_revision: str | None = "0001"$/down_revision: str | None = None/' alembic/versions/0002_audit_chain_guards.py
mv alembic/versions/0002_audit_chain_guards.py "$tmp/"
DATABASE_URL="sqlite+aiosqlite:///$tmp/gen.db" .venv/bin/alembic revision --autogenerate -m foundation --rev-id 0001 >/dev/null
sed -i 's/^down_revision: str | None = None$/down_revision: str | None = "0001"/' "$tmp/0002_audit_chain_guards.py"
mv "$tmp/0002_audit_chain_guards.py" alembic/versions/
echo "regenerated alembic/versions/0001_foundation.py"
