"""The money identities a whole year must keep, read through the API after every phase, as finance staff, a
supervisor and the public read them."""

from app.core import clock
from app.demo.year import Year


async def check_money(y: Year) -> None:
    """Every identity below holds now, on this database."""
    await _pilots_add_up(y)
    await _projects_within_their_money(y)
    await _public_equals_internal(y)
    verified = await y.get("supervisor", "/audit/verify")
    assert verified["ok"], verified


def _pilots(y: Year, *, next_year: bool = True) -> list[tuple[str, str, str]]:
    """(who reads it, community, pilot): 福田区's pilots by its finance staff, 罗湖区's 公益微创投 pilot by its own."""
    pilots = {**y.ids.get("pilots", {}), **(y.ids.get("next_pilots", {}) if next_year else {})}
    out = [("finance", community, pilot) for community, pilot in pilots.items()]
    if "pilot" in y.ids.get("venture", {}):
        out.append(("lh_finance", "莲塘社区", y.ids["venture"]["pilot"]))
    return out


async def _pilots_add_up(y: Year) -> None:
    """Per pilot: received = committed (net of returns) + uncommitted + transferred out at year end; what rounds
    and review panels hold never exceeds what is uncommitted."""
    for who, community, pilot in _pilots(y):
        b = await y.get(who, f"/pilots/{pilot}/balance")
        assert b["reserved_by_rounds_fen"] + b["reserved_by_panels_fen"] <= b["uncommitted_fen"], (community, b)
        committed = b["committed_fen"] - b["returned_fen"]
        assert b["funds_in_fen"] == committed + b["available_fen"] + b["transferred_out_fen"], (community, b)
        assert b["available_fen"] >= 0 and committed >= b["disbursed_fen"] >= 0, (community, b)
        # Per source: its own receipts, what it bears of commitments, what is left, what went back at year end.
        for s in b["sources"]:
            assert s["received_fen"] == s["committed_fen"] + s["uncommitted_fen"] + s["swept_fen"], (community, s)
            assert s["received_fen"] <= s["planned_fen"] or s["kind"] == "carry_over", (community, s)
        assert sum(s["received_fen"] for s in b["sources"]) == b["funds_in_fen"], (community, b)
        assert sum(s["committed_fen"] for s in b["sources"]) == committed, (community, b)
        # Payments too are per source: nothing paid from a source beyond what it bears of commitments.
        assert all(0 <= s["paid_fen"] <= s["committed_fen"] for s in b["sources"]), (community, b)
        assert sum(s["paid_fen"] for s in b["sources"]) == b["disbursed_fen"], (community, b)


async def _projects_within_their_money(y: Year) -> None:
    """Per project: disbursed <= committed and invoiced <= disbursed, in the internal report and the ledger."""
    for who, projects in (
        ("finance", y.ids.get("projects", {})),
        ("lh_finance", dict(enumerate(y.ids.get("venture", {}).get("projects", [])))),
    ):
        if projects:
            await _within(y, who, projects)


async def _within(y: Year, who: str, projects: dict) -> None:
    report = await y.get(who, "/funds/reports/projects", year=y.year, as_of=clock.today().isoformat())
    rows = {r["project_id"]: r for r in report["rows"]}
    for number, project in projects.items():
        row = rows[project]
        assert row["disbursed_fen"] <= row["committed_fen"], (number, row)
        assert row["spent_fen"] <= row["disbursed_fen"], (number, row)
        ledger = await y.get(who, f"/funds/projects/{project}")
        assert ledger["disbursed_fen"] == row["disbursed_fen"], (number, ledger, row)
        # One committed figure everywhere: net of what came back, with the breakdown beside it.
        net = ledger["committed_gross_fen"] - ledger["returned_fen"]
        assert ledger["committed_fen"] == row["committed_fen"] == net, (number, ledger, row)


async def _public_equals_internal(y: Year) -> None:
    """Every figure the public finance page shows equals the internal one."""
    for who, community, pilot in _pilots(y, next_year=False):
        public = await y.get("", f"/public/communities/{y.ids['regions'][community]}/finances")
        year = next(row for row in public["years"] if row["year"] == y.year)
        b = await y.get(who, f"/pilots/{pilot}/balance")
        assert (
            year["funds_in_fen"],
            year["committed_fen"],
            year["disbursed_fen"],
            year["transferred_out_fen"],
            year["available_fen"],
        ) == (
            b["funds_in_fen"],
            b["committed_fen"] - b["returned_fen"],
            b["disbursed_fen"],
            b["transferred_out_fen"],
            b["available_fen"],
        ), (community, year, b)
        for project in year["projects"]:
            ledger = await y.get(who, f"/funds/projects/{project['project_id']}")
            assert (project["committed_fen"], project["disbursed_fen"]) == (
                ledger["committed_fen"],
                ledger["disbursed_fen"],
            ), (project, ledger)
            if project["project_id"] in y.ids.get("started", ()):
                spent = await y.get("", f"/public/projects/{project['project_id']}/expenditures")
                assert spent["spent_fen"] == sum(e["amount_fen"] for e in spent["items"]) <= project["disbursed_fen"], (
                    project,
                    spent,
                )
