"""Pure money rules: what each entry does to the balances, which dates and states allow it."""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import TypeVar

from app.common.money import yuan
from app.funds.models import FundSourceKind, LedgerKind, ReturnTarget
from app.programmes.models import ProgrammeStatus

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Delta:
    """Change to a balance row, column by column, in fen."""

    funds_in_fen: int = 0
    committed_fen: int = 0
    returned_fen: int = 0
    disbursed_fen: int = 0
    transferred_out_fen: int = 0

    def scaled(self, factor: int) -> "Delta":
        """This change multiplied by factor (-1 undoes it)."""
        return Delta(*(getattr(self, f.name) * factor for f in fields(self)))

    def items(self) -> list[tuple[str, int]]:
        """The non-zero (column, change) pairs."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)]


PROJECT_KINDS = (LedgerKind.commitment, LedgerKind.disbursement, LedgerKind.return_)
REVERSIBLE_KINDS = (LedgerKind.funds_in, *PROJECT_KINDS)

_COLUMN = {
    LedgerKind.funds_in: "funds_in_fen",
    LedgerKind.commitment: "committed_fen",
    LedgerKind.return_: "returned_fen",
    LedgerKind.disbursement: "disbursed_fen",
    LedgerKind.sweep: "transferred_out_fen",
    LedgerKind.carry_over: "transferred_out_fen",
}


def pilot_delta(kind: LedgerKind, amount_fen: int) -> Delta:
    """What an entry of kind does to its pilot's balance."""
    return Delta(**{_COLUMN[kind]: amount_fen})


def project_delta(kind: LedgerKind, amount_fen: int) -> Delta | None:
    """What an entry of kind does to its project's balance (None: it has no project)."""
    return Delta(**{_COLUMN[kind]: amount_fen}) if kind in PROJECT_KINDS else None


def available_fen(funds_in: int, committed: int, returned: int, transferred_out: int) -> int:
    """Money a pilot can still commit: funds in less open commitments and year-end transfers."""
    return funds_in - (committed - returned) - transferred_out


def net_committed_fen(committed: int, returned: int) -> int:
    """A project's committed amount, the one figure shown everywhere: its commitments (budget rises included)
    less what it gave back (budget cuts and the unspent rest at closure)."""
    return committed - returned


def commitment_figures(committed: int, returned: int) -> dict[str, int]:
    """The committed amount with its breakdown, as reports, balances and public pages show it."""
    return {
        "committed_fen": net_committed_fen(committed, returned),
        "committed_gross_fen": committed,
        "returned_fen": returned,
    }


def unspent_fen(committed: int, returned: int, disbursed: int) -> int:
    """What a project may still be paid, or give back."""
    return committed - returned - disbursed


def over_commitment_detail(kind: LedgerKind, amount_fen: int, committed: int, returned: int, disbursed: int) -> str:
    """Why a payment or return of this size is refused, in the project's own figures (元)."""
    action, verb = ("拨付", "pay out") if kind == LedgerKind.disbursement else ("退回", "give back")
    net, unspent = net_committed_fen(committed, returned), unspent_fen(committed, returned, disbursed)
    return (
        f"本项目已承诺 {yuan(net)}，已拨付 {yuan(disbursed)}，尚余 {yuan(unspent)}；"
        f"本次{action} {yuan(amount_fen)} 超出了项目的余额。This would {verb} {yuan(amount_fen)}; "
        f"the project has {yuan(unspent)} committed and unpaid."
    )


# Which programme states accept each kind: money may arrive before opening; commitments only while
# open; projects keep paying and returning after the year closes.
_STATES = {
    LedgerKind.funds_in: (ProgrammeStatus.draft, ProgrammeStatus.open),
    LedgerKind.commitment: (ProgrammeStatus.open,),
    LedgerKind.disbursement: (ProgrammeStatus.open, ProgrammeStatus.closed),
    LedgerKind.return_: (ProgrammeStatus.open, ProgrammeStatus.closed),
}


# 以奖代补 rewards a year's projects once they are evaluated, which is at or after the year's end: its money is
# received and committed after the programme closes too, dated up to today (never beforehand).
AWARD_KINDS = (LedgerKind.funds_in, LedgerKind.commitment)


def state_problem(kind: LedgerKind, status: ProgrammeStatus, *, award: bool = False) -> str | None:
    """Why the programme's state refuses an entry of kind (for award money when award), or None."""
    allowed = _STATES.get(kind, tuple(ProgrammeStatus))
    if award and kind in AWARD_KINDS:
        allowed = (ProgrammeStatus.open, ProgrammeStatus.closed)
    if status in allowed:
        return None
    return f"A {kind.value} entry is not accepted while the programme is {status.value}."


# A project committed in a year is often paid, invoiced and closed in the next: its payments and returns keep
# their real dates and stay with the programme that committed them.
AFTER_YEAR_KINDS = (LedgerKind.disbursement, LedgerKind.return_)


def date_problem(
    kind: LedgerKind,
    entry_date: date,
    starts_on: date,
    ends_on: date,
    closing_date: date,
    today: date | None = None,
    *,
    award: bool = False,
) -> str | None:
    """Why entry_date is refused, or None: inside the programme period; commitments by the closing date;
    a project's payments and returns (and their reversals), and award money, also after the year, up to today."""
    after_year = kind in AFTER_YEAR_KINDS or (award and kind in AWARD_KINDS)
    if after_year and today is not None and ends_on < entry_date:
        if entry_date > today:
            return f"日期 {entry_date} 晚于今天（{today}），不能预先记账。The date {entry_date} is in the future."
        return None
    if not starts_on <= entry_date <= ends_on:
        return f"The date {entry_date} is outside the programme period {starts_on} to {ends_on}."
    if kind == LedgerKind.commitment and entry_date > closing_date and not award:
        return f"Commitments close on {closing_date}; {entry_date} is too late."
    return None


def reversal_problem(
    kind: LedgerKind,
    already_reversed: bool,
    entry_date: date,
    reversal_date: date,
    source_kind: FundSourceKind | None = None,
) -> str | None:
    """Why an entry cannot be reversed, or None."""
    if kind not in REVERSIBLE_KINDS:
        return f"A {kind.value} entry cannot be reversed."
    if source_kind == FundSourceKind.carry_over:
        # One leg of a year-end transfer: undoing it alone would make the money vanish.
        return "A carried-over amount is one leg of a year-end transfer and cannot be reversed alone."
    if already_reversed:
        return "This entry has already been reversed."
    if reversal_date < entry_date:
        return f"A reversal cannot be dated before the entry it reverses ({entry_date})."
    return None


# Sources a person may set up through the API; the subsidy and carry-overs are written by the service.
RESERVED_SOURCE_KINDS = (FundSourceKind.district_subsidy, FundSourceKind.carry_over, FundSourceKind.award_subsidy)

# Institutions are named in public; a donor or a resident who contributed is a person and is not.
PUBLIC_PAYER_KINDS = (
    FundSourceKind.district_subsidy,
    FundSourceKind.street_matching,
    FundSourceKind.government_purchase,
    FundSourceKind.community_foundation,
    FundSourceKind.community_welfare_fund,
    FundSourceKind.carry_over,
    FundSourceKind.award_subsidy,
)


def disclosed_payer(kind: FundSourceKind, payer: str | None) -> str | None:
    """The payer as the public may see it (居务公开): institutions by name, private payers not at all.

    The one disclosure rule: the public finance page and public notices both call it.
    """
    return payer if kind in PUBLIC_PAYER_KINDS else None


SOURCE_LABELS = {
    FundSourceKind.district_subsidy: "区财政补助",
    FundSourceKind.street_matching: "街道配套资金",
    FundSourceKind.government_purchase: "政府购买服务",
    FundSourceKind.donation: "慈善捐赠",
    FundSourceKind.community_foundation: "社区基金会",
    FundSourceKind.community_welfare_fund: "社区公益金",
    FundSourceKind.resident_contribution: "居民自筹",
    FundSourceKind.carry_over: "上年结转",
    FundSourceKind.award_subsidy: "以奖代补奖励资金",
}


@dataclass(frozen=True)
class YearEndStep:
    """What year end does with one pilot's uncommitted money."""

    action: str  # "carry_over" | "sweep" | "none"
    amount_fen: int


def year_end_step(available: int, policy: str, has_next_pilot: bool) -> YearEndStep:
    """Carry over when the programme says so and next year's pilot exists; otherwise sweep back."""
    if available <= 0:
        return YearEndStep("none", 0)
    if policy == "carry_over" and has_next_pilot:
        return YearEndStep("carry_over", available)
    return YearEndStep("sweep", available)


# Invariants of the balance rows, written once over a mapping of column values: given ints they
# explain a refusal; given SQL expressions they become the WHERE guard of the UPDATE. The CHECK
# constraints in models.py say the same and are the backstop.
PILOT_INVARIANTS = (
    (
        "negative_balance",
        lambda v: (
            (v["funds_in_fen"] >= 0)
            & (v["committed_fen"] >= 0)
            & (v["returned_fen"] >= 0)
            & (v["disbursed_fen"] >= 0)
            & (v["transferred_out_fen"] >= 0)
        ),
    ),
    (
        "insufficient_funds",
        lambda v: v["committed_fen"] - v["returned_fen"] + v["transferred_out_fen"] <= v["funds_in_fen"],
    ),
    (
        "over_commitment",
        lambda v: (
            (v["returned_fen"] <= v["committed_fen"]) & (v["disbursed_fen"] <= v["committed_fen"] - v["returned_fen"])
        ),
    ),
)
PROJECT_INVARIANTS = (
    ("negative_balance", lambda v: (v["committed_fen"] >= 0) & (v["returned_fen"] >= 0) & (v["disbursed_fen"] >= 0)),
    ("over_commitment", lambda v: v["disbursed_fen"] + v["returned_fen"] <= v["committed_fen"]),
)
PILOT_COLUMNS = ("funds_in_fen", "committed_fen", "returned_fen", "disbursed_fen", "transferred_out_fen")
PROJECT_COLUMNS = ("committed_fen", "returned_fen", "disbursed_fen")


def violation(
    invariants: Iterable[tuple[str, Callable[[dict[str, int]], bool]]], values: dict[str, int], delta: Delta
) -> str | None:
    """The first invariant the balance would break after delta, or None."""
    after = {k: v + getattr(delta, k, 0) for k, v in values.items()}
    for code, holds in invariants:
        if not holds(after):
            return code
    return None


def over_cap(committed: int, returned: int, delta: Delta, cap_fen: int) -> bool:
    """Whether a project's open commitment would exceed its type's cap after delta."""
    return delta.committed_fen - delta.returned_fen > 0 and (
        committed + delta.committed_fen - returned - delta.returned_fen > cap_fen
    )


# Who a source's unspent money goes back to when its pilot is swept, unless its agreement says otherwise.
DEFAULT_RETURN_TARGETS = {
    FundSourceKind.district_subsidy: ReturnTarget.district,
    FundSourceKind.street_matching: ReturnTarget.street,
    FundSourceKind.carry_over: ReturnTarget.district,
    FundSourceKind.award_subsidy: ReturnTarget.district,
}
RETURN_TARGET_LABELS = {
    ReturnTarget.district: "退回区财政",
    ReturnTarget.street: "退回街道",
    ReturnTarget.payer: "按协议退回出资方",
    ReturnTarget.community: "按协议转入社区公益金",
}


def default_return_target(kind: FundSourceKind) -> ReturnTarget:
    """The district's and the street's money go back to them; other payers get theirs back (their agreement)."""
    return DEFAULT_RETURN_TARGETS.get(kind, ReturnTarget.payer)


# A commitment draws on a pilot's sources in this order: last year's carried-over money first (it is the
# oldest), then the district subsidy, the street's matching funds, other public money, and private money
# last; sources of one kind oldest first. A return gives back in the opposite order.
DRAW_ORDER = (
    FundSourceKind.carry_over,
    FundSourceKind.district_subsidy,
    FundSourceKind.street_matching,
    FundSourceKind.government_purchase,
    FundSourceKind.community_welfare_fund,
    FundSourceKind.community_foundation,
    FundSourceKind.donation,
    FundSourceKind.resident_contribution,
    FundSourceKind.award_subsidy,
)
# A payment spends a project's commitment per source in the same order (the district's money before the street's);
# a return gives back its unpaid rest last first, so what is paid and what comes back meet only when all is used.
# Award money (以奖代补) is drawn only by the award it was received for, never by another commitment.
EARMARKED_KINDS = (FundSourceKind.award_subsidy,)


def draw_rank(kind: FundSourceKind) -> int:
    """Where sources of kind stand in the draw order."""
    return DRAW_ORDER.index(kind)


def split_draw(available: Sequence[tuple[K, int]], amount_fen: int) -> list[tuple[K, int]]:
    """Take amount_fen from (key, uncommitted) pairs in the order given; the shares, or ValueError if short."""
    shares: list[tuple[K, int]] = []
    left = amount_fen
    for key, free in available:
        if left == 0:
            break
        take = min(max(free, 0), left)
        if take:
            shares.append((key, take))
            left -= take
    if left:
        raise ValueError(f"{left} fen more than the sources hold")
    return shares


def unpay_split(own: Sequence[tuple[K, int]], paid: Sequence[tuple[K, int]], amount_fen: int) -> list[tuple[K, int]]:
    """Undo a payment of amount_fen: first from the sources it was paid from (own, its shares), as far as each is
    still paid, then from the project's other paid money, last in the draw order first (paid: (key, paid) in
    draw order). The (negative) shares, or ValueError if less than amount_fen is paid."""
    held = dict(paid)
    shares: dict[K, int] = {}
    left = amount_fen
    for key, share in own:
        take = min(max(share, 0), max(held.get(key, 0), 0), left)
        if take:
            shares[key] = shares.get(key, 0) + take
            held[key] -= take
            left -= take
    if left:
        for key, take in split_draw([(k, held[k]) for k, _ in reversed(paid)], left):
            shares[key] = shares.get(key, 0) + take
    return [(key, -take) for key, take in shares.items()]


def reattribute_paid(net_after: Sequence[tuple[K, int]], paid: Mapping[K, int]) -> list[tuple[K, int]]:
    """When a project's commitment from some sources falls below what was paid from them (a commitment reversed),
    move the excess payment to its other sources with committed, unpaid money, in the draw order (net_after:
    (key, committed) in draw order after the change). The moves (negative off, positive on; they sum to zero),
    or ValueError if the project's money cannot cover its payments."""
    off = [(key, paid.get(key, 0) - net) for key, net in net_after if paid.get(key, 0) > net]
    excess = sum(amount for _, amount in off)
    if not excess:
        return []
    room = [(key, net - paid.get(key, 0)) for key, net in net_after]
    return [(key, -amount) for key, amount in off] + split_draw(room, excess)


def over_plan(planned_fen: int | None, received_fen: int, amount_fen: int) -> bool:
    """Whether funds in of amount_fen would take a source past its planned amount (no plan: never)."""
    return planned_fen is not None and received_fen + amount_fen > planned_fen


def yuan_text(fen: int) -> str:
    """Fen as 元 with two decimals, for messages people read."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}元"


# A proposal from the shortlist on is in the process (vote, notice, confirmation): the process commits it.
# A proposal in any of these states is on its way through the process (or went through it): its money can only
# come by confirmation after the notice, never by a direct commitment. Outside them (a draft, or one returned,
# rejected, not selected or withdrawn) a named decision may still fund it, labelled as direct.
IN_PROCESS_STATES = frozenset(
    {
        "submitted",
        "screened",
        "under_survey",
        "in_deliberation",
        "deferred",
        "shortlisted",
        "in_vote",
        "selected",
        "in_notice",
        "confirmed",
        "in_implementation",
        "completed",
        "terminated",
        "evaluated",
    }
)


def decision_problem(motion_given: bool, document_given: bool) -> str | None:
    """Why a direct commitment's decision is missing or ambiguous, or None: exactly one of the two is named."""
    if motion_given == document_given:
        return (
            "直接安排资金须且只须注明一项决定依据：居民代表会议已通过的议题（decision_motion_id）或区级文件号"
            "（decision_document_ref）。A direct commitment names exactly one decision: a passed motion of the "
            "community's representative meeting or a document reference."
        )
    return None
