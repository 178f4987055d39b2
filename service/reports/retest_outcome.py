"""What a concluded re-test (复检) decides (rules §5), as pure functions over report items (each a
mapping with at least `name` and `verdict` `pass`/`fail`).

The re-test tests only the disputed items, on the backup sample, and its conclusion is final. So
the result's verdict after it combines the two reports: the original's word on the items nobody
disputed and the re-test's word on the disputed ones. The fees of the re-test fall on the
applicant when it confirms the first result, otherwise on the organiser."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import Any

from models.results import Verdict


class FeeBearer(StrEnum):
    APPLICANT = "applicant"
    ORGANISER = "organiser"


def _failed(items: Iterable[Mapping[str, Any]]) -> set[str]:
    return {item["name"] for item in items if item["verdict"] == "fail"}


def verdict_after_retest(
    original_items: Iterable[Mapping[str, Any]],
    retest_items: Iterable[Mapping[str, Any]],
    disputed: Collection[str],
) -> Verdict:
    """Nonconforming iff an undisputed item failed in the original report or any item failed
    in the re-test."""
    undisputed_failures = _failed(original_items) - set(disputed)
    if undisputed_failures or _failed(retest_items):
        return Verdict.NONCONFORMING
    return Verdict.CONFORMING


def fee_bearer(
    original_items: Iterable[Mapping[str, Any]],
    retest_items: Iterable[Mapping[str, Any]],
    disputed: Collection[str],
) -> FeeBearer:
    """The applicant pays when the re-test confirms the first result: every disputed item that
    failed originally fails again. If one of them now passes, the first result was wrong on a
    point the enterprise contested, and the organiser pays.

    Disputing only items that passed (nothing to overturn) confirms the first result as well:
    the applicant pays."""
    contested_failures = _failed(original_items) & set(disputed)
    still_failing = _failed(retest_items)
    return FeeBearer.APPLICANT if contested_failures <= still_failing else FeeBearer.ORGANISER
