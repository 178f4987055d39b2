"""Tables and API schemas, one module per aggregate. Importing this package registers every
table on the shared metadata (Alembic and the tests rely on that)."""

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.credit import (
    CreditEvent,
    CreditModel,
    CreditObjection,
    CreditScore,
    CreditStanding,
)
from models.enterprise import Enterprise, Product
from models.plan import Draw, Plan, PlanQuota, Sampling, SamplingTask
from models.reference import Department, ProductCategory, Region
from models.results import (
    CalendarOverride,
    CalendarYear,
    Event,
    Objection,
    Rectification,
    Refusal,
    Result,
    Retest,
    Sample,
    TestReport,
)
from models.stats import PassRateRollup
from models.system import ApiKey, AuditEntry, AuditHead, JobRun, Role

__all__ = [
    "CalendarOverride",
    "CalendarYear",
    "CreditEvent",
    "CreditModel",
    "CreditObjection",
    "CreditScore",
    "CreditStanding",
    "Event",
    "Objection",
    "PassRateRollup",
    "Rectification",
    "Refusal",
    "Result",
    "Retest",
    "Sample",
    "TestReport",
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "Department",
    "Draw",
    "Enterprise",
    "Inspector",
    "InspectorConflict",
    "JobRun",
    "Plan",
    "PlanQuota",
    "Product",
    "ProductCategory",
    "Region",
    "Role",
    "Sampling",
    "SamplingTask",
    "TestingAgency",
]
