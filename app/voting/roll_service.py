"""The voter roll: import, add, remove, list, and finding the caller's own entry (every change audited)."""

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.otp_service import phone_digest
from app.auth.principal import Principal
from app.auth.secrets import mask_phone, normalise_phone
from app.common.csv_table import LineError, invalid_file
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.config import Settings
from app.core.errors import Conflict, Unprocessable
from app.regions.models import Region, RegionLevel
from app.regions.rules import is_within
from app.voting import policy, roll_csv
from app.voting.models import VoterRollEntry

COMMUNITY_LEVELS = (RegionLevel.community,)


def snapshot(entry: VoterRollEntry) -> dict[str, Any]:
    """The audited state of an entry (never the phone, only its mask)."""
    return {
        "name": entry.name,
        "phone": entry.phone_masked,
        "unit_id": entry.unit_id,
        "household": entry.household,
        "removed_at": entry.removed_at,
        "removal_reason": entry.removal_reason,
    }


async def community_for(session: AsyncSession, principal: Principal, community_id: uuid.UUID, organise: bool) -> Region:
    """The community (404 when unknown or outside the caller's region; 403 for readers asked to organise)."""
    community = await get_or_404(
        session,
        Region,
        community_id,
        code="community_not_found",
        detail="No community with that id.",
        accept=lambda r: r.level in COMMUNITY_LEVELS,
    )
    policy.check(principal, community.path, "community", organise=organise)
    return community


async def _units(session: AsyncSession, community: Region) -> dict[str, uuid.UUID]:
    """The community's sub-units by name and by code (case-folded)."""
    rows = (
        await session.execute(
            select(Region.id, Region.name, Region.code).where(
                Region.path.startswith(community.path), Region.id != community.id
            )
        )
    ).all()
    out: dict[str, uuid.UUID] = {}
    for unit_id, name, code in rows:
        out[name.casefold()] = unit_id
        if code:
            out[code.casefold()] = unit_id
    return out


async def _check_unit(session: AsyncSession, community: Region, unit_id: uuid.UUID | None) -> None:
    if unit_id is None:
        return
    unit = await session.get(Region, unit_id)
    if unit is None or unit.id == community.id or not is_within(unit.path, community.path):
        raise Unprocessable("unit_id is not a sub-unit of this community.", code="unit_not_in_community")


async def _existing(session: AsyncSession, community_id: uuid.UUID, digests: list[str]) -> dict[str, VoterRollEntry]:
    found: dict[str, VoterRollEntry] = {}
    for start in range(0, len(digests), 1000):  # stay under SQLite's bound-parameter limit
        chunk = digests[start : start + 1000]
        rows = await session.scalars(
            select(VoterRollEntry).where(
                VoterRollEntry.community_id == community_id, VoterRollEntry.phone_digest.in_(chunk)
            )
        )
        found.update({row.phone_digest: row for row in rows})
    return found


def _new_entry(
    settings: Settings,
    community: Region,
    actor_id: str | None,
    *,
    phone: str,
    name: str,
    unit_id: uuid.UUID | None,
    household: str | None,
) -> VoterRollEntry:
    return VoterRollEntry(
        community_id=community.id,
        region_path=community.path,
        phone_digest=phone_digest(settings, phone),
        phone_masked=mask_phone(phone),
        name=name,
        unit_id=unit_id,
        household=household,
        added_by=actor_id,
    )


async def import_roll(
    session: AsyncSession, settings: Settings, principal: Principal, community: Region, data: bytes
) -> dict[str, Any]:
    """All-or-nothing import: every line checked first; phones already on the roll are left as they are."""
    parsed = roll_csv.parse(data)
    units = await _units(session, community)
    errors = list(parsed.errors)
    unit_of: dict[int, uuid.UUID | None] = {}
    for row in parsed.rows:
        unit_of[row.line] = None
        if row.subunit:
            unit_of[row.line] = units.get(row.subunit.casefold())
            if unit_of[row.line] is None:
                errors.append(LineError(row.line, f"no sub-unit {row.subunit!r} in this community"))
    if errors:
        raise invalid_file(sorted(errors, key=lambda e: e.line))
    digests = {row.line: phone_digest(settings, row.phone) for row in parsed.rows}
    existing = await _existing(session, community.id, list(digests.values()))
    actor = principal.actor
    added = readded = unchanged = 0
    now = utcnow()
    for row in parsed.rows:
        entry = existing.get(digests[row.line])
        if entry is None:
            session.add(
                _new_entry(
                    settings,
                    community,
                    actor.id,
                    phone=row.phone,
                    name=row.name,
                    unit_id=unit_of[row.line],
                    household=row.household,
                )
            )
            added += 1
        elif entry.removed_at is not None:
            before = snapshot(entry)
            entry.removed_at = entry.removed_by = entry.removal_reason = None
            entry.name, entry.unit_id, entry.household, entry.added_at = (
                row.name,
                unit_of[row.line],
                row.household,
                now,
            )
            await record(
                session,
                actor,
                "voter_roll.readd",
                "voter_roll_entry",
                entry.id,
                before=before,
                after=snapshot(entry),
                region_path=community.path,
            )
            readded += 1
        else:
            unchanged += 1
    await session.flush()
    result = {"encoding": parsed.encoding, "added": added, "readded": readded, "unchanged": unchanged}
    # One event for the file (phones stay out of the log); re-additions have their own events above.
    await record(session, actor, "voter_roll.import", "region", community.id, after=result, region_path=community.path)
    return result


async def add_entry(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    community: Region,
    phone_raw: str,
    name: str,
    unit_id: uuid.UUID | None,
    household: str | None,
) -> VoterRollEntry:
    """Put one resident on the roll (or back on it); 409 when they are on it already."""
    phone = normalise_phone(phone_raw)
    if phone is None:
        raise Unprocessable("phone is not an 11-digit mainland mobile number.", code="phone_invalid")
    await _check_unit(session, community, unit_id)
    entry = (await _existing(session, community.id, [phone_digest(settings, phone)])).get(phone_digest(settings, phone))
    if entry is not None and entry.removed_at is None:
        raise Conflict(
            "That phone is already on this community's roll.",
            code="already_on_roll",
            extra={"roll_entry_id": str(entry.id)},
        )
    before = None
    if entry is None:
        entry = _new_entry(
            settings, community, principal.actor.id, phone=phone, name=name, unit_id=unit_id, household=household
        )
        session.add(entry)
    else:
        before = snapshot(entry)
        entry.removed_at = entry.removed_by = entry.removal_reason = None
        entry.name, entry.unit_id, entry.household, entry.added_at = name, unit_id, household, utcnow()
        entry.added_by = principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "voter_roll.add" if before is None else "voter_roll.readd",
        "voter_roll_entry",
        entry.id,
        before=before,
        after=snapshot(entry),
        region_path=community.path,
    )
    return entry


async def get_entry(session: AsyncSession, principal: Principal, entry_id: uuid.UUID, organise: bool) -> VoterRollEntry:
    """A roll entry in the caller's region, or 404."""
    entry = await get_or_404(
        session, VoterRollEntry, entry_id, code="roll_entry_not_found", detail="No roll entry with that id."
    )
    policy.check(principal, entry.region_path, "roll_entry", organise=organise)
    return entry


async def remove_entry(
    session: AsyncSession, principal: Principal, entry: VoterRollEntry, reason: str
) -> VoterRollEntry:
    """Take a resident off the roll; ballots already cast stay counted (they were valid when cast)."""
    if entry.removed_at is not None:
        raise Conflict("This resident is already off the roll.", code="already_removed")
    before = snapshot(entry)
    entry.removed_at, entry.removed_by, entry.removal_reason = utcnow(), principal.actor.id, reason
    await session.flush()
    await record(
        session,
        principal.actor,
        "voter_roll.remove",
        "voter_roll_entry",
        entry.id,
        before=before,
        after=snapshot(entry),
        region_path=entry.region_path,
    )
    return entry


# Five digits or more in a row: a phone, or most of one. Searching by it would turn the masked 138****8001
# back into the number in at most 10,000 guesses, so only the four digits the mask shows are searchable.
_PHONE_LIKE = re.compile(r"[0-9]{5,}")
PHONE_SEARCH_REFUSED = (
    "请按姓名或手机号后四位查找，不支持按完整手机号查找。"
    "Search by name or the last four digits of the phone, not by the full number."
)


def list_statement(community_id: uuid.UUID, q: str | None, include_removed: bool) -> Select:
    """Entries of a community, by name; `q` matches a name fragment or the last four digits of the phone.
    422 phone_search_refused for a query holding five digits or more (in any width or spacing)."""
    stmt = select(VoterRollEntry).where(VoterRollEntry.community_id == community_id)
    if not include_removed:
        stmt = stmt.where(VoterRollEntry.removed_at.is_(None))
    if q:
        digits_read = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", q))
        if _PHONE_LIKE.search(digits_read):
            raise Unprocessable(PHONE_SEARCH_REFUSED, code="phone_search_refused")
        conditions = [VoterRollEntry.name.contains(q, autoescape=True)]
        if digits_read.isascii() and digits_read.isdigit() and len(digits_read) == 4:
            conditions.append(VoterRollEntry.phone_masked.endswith(digits_read))
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(VoterRollEntry.name, VoterRollEntry.id)


async def entry_of_voter(session: AsyncSession, community_id: uuid.UUID, digest: str | None) -> VoterRollEntry | None:
    """The caller's active entry on the community's roll, matched by the digest of their login phone."""
    if not digest:
        return None
    return await session.scalar(
        select(VoterRollEntry).where(
            VoterRollEntry.community_id == community_id,
            VoterRollEntry.phone_digest == digest,
            VoterRollEntry.removed_at.is_(None),
        )
    )


async def entries_of_voter(session: AsyncSession, digest: str | None) -> list[VoterRollEntry]:
    """The caller's active entries on every community's roll (a phone is on few), matched like entry_of_voter."""
    if not digest:
        return []
    return list(
        await session.scalars(
            select(VoterRollEntry).where(VoterRollEntry.phone_digest == digest, VoterRollEntry.removed_at.is_(None))
        )
    )
