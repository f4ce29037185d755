"""Response body of a what-if allocation: AllocationResult.to_dict() plus the file's meta."""

from pydantic import BaseModel, Field

_SCALED = "in whole units of 1/money_scale of the file's currency (money_scale 1: the file's own units)"
_EXACT = 'an exact amount as "numerator/denominator", ' + _SCALED


class PaymentRead(BaseModel):
    """How the supporters of a project funded by equal shares paid for it."""

    per_supporter: str = Field(description=_EXACT)
    full_payers: int
    partial_payers: int
    partial_total: str = Field(description=_EXACT)


class ExplanationRead(BaseModel):
    """Why one project was or was not funded, in English and Chinese."""

    project_id: str
    votes: int
    cost: int = Field(description=_SCALED)
    selected: bool
    position: int | None = Field(description="1-based funding order")
    code: str = Field(
        description="funded_greedy, funded_equal_shares, not_enough_money, supporters_cannot_afford, "
        "incompatible, no_votes, free_project, below_threshold or stopped"
    )
    reason_en: str
    reason_zh: str
    payment: PaymentRead | None
    excluded_by: str | None
    money_left: str | None = Field(description=_EXACT)


class InstanceMeta(BaseModel):
    """What the file says about itself; the counts are counted, not copied from its META."""

    description: str | None
    num_projects: int
    num_votes: int
    budget: str = Field(description="META budget in the file's currency, as a decimal string")
    vote_type: str = Field(
        description="greedy, mes, mes-add1: ordinal, cumulative and scoring votes count as "
        "approvals of what they name; official counts them the file's way"
    )
    money_scale: int = Field(description="power of ten that made every cost and the budget whole")


class WhatIfResult(BaseModel):
    """The allocation a rule would make on the uploaded file, with an explanation per project."""

    rule: str
    tie_break: str
    budget: int = Field(description=_SCALED)
    n_voters: int
    selected: list[str] = Field(description="funded project ids, in funding order")
    cost: int = Field(description=_SCALED)
    voter_budget: str | None = Field(description="equal shares: each voter's final share; " + _EXACT)
    voter_budget_increment: int | None = Field(description="mes-add1 only: the step each share grew by; " + _SCALED)
    variant: dict | None = Field(
        description="equalshares / official: which variant ran, its parameters and, in "
        "English and Chinese, how it decided; null for the pabutools variants"
    )
    explanations: list[ExplanationRead]
    meta: InstanceMeta
    audit: dict | None = Field(
        None,
        description="with audit=true: exclusion, satisfaction (cost utilities), its Gini "
        "coefficient, EJR up to one project, money and votes per category, "
        "for this outcome and side by side for the other rules'",
    )
