"""The vote is secret (无记名投票): nothing in the database, the audit trail, an API answer or a public file links
a voter to their choices. Before the close the link exists only through a key the database does not hold; at
the close it is cut for good. Each test casts a small round (online, keyed, changed and paper ballots), dumps
every row of every table as text, reads every answer a reader could get, and looks for any identifier of a
voter next to a choice, and for any identifier next to a choice anywhere else."""

import hashlib
import hmac
import itertools
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import inspect, text

from app.common import partitions
from app.idempotency import rules as idempotency_rules
from app.idempotency.service import fingerprint_key
from app.voting import rules, secrecy
from app.voting.models import Ballot, BallotHistory
from tests.programmes.helpers import API, ok
from tests.voting.helpers import Voter, cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONES = [f"1380000{i:04d}" for i in range(1, 6)]
# What each voter ends up choosing: all different, so a link would show.
FINAL = {PHONES[0]: [1], PHONES[1]: [2], PHONES[2]: [1, 3], PHONES[3]: [1, 2], PHONES[4]: [2, 3]}


@dataclass
class Scene:
    """A round with five voters: three online (one of them changes), one keyed, one on paper."""

    round_id: str
    voters: dict[str, Voter]
    answers: dict[str, list[dict]] = field(default_factory=dict)  # phone -> cast answers (receipts), in order
    entries: dict[str, dict] = field(default_factory=dict)  # phone -> roll entry as staff list it


async def _scene(client, session, app, pw) -> Scene:
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    scene = Scene(rnd["id"], {p: await resident(session, app, pw.tree.community_a1, p) for p in PHONES[:4]})
    roll = ok(await client.get(f"{API}/communities/{a1}/voter-roll", headers=h))["items"]
    scene.entries = {p: next(e for e in roll if e["phone_masked"] == f"{p[:3]}****{p[-4:]}") for p in PHONES}
    for phone, choices, key in (
        (PHONES[0], [1], None),
        (PHONES[1], [2], None),
        (PHONES[2], [3], None),
        (PHONES[2], [1, 3], None),
        (PHONES[3], [1, 2], "keyed-cast-1"),
    ):
        answer = ok(await cast(client, scene.voters[phone], rnd["id"], choices, key=key), 201)
        scene.answers.setdefault(phone, []).append(answer)
    paper = await client.post(
        f"{API}/voting/rounds/{rnd['id']}/paper-ballots",
        headers={**h, "Idempotency-Key": "p1"},
        json={"roll_entry_id": scene.entries[PHONES[4]]["id"], "choices": [2, 3], "sheet_ref": "纸质票 007"},
    )
    scene.answers[PHONES[4]] = [ok(paper, 201)]
    return scene


async def _dump(session) -> dict[str, list[dict]]:
    """Every row of every table in the database, as the database returns it (SELECT *, no order). A year's
    partition (PostgreSQL) is read as its table: its rows are the table's."""
    await session.commit()
    conn = await session.connection()
    names = [n for n in await conn.run_sync(lambda c: inspect(c).get_table_names()) if not partitions.is_partition(n)]
    dumped = {}
    for name in names:
        rows = await conn.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608 (names the database gave)
        dumped[name] = [dict(row) for row in rows.mappings()]
    await session.commit()
    return dumped


def _text(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _ids(value) -> set[str]:
    """How an identifier may be written: a UUID with and without dashes (SQLite keeps the hex)."""
    if value is None:
        return set()
    if isinstance(value, uuid.UUID) or (isinstance(value, str) and len(value) in (32, 36) and _is_uuid(value)):
        u = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        return {str(u), u.hex}
    return {str(value)}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


CHOICE_TABLES = ("ballot", "ballot_history")  # the only tables that hold choices


def _beside_choices(dump: dict[str, list[dict]], round_id: str) -> set[str]:
    """Every value stored next to a choice, but the round's id and its programme's year (which every ballot of the
    round shares)."""
    shared = _ids(round_id)
    return {
        i
        for t in CHOICE_TABLES
        for row in dump[t]
        for column, value in row.items()
        if column not in ("choices", "choice_mask", "programme_year")
        for i in _ids(value)
    } - shared


def _voter_identifiers(scene: Scene, dump: dict[str, list[dict]]) -> set[str]:
    """Everything that names a voter: user, phone digest, roll entry, their marks, the answers' ballot ids."""
    out: set[str] = set()
    for user in dump["app_user"]:
        if user["role"] == "resident":
            out |= _ids(user["id"]) | _ids(user["phone_digest"])
    for entry in dump["voter_roll_entry"]:
        out |= _ids(entry["id"]) | _ids(entry["phone_digest"])
    for mark in dump["vote_mark"]:
        out |= _ids(mark["id"]) | _ids(mark["voter_key"])
    return out


async def _answers(client, pw, scene: Scene) -> dict[str, str]:
    """Every answer a reader (staff, supervisor, the public, each voter) gets about the round, as text."""
    rid, a1 = scene.round_id, pw.tree.community_a1.id
    reads = {
        "audit (district)": (f"{API}/audit/events", pw.h["district"], {"limit": 200}),
        "audit (supervisor)": (f"{API}/audit/events", pw.h["supervisor"], {"limit": 200}),
        "round": (f"{API}/voting/rounds/{rid}", pw.h["district"], None),
        "rounds": (f"{API}/voting/rounds", pw.h["supervisor"], None),
        "result": (f"{API}/voting/rounds/{rid}/result", pw.h["district"], None),
        "roll": (f"{API}/communities/{a1}/voter-roll", pw.h["staff_a1"], {"limit": 200}),
        "public round": (f"{API}/public/voting/rounds/{rid}", {}, None),
        "public result": (f"{API}/public/voting/rounds/{rid}/result", {}, None),
        "pb": (f"{API}/public/voting/rounds/{rid}/ballots.pb", {}, None),
    }
    for phone, voter in scene.voters.items():
        reads[f"my-ballot {phone}"] = (f"{API}/voting/rounds/{rid}/my-ballot", voter.h, None)
        reads[f"my-rounds {phone}"] = (f"{API}/voting/my-rounds", voter.h, None)
    out = {}
    for name, (url, headers, params) in reads.items():
        r = await client.get(url, headers=headers, params=params)
        assert r.status_code in (200, 409), (name, r.text)
        out[name] = r.text
    return out


def _no_link(dump: dict[str, list[dict]], answers: dict[str, str], scene: Scene) -> None:
    """No value stored beside a choice appears anywhere else, and nothing naming a voter appears beside one."""
    beside = _beside_choices(dump, scene.round_id)
    elsewhere = {t: _text(rows) for t, rows in dump.items() if t not in CHOICE_TABLES}
    for where, found in (*elsewhere.items(), *((f"answer: {n}", a) for n, a in answers.items() if n != "pb")):
        leaked = sorted(value for value in beside if value in found)
        assert not leaked, f"{where} holds {leaked}, stored next to choices"
    near_choices = _text({t: dump[t] for t in CHOICE_TABLES}) + answers.get("pb", "")
    named = sorted(value for value in _voter_identifiers(scene, dump) if value in near_choices)
    assert not named, f"voters' identifiers {named} appear next to choices"
    # A ballot row holds what was chosen and nothing about who, how or when (its programme's year is its round's).
    assert {c.name for c in Ballot.__table__.columns} == {
        "id",
        "programme_year",
        "round_id",
        "voter_tag",
        "choices",
        "choice_mask",
        "receipt_digest",
    }
    assert {c.name for c in BallotHistory.__table__.columns} == {
        "id",
        "programme_year",
        "round_id",
        "choices",
        "receipt_digest",
    }
    # Every audit event of a cast says who cast in which round, and how: nothing more.
    casts = [e for e in dump["audit_event"] if e["action"] in ("ballot.cast", "ballot.change")]
    assert len(casts) == 6
    for event in casts:
        assert (event["entity_type"], str(event["entity_id"])) == ("voting_round", scene.round_id)
        after = event["after"] if isinstance(event["after"], dict) else json.loads(event["after"])
        assert set(after) == {"roll_entry_id", "channel"}


def _choice_bodies() -> list[bytes]:
    """Every body a resident could send for a three-project round (what a plain hash would give away)."""
    numbers = [1, 2, 3]
    return [
        json.dumps({"choices": list(c)}, separators=sep).encode()
        for n in range(4)
        for c in itertools.permutations(numbers, n)
        for sep in ((",", ":"), (", ", ": "))
    ]


async def test_after_the_close_no_one_can_link_a_voter_to_a_choice(client, session, app, pw):
    scene = await _scene(client, session, app, pw)
    before = await _dump(session)
    ids_at_cast = {a["ballot_id"] for answers in scene.answers.values() for a in answers}
    await end_window(session, scene.round_id)
    result = ok(await client.post(f"{API}/voting/rounds/{scene.round_id}/close", headers=pw.h["staff_a1"]))
    assert result["ballots_counted"] == 5
    assert [p["votes"] for p in result["projects"]] == [3, 3, 2]  # counted as cast

    dump, answers = await _dump(session), await _answers(client, pw, scene)
    _no_link(dump, answers, scene)
    ballots = dump["ballot"]
    # The link is cut for good: no tag left, every ballot and replaced version under an id it never had before.
    assert len(ballots) == 5 and all(b["voter_tag"] is None for b in ballots)
    assert not ({i for b in ballots for i in _ids(b["id"])} & {i for a in ids_at_cast for i in _ids(a)})
    # Each fresh id is the close's time (one value for the round, not a clock read per row in the order the rows
    # were read) and random bits, so nothing of a cast's order or time survives in the ids.
    fresh = [uuid.UUID(str(row["id"])) for row in [*ballots, *dump["ballot_history"]]]
    assert {u.version for u in fresh} == {7} and len({u.int >> 80 for u in fresh}) == 1
    earlier = {str(h["id"]) for h in before["ballot_history"]}
    assert len(dump["ballot_history"]) == 1 and str(dump["ballot_history"][0]["id"]) not in earlier
    assert not any(i in _text(dump) + "".join(answers.values()) for a in ids_at_cast for i in _ids(a))
    # The stored answers of the round's keyed casts are gone (the paper one's too).
    assert not [r for r in dump["idempotency_record"] if scene.round_id in r["path"]]
    # The roll keeps that each voted, and how.
    assert sorted(m["channel"] for m in dump["vote_mark"]) == ["online"] * 4 + ["paper"]
    assert [m["casts"] for m in dump["vote_mark"] if m["voter_key"] == f"r:{scene.entries[PHONES[2]]['id']}"] == [2]
    # A voter sees that they voted, and how, but no one can show them their choices any more.
    for phone in scene.voters:
        mine = json.loads(answers[f"my-ballot {phone}"])
        assert mine["ballot"]["channel"] == "online" and mine["ballot"]["choices"] is None
    # The public file names ballots by ids found nowhere else; each voter finds their own line with their receipt.
    lines = dict(line.split(";") for line in answers["pb"].split("VOTES\n")[1].splitlines()[1:])
    assert sorted(lines) == sorted(str(uuid.UUID(str(b["id"]))) for b in ballots)
    for phone, casts in scene.answers.items():
        check = ok(await client.get(f"{API}/public/voting/receipts/{casts[-1]['receipt_code']}"))
        assert check["status"] == "counted" and lines[check["pb_voter_id"]] == ",".join(map(str, FINAL[phone]))
        for replaced in casts[:-1]:
            check = ok(await client.get(f"{API}/public/voting/receipts/{replaced['receipt_code']}"))
            assert (check["status"], check["pb_voter_id"]) == ("superseded", None)


async def test_before_the_close_the_database_alone_links_no_voter_to_a_choice(client, session, app, pw):
    scene = await _scene(client, session, app, pw)
    dump = await _dump(session)
    _no_link(dump, {}, scene)
    ballots = dump["ballot"]
    assert len(ballots) == 5 and len({b["voter_tag"] for b in ballots}) == 5
    # Without the service's key a tag is no function of anything in the database: not of a voter's key, entry,
    # user or phone digest, hashed plainly or keyed by any value the dump holds.
    tags = {b["voter_tag"] for b in ballots}
    candidates = {f"{scene.round_id}:{m['voter_key']}" for m in dump["vote_mark"]} | _voter_identifiers(scene, dump)
    keys = {str(v).encode() for rows in dump.values() for row in rows for v in row.values() if isinstance(v, str)}
    assert not tags & {hashlib.sha256(c.encode()).hexdigest() for c in candidates}
    assert not tags & {hmac.new(k, c.encode(), hashlib.sha256).hexdigest() for k in keys for c in candidates}
    # With the key (which only the running service has), the tag is the voter's: that is how they change it.
    key = secrecy.ballot_key(app.state.settings.secret_key)
    assert tags == {secrecy.voter_tag(key, scene.round_id, m["voter_key"]) for m in dump["vote_mark"]}
    # The stored answers of keyed casts are sealed, and their bodies' fingerprints give no choice away.
    stored = [r for r in dump["idempotency_record"] if scene.round_id in r["path"]]
    assert len(stored) == 2
    for record in stored:
        assert record["response_body"].startswith("sealed:v1:") and "choices" not in record["response_body"]
    [resident_record] = [r for r in stored if r["path"].endswith("/ballots")]
    path, fingerprint = resident_record["path"], resident_record["request_fingerprint"]
    assert fingerprint not in {idempotency_rules.fingerprint("POST", path, body) for body in _choice_bodies()}
    # (the same bodies do find it with the service's key: the search above covered the body sent)
    assert fingerprint in {
        idempotency_rules.fingerprint("POST", path, body, fingerprint_key(app.state.settings))
        for body in _choice_bodies()
    }
    # The voter, and only through the service, still finds their own ballot to change it.
    changer = scene.voters[PHONES[2]]
    mine = ok(await client.get(f"{API}/voting/rounds/{scene.round_id}/my-ballot", headers=changer.h))
    assert (mine["ballot"]["choices"], mine["ballot"]["version"], mine["earlier_versions"]) == ([1, 3], 2, 1)


async def _rows_in_stored_order(conn, table: str, round_id: str) -> list[tuple[str, str | None]]:
    """(id, writing transaction) of the round's rows in the order they lie on disk (PostgreSQL: ctid and xmin;
    SQLite: rowid, no transaction ids)."""
    where = {"r": uuid.UUID(round_id) if conn.dialect.name == "postgresql" else uuid.UUID(round_id).hex}
    if conn.dialect.name == "postgresql":
        sql = f"SELECT id::text, xmin::text FROM {table} WHERE round_id = :r ORDER BY ctid"  # noqa: S608
    else:
        sql = f"SELECT id, NULL FROM {table} WHERE round_id = :r ORDER BY rowid"  # noqa: S608
    return [(str(uuid.UUID(str(i))), x) for i, x in (await conn.execute(text(sql), where)).all()]


async def test_after_the_close_no_order_or_transaction_links_a_voter_to_their_ballot_or_receipt(
    client, session, app, pw
):
    scene = await _scene(client, session, app, pw)
    await end_window(session, scene.round_id)
    ok(await client.post(f"{API}/voting/rounds/{scene.round_id}/close", headers=pw.h["staff_a1"]))
    await session.commit()
    conn = await session.connection()
    pg = conn.dialect.name == "postgresql"
    ballots = await _rows_in_stored_order(conn, "ballot", scene.round_id)
    replaced = await _rows_in_stored_order(conn, "ballot_history", scene.round_id)
    assert len(ballots) == 5 and len(replaced) == 1
    # On disk the rows lie in the order of their fresh ids (random bits after the close's time), never the casts'.
    assert [i for i, _ in ballots] == sorted(i for i, _ in ballots)
    # A receipt is kept only on its ballot's row, rewritten with it: casting wrote no receipt row of its own.
    assert (await conn.execute(text("SELECT count(*) FROM legacy_receipt"))).scalar() == 0
    if pg:
        # One writing transaction, the close's, for every ballot and replaced version: none of the casts', so no
        # voter's mark, login session or token (each written by its own transaction) shares one with a ballot.
        writers = {x for _, x in ballots + replaced}
        assert len(writers) == 1
        voters = set()
        for table in ("vote_mark", "auth_session", "refresh_token", "idempotency_record"):
            voters |= set((await conn.execute(text(f"SELECT xmin::text FROM {table}"))).scalars())  # noqa: S608
        assert len(voters) >= 5 and not writers & voters
    await session.commit()
    # Each voter's receipt still finds their counted line, through the round its code names.
    for casts in scene.answers.values():
        code = casts[-1]["receipt_code"]
        assert code.replace("-", "").startswith(rules.receipt_hint(uuid.UUID(scene.round_id)))
        check = ok(await client.get(f"{API}/public/voting/receipts/{code}"))
        assert check["status"] == "counted" and check["pb_voter_id"] in {i for i, _ in ballots}
