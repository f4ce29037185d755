"""ballots: the round a ballot names is checked once per statement, not once per row (issue 32)

The foreign key ballot.round_id -> voting_round.id ran one lookup per inserted row: the close's rewrite of a round
(2,000 ballots written again, app/voting/ballots_service.py) spent 8.6-30 ms of its time in it. On PostgreSQL a
statement-level trigger now checks the statement's new rows at once (and key-share locks their rounds, as the
foreign key did); a round that has ballots still cannot be deleted. SQLite checks each row in a trigger, as its
foreign key did. A ballot's round can no longer be changed by an UPDATE (the foreign key would have checked the new
one; the service never moves a ballot). Nothing else changes: every ballot written so far names an existing round.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_ballot_round_id_voting_round"
MESSAGE = 'insert on table "ballot" violates foreign key constraint "fk_ballot_round_id_voting_round"'
IN_USE = 'delete on table "voting_round" violates foreign key constraint "fk_ballot_round_id_voting_round"'
MOVED = "a ballot stays in its round"

PG_UP = (
    f"ALTER TABLE ballot DROP CONSTRAINT {FK}",
    # ERRCODE 23503 (foreign_key_violation): callers see the same IntegrityError as before.
    f"""CREATE FUNCTION ballot_round_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM voting_round r WHERE r.id IN (SELECT DISTINCT round_id FROM fresh) FOR KEY SHARE OF r;
    IF EXISTS (SELECT 1 FROM fresh f WHERE NOT EXISTS (SELECT 1 FROM voting_round r WHERE r.id = f.round_id)) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER ballot_round_exists AFTER INSERT ON ballot REFERENCING NEW TABLE AS fresh"
    " FOR EACH STATEMENT EXECUTE FUNCTION ballot_round_exists()",
    f"""CREATE FUNCTION voting_round_without_ballots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone g JOIN ballot b ON b.round_id = g.id) THEN
        RAISE EXCEPTION '{IN_USE}' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER voting_round_without_ballots AFTER DELETE ON voting_round REFERENCING OLD TABLE AS gone"
    " FOR EACH STATEMENT EXECUTE FUNCTION voting_round_without_ballots()",
    f"""CREATE FUNCTION ballot_round_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MOVED}' USING ERRCODE = 'foreign_key_violation';
END $$""",
    "CREATE TRIGGER ballot_round_fixed BEFORE UPDATE OF round_id ON ballot FOR EACH ROW"
    " WHEN (OLD.round_id IS DISTINCT FROM NEW.round_id) EXECUTE FUNCTION ballot_round_fixed()",
)
PG_DOWN = (
    "DROP TRIGGER ballot_round_fixed ON ballot",
    "DROP FUNCTION ballot_round_fixed()",
    "DROP TRIGGER voting_round_without_ballots ON voting_round",
    "DROP FUNCTION voting_round_without_ballots()",
    "DROP TRIGGER ballot_round_exists ON ballot",
    "DROP FUNCTION ballot_round_exists()",
    f"ALTER TABLE ballot ADD CONSTRAINT {FK} FOREIGN KEY (round_id) REFERENCES voting_round (id)",
)
SQLITE_UP = (
    f"""CREATE TRIGGER ballot_round_exists BEFORE INSERT ON ballot
WHEN NOT EXISTS (SELECT 1 FROM voting_round WHERE id = NEW.round_id)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER voting_round_without_ballots BEFORE DELETE ON voting_round
WHEN EXISTS (SELECT 1 FROM ballot WHERE round_id = OLD.id)
BEGIN SELECT RAISE(ABORT, '{IN_USE}'); END""",
    f"""CREATE TRIGGER ballot_round_fixed BEFORE UPDATE OF round_id ON ballot
WHEN OLD.round_id IS NOT NEW.round_id
BEGIN SELECT RAISE(ABORT, '{MOVED}'); END""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:
            op.execute(statement)
        return
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
    for statement in SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
        return
    op.execute("DROP TRIGGER ballot_round_fixed")
    op.execute("DROP TRIGGER voting_round_without_ballots")
    op.execute("DROP TRIGGER ballot_round_exists")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "voting_round", ["round_id"], ["id"])
