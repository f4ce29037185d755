"""Request and response bodies of award runs and their reports."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.awards.models import RunState
from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.programmes.ruleset import MAX_AMOUNT_FEN

Grade = Literal["优秀", "良好", "合格", "不合格"]


class PanelScore(WriteModel):
    """One panel member's total for a nomination; named as a rubric score's total (total_points)."""

    evaluator: str = Field(min_length=1, max_length=64, description="a name or code of the panel member")
    total_points: int = Field(ge=0, le=100)


class Nomination(WriteModel):
    """A community work method (社区工作法) put forward, with the panel's scores."""

    community_id: uuid.UUID
    title: DisplayText = Field(min_length=2, max_length=100)
    scores: list[PanelScore] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_score_each(self) -> "Nomination":
        if len({s.evaluator for s in self.scores}) != len(self.scores):
            raise ValueError("each panel member scores a nomination once")
        return self


class AwardRunCreate(WriteModel):
    """The award rules of this run; weights, trimming and grade cut-offs are the campaign's."""

    trim_min_scores: int = Field(default=5, ge=3, le=50, description="trim when a source has at least this many")
    normalise: bool = Field(default=False, description="z-score each evaluator before averaging")
    excellent_top_n: int | None = Field(default=None, ge=1, le=1000, description="default: 10")
    excellent_top_pct: int | None = Field(default=None, ge=1, le=100)
    excellent_min_grade: Grade = "优秀"
    model_communities: int = Field(default=3, ge=0, le=100)
    work_methods: int = Field(default=3, ge=0, le=100)
    nominations: list[Nomination] = Field(default_factory=list, max_length=500)
    subsidy_by_grade: dict[Grade, Annotated[int, Field(ge=1, le=MAX_AMOUNT_FEN)]] = Field(
        default_factory=dict, description="以奖代补 fen per project by grade"
    )
    subsidy_fund_fen: int = Field(default=0, ge=0, le=MAX_AMOUNT_FEN)


class AwardRunRead(ReadModel):
    """A run: its rules, the digests of its inputs and outputs, the outputs, and where it stands."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    number: int
    state: RunState
    rule_version: str
    config: dict[str, Any]
    inputs_digest: str = Field(description="SHA-256 of the canonical inputs (GET …/inputs)")
    outputs_digest: str
    outputs: dict[str, Any]
    notice_id: uuid.UUID | None
    created_at: datetime
    approved_at: datetime | None
    published_at: datetime | None
    finalised_at: datetime | None
    withdrawn: dict[str, list[str]] | None = Field(
        default=None,
        description="read and list: awards an upheld objection withdrew, by kind (project, community, "
        "work_method); `outputs` stay as computed, the reports leave these out",
    )


class AwardPublish(WriteModel):
    """Publish an approved run under notice."""

    days: int | None = Field(default=None, ge=1, le=60, description="default: the programme's notice period")
    how_to_object: str | None = Field(default=None, max_length=500)


class SubsidyPayment(WriteModel):
    """A payment of an award's 以奖代补; omitted fields: all that is unpaid, today."""

    amount_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    entry_date: date | None = None
    document_ref: str | None = Field(default=None, max_length=100)
