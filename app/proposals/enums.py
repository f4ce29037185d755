"""Proposal kinds, lifecycle states and survey methods (project types and categories live in programmes)."""

from enum import StrEnum


class ProposalKind(StrEnum):
    """The self-governance vehicle a proposal uses (自治载体, seed 000 二(三)3)."""

    livelihood = "livelihood"  # 民生微实事提案
    venture = "venture"  # 公益微创投
    contest = "contest"  # 微公益大赛
    charter = "charter"  # 建小区公约


class ProposerKind(StrEnum):
    """Who stands behind a proposal."""

    resident = "resident"  # 居民
    organisation = "organisation"  # 社会组织
    group = "group"  # 居民小组、联名居民 (entered by staff on their behalf)


class IntakeChannel(StrEnum):
    """How a need reached the community when staff enter it for a resident (000 二(二)2, 001 三(四))."""

    grid_leader = "grid_leader"  # 网格长
    building_leader = "building_leader"  # 楼栋长、楼道长
    wechat_group = "wechat_group"  # 微信群
    paper_form = "paper_form"  # 纸质申请表
    residents_talk = "residents_talk"  # 居民说事
    visit = "visit"  # 来访、走访


class ProposalState(StrEnum):
    """Where a proposal stands in collect → select → confirm → implement → evaluate."""

    draft = "draft"  # 草稿
    submitted = "submitted"  # 已提交
    returned = "returned"  # 初审退回 (failed screening; the proposer may revise)
    screened = "screened"  # 初审通过
    under_survey = "under_survey"  # 社情民意调研
    in_deliberation = "in_deliberation"  # 协商审议
    shortlisted = "shortlisted"  # 入围
    rejected = "rejected"  # 未通过
    deferred = "deferred"  # 再议
    in_vote = "in_vote"  # 居民投票中
    selected = "selected"  # 入选
    not_selected = "not_selected"  # 未入选
    in_notice = "in_notice"  # 公示中
    confirmed = "confirmed"  # 确定
    in_implementation = "in_implementation"  # 实施中
    completed = "completed"  # 完成
    terminated = "terminated"  # 终止 (a failed mid-term review ended it)
    evaluated = "evaluated"  # 已评估
    withdrawn = "withdrawn"  # 撤回


class SurveyMethod(StrEnum):
    """How the needs survey (社情民意调研) gathered residents' views (001 三(四), 000 二(二)2)."""

    visit = "visit"  # 走访
    questionnaire = "questionnaire"  # 问卷
    symposium = "symposium"  # 座谈 / 民情恳谈
    online = "online"  # 微信群、网络
    grid_report = "grid_report"  # 网格长、楼道长反馈
    other = "other"


KIND_LABELS = {
    ProposalKind.livelihood: "民生微实事",
    ProposalKind.venture: "公益微创投",
    ProposalKind.contest: "微公益大赛",
    ProposalKind.charter: "小区公约",
}
