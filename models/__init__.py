"""Tables and API schemas, one module per aggregate. Importing this package registers every
table on the shared metadata (Alembic and the tests rely on that)."""

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.blacklist import (
    FeedHead,
    HitCheck,
    HitCheckSubject,
    Listing,
    ListingChange,
    Measure,
    MeasureFeedback,
    Release,
    RemovalApplication,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
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
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "CalendarOverride",
    "CalendarYear",
    "CreditEvent",
    "CreditModel",
    "CreditObjection",
    "CreditScore",
    "CreditStanding",
    "Department",
    "Draw",
    "Enterprise",
    "Event",
    "FeedHead",
    "HitCheck",
    "HitCheckSubject",
    "Inspector",
    "InspectorConflict",
    "JobRun",
    "Listing",
    "ListingChange",
    "Measure",
    "MeasureFeedback",
    "Objection",
    "PassRateRollup",
    "Plan",
    "PlanQuota",
    "Product",
    "ProductCategory",
    "Rectification",
    "Refusal",
    "Region",
    "Release",
    "RemovalApplication",
    "Result",
    "Retest",
    "Role",
    "Sample",
    "Sampling",
    "SamplingTask",
    "TestReport",
    "TestingAgency",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
