"""The money identities a whole year must keep, read through the API after every phase."""

from app.demo.year import Year


async def check_money(y: Year) -> None:
    """Every identity below holds now, on this database."""
    for community, pilot in y.ids.get("pilots", {}).items():
        balance = await y.get("finance", f"/pilots/{pilot}/balance")
        assert balance["available_fen"] >= 0, (community, balance)
    verified = await y.get("supervisor", "/audit/verify")
    assert verified["ok"], verified
