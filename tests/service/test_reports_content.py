"""The rules a test report meets on its own (rules §5), without a database: the derived verdict,
units on numbers, severities on failures, and the digest that makes re-posting idempotent; and
what a concluded re-test decides — the verdict and who bears the fees."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from models.reports_api import ReportIn
from models.results import Verdict
from service.canonical import digest
from service.errors import InvalidInput
from service.reports.content import check_content, derive_verdict, is_numeric
from service.reports.retest_outcome import FeeBearer, fee_bearer, verdict_after_retest
from tests.factories import report_items

TODAY = date(2026, 3, 24)
TASK = "5f0c8a52-0d7e-4c4c-9a43-6c1f0a1b2c3d"


def report(**overrides: Any) -> ReportIn:
    return ReportIn.model_validate(
        {
            "task_id": TASK,
            "report_number": "BG2026-00001",
            "issued_on": "2026-03-20",
            "items": report_items(),
            **overrides,
        }
    )


def refusal(body: ReportIn) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_content(body, today=TODAY)
    return caught.value.code


def item(**overrides: Any) -> dict[str, Any]:
    return {**report_items()[0], **overrides}


# --- the verdict is derived --------------------------------------------------------------------


def test_a_report_is_nonconforming_iff_an_item_fails() -> None:
    assert derive_verdict(["pass", "pass"]) is Verdict.CONFORMING
    assert derive_verdict(["pass", "fail", "pass"]) is Verdict.NONCONFORMING
    assert check_content(report(), today=TODAY).verdict is Verdict.CONFORMING
    failing = report(items=report_items(failing=1))
    assert check_content(failing, today=TODAY).verdict is Verdict.NONCONFORMING


def test_a_posted_verdict_must_agree_with_the_items() -> None:
    agreeing = report(items=report_items(failing=2), verdict="nonconforming")
    assert check_content(agreeing, today=TODAY).verdict is Verdict.NONCONFORMING
    assert refusal(report(verdict="nonconforming")) == "report.verdict_contradicts_items"
    contradicting = report(items=report_items(failing=1), verdict="conforming")
    assert refusal(contradicting) == "report.verdict_contradicts_items"


# --- items -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["0.62", "12", "-3", "+4.5", "−0.1", "1,234.5", "1e-3", "2.5E6", ".5", "１２.５", " 7 "],
)
def test_a_measured_number_needs_a_unit(value: str) -> None:
    assert is_numeric(value)
    assert refusal(report(items=[item(measured_value=value, unit=None)])) == "report.unit_missing"


@pytest.mark.parametrize("value", ["符合", "未检出", "<0.01", "≤0.5", "12%", "e5", "1,23", "A级"])
def test_a_measured_text_needs_no_unit(value: str) -> None:
    assert not is_numeric(value)
    check_content(report(items=[item(measured_value=value, unit=None)]), today=TODAY)


def test_a_failing_item_needs_a_severity_and_a_passing_one_has_none() -> None:
    missing = report(items=[item(verdict="fail", severity=None)])
    assert refusal(missing) == "report.severity_missing"
    extra = report(items=[item(verdict="pass", severity="serious")])
    assert refusal(extra) == "report.severity_not_allowed"
    check_content(report(items=[item(verdict="fail", severity="serious")]), today=TODAY)


def test_the_refusal_names_the_item() -> None:
    items = [item(), item(name="噪声", measured_value="52", unit=None)]
    with pytest.raises(InvalidInput) as caught:
        check_content(report(items=items), today=TODAY)
    assert caught.value.extra["item"] == 1
    assert "噪声" in caught.value.detail


def test_a_report_is_about_exactly_one_task_or_retest() -> None:
    assert refusal(report(task_id=None)) == "report.target_required"
    both = report(retest_id="6e1a7c3b-1111-4b2b-8c9d-0a1b2c3d4e5f")
    assert refusal(both) == "report.target_required"


def test_a_report_is_not_issued_in_the_future() -> None:
    assert refusal(report(issued_on="2026-03-25")) == "report.issued_in_future"
    check_content(report(issued_on="2026-03-24"), today=TODAY)


# --- the digest --------------------------------------------------------------------------------


def test_the_digest_ignores_how_the_same_report_is_spelled() -> None:
    plain = check_content(report(document_sha256="ab" * 32), today=TODAY)
    spelled = report(
        verdict="conforming",
        document_sha256="AB" * 32,
        report_number=" BG2026-00001 ",
        items=[{**i, "name": f" {i['name']} ", "unit": i["unit"]} for i in report_items()],
    )
    assert check_content(spelled, today=TODAY).digest == plain.digest


def test_the_digest_is_the_canonical_digest_of_the_normalised_report() -> None:
    content = check_content(report(document_sha256="AB" * 32), today=TODAY)
    normalised = {
        "task_id": TASK,
        "retest_id": None,
        "report_number": "BG2026-00001",
        "issued_on": date(2026, 3, 20),
        "verdict": Verdict.CONFORMING,
        "document_sha256": "ab" * 32,
        "items": content.items,
    }
    assert content.digest == digest(normalised)


@pytest.mark.parametrize(
    "change",
    [
        {"issued_on": "2026-03-21"},
        {"document_sha256": "cd" * 32},
        {"task_id": "0a0c8a52-0d7e-4c4c-9a43-6c1f0a1b2c3d"},
        {"items": [item(measured_value="0.46"), *report_items()[1:]]},
        {"items": list(reversed(report_items()))},
    ],
    ids=["issued_on", "document", "task", "a-measured-value", "item-order"],
)
def test_the_digest_changes_with_what_the_report_states(change: dict[str, Any]) -> None:
    base = check_content(report(document_sha256="ab" * 32), today=TODAY)
    changed = check_content(report(**{"document_sha256": "ab" * 32, **change}), today=TODAY)
    assert changed.digest != base.digest


# --- what a re-test decides --------------------------------------------------------------------


def items(**verdicts: str) -> list[dict[str, str]]:
    return [{"name": name, "verdict": verdict} for name, verdict in verdicts.items()]


ORIGINAL = items(耗电量="fail", 噪声="fail", 标志="pass")


@pytest.mark.parametrize(
    ("disputed", "retest", "verdict", "bearer"),
    [
        # Both failures disputed, both overturned: conforming, the organiser pays.
        (["耗电量", "噪声"], items(耗电量="pass", 噪声="pass"), "conforming", "organiser"),
        # Both disputed, both confirmed: nonconforming, the applicant pays.
        (["耗电量", "噪声"], items(耗电量="fail", 噪声="fail"), "nonconforming", "applicant"),
        # One of two disputed failures overturned: still nonconforming, but the first result
        # was wrong on a contested point, so the organiser pays.
        (["耗电量", "噪声"], items(耗电量="pass", 噪声="fail"), "nonconforming", "organiser"),
        # Only one failure disputed and overturned: the undisputed failure still stands.
        (["耗电量"], items(耗电量="pass"), "nonconforming", "organiser"),
        # A disputed passing item fails on re-test: the re-test's word is final.
        (["标志"], items(标志="fail"), "nonconforming", "applicant"),
    ],
    ids=["all-overturned", "all-confirmed", "one-overturned", "undisputed-stands", "new-failure"],
)
def test_the_retest_decides_the_disputed_items_and_who_pays(
    disputed: list[str], retest: list[dict[str, str]], verdict: str, bearer: str
) -> None:
    assert verdict_after_retest(ORIGINAL, retest, disputed) == Verdict(verdict)
    assert fee_bearer(ORIGINAL, retest, disputed) == FeeBearer(bearer)


def test_overturning_the_only_failure_makes_the_result_conforming() -> None:
    original = items(耗电量="fail", 噪声="pass")
    assert verdict_after_retest(original, items(耗电量="pass"), ["耗电量"]) is Verdict.CONFORMING
