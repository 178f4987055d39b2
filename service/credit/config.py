"""The credit configuration: score weights, risk windows and publication periods (rules §8).
Every number is tagged like the rules: [reg] from a department rule, [ours] a default we chose.

It is read from the environment once (`QCS_CREDIT_…`, JSON for the nested values) and never
mutated; the score and risk models derive their version from it, so changing a weight makes a
new model version and the stored scores keep theirs."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScoreWeights(BaseModel):
    """Points of the score model (rules §8, [ours] default v1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: int = 100
    nonconforming_result: int = -5
    nonconforming_result_serious: int = -15
    refusal: int = -30
    rectification_overdue: int = -10
    follow_up_failed: int = -10
    provincial_notice: int = -20
    penalty_heavier: int = -25
    penalty_other: int = -10
    verified_complaint: int = -3
    mandatory_recall: int = -10
    conforming_result: int = 1
    conforming_result_cap: int = Field(default=10, ge=0)
    award: int = 10
    certification: int = 0
    # The lowest score of each grade; below `C` is D.
    grade_a_from: int = 90
    grade_b_from: int = 75
    grade_c_from: int = 60

    @model_validator(mode="after")
    def _grades_descend(self) -> ScoreWeights:
        if not self.grade_a_from > self.grade_b_from > self.grade_c_from:
            raise ValueError("grade bounds must descend: A > B > C")
        return self


class RiskRules(BaseModel):
    """Windows of the internal risk class ([ours]): what counts as recent conduct."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recent_months: int = Field(default=12, ge=1)
    good_record_months: int = Field(default=24, ge=1)


class PublicationPeriods(BaseModel):
    """Months an event stays published (and counts) from its publication day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    light_penalty_months: int = Field(default=3, ge=1)  # [reg] Order 45 §13: reprimand, small fine
    penalty_months: int = Field(default=36, ge=1)  # [reg] Order 45 §13: other penalties
    # [ours] No rule fixes these; three years, as for penalties and listings.
    sampling_months: int = Field(default=36, ge=1)
    other_months: int = Field(default=36, ge=1)


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCS_CREDIT_", extra="ignore", frozen=True)

    score_weights: ScoreWeights = Field(default_factory=ScoreWeights)
    risk_rules: RiskRules = Field(default_factory=RiskRules)
    publication: PublicationPeriods = Field(default_factory=PublicationPeriods)
    # Enterprises one run of the recomputation job handles; the rest wait for the next run
    # (the job runs hourly, so a model change reaches every enterprise within hours).
    recompute_per_run: int = Field(default=20_000, ge=1)


@cache
def get_credit_settings() -> CreditSettings:
    return CreditSettings()
