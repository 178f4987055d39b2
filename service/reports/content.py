"""What a test report says, checked and normalised without the database (rules §5): the item
rules, the derived verdict, and the digest that makes re-posting the identical report
idempotent."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.reports_api import ReportIn
from models.results import Verdict
from models.results_api import ItemVerdict
from service.canonical import sha256_hex
from service.errors import InvalidInput

# A plain decimal number, optionally signed, with thousands separators or an exponent; after
# NFKC folding, so full-width digits (０.６２) count too. "<0.01", "未检出" or "12%" are not
# numbers: they carry their own meaning and need no unit.
_NUMBER = re.compile(
    r"[+\-\u2212]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+\-]?[0-9]+)?"
)


def is_numeric(measured_value: str) -> bool:
    folded = unicodedata.normalize("NFKC", measured_value).strip()
    return _NUMBER.fullmatch(folded) is not None


def derive_verdict(item_verdicts: Iterable[ItemVerdict | str]) -> Verdict:
    """Nonconforming iff any item fails."""
    fails = any(v == ItemVerdict.FAIL for v in item_verdicts)
    return Verdict.NONCONFORMING if fails else Verdict.CONFORMING


def _check_item(index: int, item: dict[str, Any]) -> None:
    name, severity = item["name"], item["severity"]
    if item["verdict"] == ItemVerdict.FAIL and severity is None:
        raise InvalidInput(
            "report.severity_missing",
            f"item {index} ({name}) fails: give its severity, serious or general",
            item=index,
        )
    if item["verdict"] == ItemVerdict.PASS and severity is not None:
        raise InvalidInput(
            "report.severity_not_allowed",
            f"item {index} ({name}) passes: a severity is only given for a failing item",
            item=index,
        )
    if item["unit"] is None and is_numeric(item["measured_value"]):
        raise InvalidInput(
            "report.unit_missing",
            f"item {index} ({name}) has the numeric value {item['measured_value']!r} but no unit",
            item=index,
        )


@dataclass(frozen=True)
class Content:
    """A report as it will be stored: normalised items, the derived verdict and the digest."""

    report: ReportIn
    items: list[dict[str, Any]]
    verdict: Verdict
    document_sha256: str | None
    digest: str

    @property
    def item_names(self) -> list[str]:
        return [item["name"] for item in self.items]


def check_content(report: ReportIn, *, today: date) -> Content:
    """Apply the rules a report must meet whatever it reports on, and normalise it.

    Raises `InvalidInput` with the first broken rule; items are numbered from 0 (`item`)."""
    if (report.task_id is None) == (report.retest_id is None):
        raise InvalidInput(
            "report.target_required",
            "give exactly one of task_id (an original report) and retest_id (a re-test report)",
        )
    if report.issued_on > today:
        raise InvalidInput(
            "report.issued_in_future", f"issued_on {report.issued_on} is after today ({today})"
        )
    # The JSON form, dumped by pydantic-core: plain strings throughout, ready to hash.
    normalised = report.model_dump(mode="json")
    items: list[dict[str, Any]] = normalised["items"]
    for index, item in enumerate(items):
        # An empty unit says no more than an absent one.
        item["unit"] = item["unit"] or None
        _check_item(index, item)
    verdict = derive_verdict(item["verdict"] for item in items)
    if report.verdict is not None and report.verdict is not verdict:
        raise InvalidInput(
            "report.verdict_contradicts_items",
            f"the items make the report {verdict.value}, not {report.verdict.value}",
            derived=verdict.value,
        )
    # The digest covers everything the report states, spelled one way: the verdict is the
    # derived one (posting it or not says the same), the document hash lower-case.
    sha = report.document_sha256.lower() if report.document_sha256 else None
    normalised["verdict"] = verdict.value
    normalised["document_sha256"] = sha
    return Content(report, items, verdict, sha, content_digest(normalised))


def content_digest(normalised: dict[str, Any]) -> str:
    """`service.canonical.digest` of a value that holds only JSON-native types (str, None,
    lists, dicts), for which canonical JSON is `json.dumps` with sorted keys: skipping the
    walk that spells other types is most of the cost of a batch's digests."""
    text = json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(text.encode("utf-8"))
