"""The six-month no-resampling rule (domain rules §4), tested without database or web layer."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

import pytest

from service.six_month_rule import (
    DEFAULT,
    VERSION,
    Block,
    Eligibility,
    Level,
    Organiser,
    PastSampling,
    PlanKind,
    RuleId,
    SixMonthConfig,
    Verdict,
    add_months,
    check_eligibility,
    is_higher,
    is_superior,
    lock_end,
    region_contains,
)

# --- Organisers used throughout -------------------------------------------------------------------

SAMR = Organiser("SAMR", Level.NATIONAL, "000000")
HUBEI = Organiser("HB-AMR", Level.PROVINCIAL, "420000")
WUHAN = Organiser("HB-WH-AMR", Level.MUNICIPAL, "420100")
WUHAN_JIANGAN = Organiser("HB-WH-JA-AMR", Level.COUNTY, "420103")
YICHANG = Organiser("HB-YC-AMR", Level.MUNICIPAL, "420500")
YICHANG_YIDU = Organiser("HB-YC-YD-AMR", Level.COUNTY, "420581")
XIANTAO = Organiser("HB-XT-AMR", Level.COUNTY, "429004")  # county-level, directly under Hubei
HENAN = Organiser("HA-AMR", Level.PROVINCIAL, "410000")
ZHENGZHOU = Organiser("HA-ZZ-AMR", Level.MUNICIPAL, "410100")
ZHENGZHOU_JINSHUI = Organiser("HA-ZZ-JS-AMR", Level.COUNTY, "410105")
JIYUAN = Organiser("HA-JY-AMR", Level.MUNICIPAL, "419001")  # directly under Henan, no children
LANKAO = Organiser("HA-KF-LK-AMR", Level.COUNTY, "410225")

ALL_ORGANISERS = [
    SAMR,
    HUBEI,
    WUHAN,
    WUHAN_JIANGAN,
    YICHANG,
    YICHANG_YIDU,
    XIANTAO,
    HENAN,
    ZHENGZHOU,
    ZHENGZHOU_JINSHUI,
    JIYUAN,
    LANKAO,
]


def sampled(
    organiser: Organiser,
    on: date,
    verdict: Verdict | None,
    sampling_id: str = "S-1",
) -> PastSampling:
    return PastSampling(sampling_id, organiser, on, verdict)


def rules(result: Eligibility) -> list[RuleId]:
    return [block.rule_id for block in result.blocks]


def routine(history: list[PastSampling], organiser: Organiser, on: date) -> Eligibility:
    return check_eligibility(history, organiser, on, PlanKind.ROUTINE)


D = date.fromisoformat

# --- Calendar-month arithmetic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # ordinary dates keep their day number
        ("2025-01-15", 6, "2025-07-15"),
        ("2025-07-01", 6, "2026-01-01"),
        ("2025-06-30", 6, "2025-12-30"),
        ("2025-08-28", 6, "2026-02-28"),
        # year wrap
        ("2025-09-15", 6, "2026-03-15"),
        ("2025-12-31", 6, "2026-06-30"),
        # the 31st lands in a 30-day month
        ("2025-03-31", 6, "2025-09-30"),
        ("2025-05-31", 6, "2025-11-30"),
        ("2025-10-31", 6, "2026-04-30"),
        ("2025-12-31", 3, "2026-03-31"),
        # ... or in February
        ("2025-08-29", 6, "2026-02-28"),
        ("2025-08-30", 6, "2026-02-28"),
        ("2025-08-31", 6, "2026-02-28"),
        ("2025-01-31", 1, "2025-02-28"),
        # leap years
        ("2023-08-31", 6, "2024-02-29"),
        ("2024-08-31", 6, "2025-02-28"),
        ("2024-02-29", 6, "2024-08-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("1999-08-31", 6, "2000-02-29"),  # 2000 is a leap year (divisible by 400)
        ("2099-08-31", 6, "2100-02-28"),  # 2100 is not (divisible by 100)
        # other month counts
        ("2025-05-15", 0, "2025-05-15"),
        ("2025-01-31", 25, "2027-02-28"),
        ("2025-03-31", -1, "2025-02-28"),
        ("2026-02-28", -6, "2025-08-28"),
    ],
)
def test_add_months_counts_calendar_months_and_clamps_to_the_month_end(
    start: str, months: int, expected: str
) -> None:
    assert add_months(D(start), months) == D(expected)


def test_the_lock_ends_six_calendar_months_after_the_sampling_by_default() -> None:
    assert lock_end(D("2025-08-31")) == D("2026-02-28")
    assert lock_end(D("2025-09-15")) == D("2026-03-15")


def test_lock_end_follows_the_configured_number_of_months() -> None:
    assert lock_end(D("2025-08-31"), SixMonthConfig(months=3)) == D("2025-11-30")


@pytest.mark.parametrize(
    ("sampled_on", "first_allowed"),
    [
        ("2025-08-31", "2026-02-28"),
        ("2023-08-31", "2024-02-29"),
        ("2024-08-31", "2025-02-28"),
        ("2024-02-29", "2024-08-29"),
        ("2025-03-31", "2025-09-30"),
        ("2025-09-15", "2026-03-15"),
        ("2025-12-31", "2026-06-30"),
    ],
)
def test_the_lock_covers_the_sampling_day_up_to_but_excluding_the_end_date(
    sampled_on: str, first_allowed: str
) -> None:
    history = [sampled(WUHAN, D(sampled_on), "nonconforming")]
    end = D(first_allowed)

    assert not routine(history, WUHAN, D(sampled_on)).eligible
    assert not routine(history, WUHAN, end - timedelta(days=1)).eligible
    assert routine(history, WUHAN, end).eligible
    assert routine(history, WUHAN, end + timedelta(days=1)).eligible


def test_a_product_passed_by_a_province_on_2025_08_31_is_locked_until_2026_02_28() -> None:
    history = [sampled(HUBEI, D("2025-08-31"), "conforming")]

    on_27th = routine(history, HENAN, D("2026-02-27"))
    assert not on_27th.eligible
    assert on_27th.locked_until == D("2026-02-28")
    assert routine(history, HENAN, D("2026-02-28")).eligible


def test_add_months_by_six_lands_in_the_right_month_without_exceeding_the_day_number() -> None:
    rng = random.Random(0)
    first, last = date(1900, 1, 1).toordinal(), date(2200, 12, 31).toordinal()
    for _ in range(20_000):
        d = date.fromordinal(rng.randint(first, last))
        result = add_months(d, 6)

        year, month0 = divmod(d.year * 12 + d.month - 1 + 6, 12)
        assert (result.year, result.month) == (year, month0 + 1), d
        assert result.day <= d.day, d
        if d.day <= 28:
            assert result.day == d.day
        # a lock of six calendar months is never shorter than 181 days nor longer than 184
        assert 181 <= (result - d).days <= 184


def test_add_months_never_moves_backwards_as_the_start_date_advances() -> None:
    rng = random.Random(0)
    start = date(2023, 1, 1)
    days = sorted(start + timedelta(days=rng.randint(0, 3 * 366)) for _ in range(2_000))
    for months in (1, 3, 6, 12):
        ends = [add_months(d, months) for d in days]
        assert ends == sorted(ends)


# --- Levels, regions, superiors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (Level.NATIONAL, Level.PROVINCIAL, True),
        (Level.NATIONAL, Level.MUNICIPAL, True),
        (Level.NATIONAL, Level.COUNTY, True),
        (Level.PROVINCIAL, Level.MUNICIPAL, True),
        (Level.PROVINCIAL, Level.COUNTY, True),
        (Level.MUNICIPAL, Level.COUNTY, True),
        (Level.NATIONAL, Level.NATIONAL, False),
        (Level.COUNTY, Level.COUNTY, False),
        (Level.PROVINCIAL, Level.NATIONAL, False),
        (Level.COUNTY, Level.MUNICIPAL, False),
        (Level.COUNTY, Level.NATIONAL, False),
    ],
)
def test_is_higher_ranks_national_above_provincial_above_municipal_above_county(
    a: Level, b: Level, expected: bool
) -> None:
    assert is_higher(a, b) is expected


def test_level_ranks_are_strictly_ordered_with_national_highest() -> None:
    ordered = [Level.COUNTY, Level.MUNICIPAL, Level.PROVINCIAL, Level.NATIONAL]
    assert [level.rank for level in ordered] == sorted({level.rank for level in ordered})


@pytest.mark.parametrize(
    ("ancestor", "code", "expected"),
    [
        # the whole country
        ("000000", "000000", True),
        ("000000", "420000", True),
        ("000000", "420103", True),
        ("000000", "419001", True),
        # a province
        ("420000", "420000", True),
        ("420000", "420100", True),
        ("420000", "420103", True),
        ("420000", "429004", True),
        ("420000", "410000", False),
        ("420000", "410105", False),
        ("420000", "000000", False),
        ("410000", "419001", True),
        # a prefecture
        ("420100", "420100", True),
        ("420100", "420103", True),
        ("420100", "420581", False),
        ("420100", "420000", False),
        ("420100", "429004", False),  # 仙桃 belongs to Hubei, not to Wuhan
        ("410100", "419001", False),  # 济源 belongs to Henan, not to Zhengzhou
        # leaf units contain only themselves
        ("420103", "420103", True),
        ("420103", "420104", False),
        ("420103", "420100", False),
        ("419001", "419001", True),
        ("419001", "419002", False),
        ("419001", "410000", False),
        ("429004", "429004", True),
        ("429004", "429005", False),
        ("429004", "420000", False),
    ],
)
def test_region_contains_follows_gb_t_2260_code_structure(
    ancestor: str, code: str, expected: bool
) -> None:
    assert region_contains(ancestor, code) is expected


@pytest.mark.parametrize("bad", ["", "4201", "4201000", "42010a", "４２０１００", " 42010"])
def test_region_contains_rejects_codes_that_are_not_six_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="6 ASCII digits"):
        region_contains(bad, "420100")
    with pytest.raises(ValueError, match="6 ASCII digits"):
        region_contains("420000", bad)


@pytest.mark.parametrize(
    ("higher", "lower", "expected"),
    [
        (SAMR, HUBEI, True),
        (SAMR, WUHAN, True),
        (SAMR, WUHAN_JIANGAN, True),
        (SAMR, JIYUAN, True),
        (SAMR, XIANTAO, True),
        (HUBEI, WUHAN, True),
        (HUBEI, WUHAN_JIANGAN, True),
        (HUBEI, YICHANG_YIDU, True),
        (HUBEI, XIANTAO, True),
        (WUHAN, WUHAN_JIANGAN, True),
        (YICHANG, YICHANG_YIDU, True),
        (HENAN, JIYUAN, True),
        (HENAN, LANKAO, True),
        # a Hubei bureau is no superior of anything in Henan, and vice versa
        (HUBEI, ZHENGZHOU, False),
        (HUBEI, LANKAO, False),
        (HENAN, WUHAN_JIANGAN, False),
        # a city is no superior of a county in another city or directly under the province
        (WUHAN, YICHANG_YIDU, False),
        (WUHAN, XIANTAO, False),
        (ZHENGZHOU, LANKAO, False),
        # 济源 has no counties under it
        (JIYUAN, ZHENGZHOU_JINSHUI, False),
        (JIYUAN, LANKAO, False),
        # same level is never superior, nor is anyone to itself
        (HUBEI, HENAN, False),
        (WUHAN, YICHANG, False),
        (SAMR, SAMR, False),
        (WUHAN, WUHAN, False),
        # upwards is never superior
        (WUHAN, HUBEI, False),
        (WUHAN_JIANGAN, WUHAN, False),
        (HUBEI, SAMR, False),
    ],
)
def test_is_superior_needs_a_higher_level_and_a_containing_region(
    higher: Organiser, lower: Organiser, expected: bool
) -> None:
    assert is_superior(higher, lower) is expected


def test_the_national_level_is_superior_to_every_non_national_organiser() -> None:
    for organiser in ALL_ORGANISERS:
        assert is_superior(SAMR, organiser) is (organiser.level is not Level.NATIONAL)


# --- R1: passed national or provincial sampling blocks everyone ---------------------------------


def test_passed_national_sampling_locks_out_a_county_in_another_province() -> None:
    history = [sampled(SAMR, D("2025-03-10"), "conforming")]

    result = routine(history, LANKAO, D("2025-06-01"))

    assert not result.eligible
    # the national level is also every county's superior, so R3 applies as well
    assert rules(result) == [RuleId.R1, RuleId.R3]
    assert result.locked_until == D("2025-09-10")


def test_passed_provincial_sampling_locks_out_another_provinces_bureau() -> None:
    history = [sampled(HUBEI, D("2025-03-10"), "conforming")]

    result = routine(history, HENAN, D("2025-06-01"))

    assert not result.eligible
    assert rules(result) == [RuleId.R1]
    assert result.blocks[0].lock_ends_on == D("2025-09-10")


@pytest.mark.parametrize(
    "organiser",
    [SAMR, HENAN, ZHENGZHOU, ZHENGZHOU_JINSHUI, JIYUAN, LANKAO, YICHANG, XIANTAO],
)
def test_a_product_that_passed_provincial_sampling_is_locked_for_every_region_and_level(
    organiser: Organiser,
) -> None:
    history = [sampled(HUBEI, D("2025-03-10"), "conforming")]

    result = routine(history, organiser, D("2025-09-09"))

    assert not result.eligible
    assert RuleId.R1 in rules(result)


def test_passed_national_sampling_locks_out_even_another_national_department() -> None:
    other_national = Organiser("MIIT", Level.NATIONAL, "000000")
    history = [sampled(SAMR, D("2025-03-10"), "conforming")]

    assert rules(routine(history, other_national, D("2025-03-11"))) == [RuleId.R1]


def test_a_product_found_nonconforming_by_a_province_is_not_locked_for_another_province() -> None:
    history = [sampled(HUBEI, D("2025-03-10"), "nonconforming")]

    assert routine(history, HENAN, D("2025-04-01")).eligible


def test_a_product_found_nonconforming_by_a_province_is_still_locked_by_r2_and_r3() -> None:
    history = [sampled(HUBEI, D("2025-03-10"), "nonconforming")]

    assert rules(routine(history, HUBEI, D("2025-04-01"))) == [RuleId.R2]
    assert rules(routine(history, WUHAN, D("2025-04-01"))) == [RuleId.R3]


@pytest.mark.parametrize("past_organiser", [SAMR, HUBEI])
def test_a_pending_national_or_provincial_result_does_not_trigger_r1(
    past_organiser: Organiser,
) -> None:
    history = [sampled(past_organiser, D("2025-03-10"), None)]
    other_national = Organiser("MIIT", Level.NATIONAL, "000000")

    # Henan is outside the reach of R3 for a Hubei sampling but not for a national one
    henan = routine(history, HENAN, D("2025-04-01"))
    assert rules(henan) == ([RuleId.R3] if past_organiser is SAMR else [])
    assert routine(history, other_national, D("2025-04-01")).eligible


@pytest.mark.parametrize("organiser", [YICHANG, ZHENGZHOU, LANKAO, HENAN, YICHANG_YIDU])
def test_a_product_that_passed_municipal_sampling_is_not_locked_for_other_cities_by_r1(
    organiser: Organiser,
) -> None:
    history = [sampled(WUHAN, D("2025-03-10"), "conforming")]

    assert routine(history, organiser, D("2025-04-01")).eligible


def test_a_product_that_passed_county_sampling_does_not_trigger_r1() -> None:
    history = [sampled(WUHAN_JIANGAN, D("2025-03-10"), "conforming")]

    assert routine(history, HENAN, D("2025-04-01")).eligible
    assert routine(history, HUBEI, D("2025-04-01")).eligible


# --- R2: the same organising department, whatever the verdict -----------------------------------


@pytest.mark.parametrize("verdict", ["conforming", "nonconforming", None])
def test_the_same_department_cannot_sample_the_product_again_within_six_months_whatever_the_verdict(
    verdict: Verdict | None,
) -> None:
    history = [sampled(WUHAN_JIANGAN, D("2025-03-10"), verdict)]

    before = routine(history, WUHAN_JIANGAN, D("2025-09-09"))
    assert not before.eligible
    assert rules(before) == [RuleId.R2]
    assert before.locked_until == D("2025-09-10")
    assert routine(history, WUHAN_JIANGAN, D("2025-09-10")).eligible


def test_a_provincial_department_that_passed_a_product_is_blocked_by_r1_and_r2() -> None:
    history = [sampled(HUBEI, D("2025-03-10"), "conforming")]

    assert rules(routine(history, HUBEI, D("2025-04-01"))) == [RuleId.R1, RuleId.R2]


def test_r2_compares_department_codes_not_regions() -> None:
    # two departments of the same level and region are different organisers
    other_in_wuhan = Organiser("HB-WH-OTHER", Level.MUNICIPAL, "420100")
    history = [sampled(WUHAN, D("2025-03-10"), "nonconforming")]

    assert routine(history, other_in_wuhan, D("2025-04-01")).eligible


# --- R3: a higher level locks out its lower levels ----------------------------------------------


@pytest.mark.parametrize("verdict", ["conforming", "nonconforming", None])
@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        (HUBEI, WUHAN),
        (HUBEI, WUHAN_JIANGAN),
        (HUBEI, XIANTAO),
        (WUHAN, WUHAN_JIANGAN),
        (HENAN, JIYUAN),
        (SAMR, HUBEI),
        (SAMR, WUHAN),
        (SAMR, WUHAN_JIANGAN),
        (SAMR, JIYUAN),
    ],
)
def test_a_lower_level_cannot_sample_what_its_superior_sampled_within_six_months(
    higher: Organiser, lower: Organiser, verdict: Verdict | None
) -> None:
    history = [sampled(higher, D("2025-03-10"), verdict)]

    result = routine(history, lower, D("2025-09-09"))

    assert not result.eligible
    assert RuleId.R3 in rules(result)
    assert routine(history, lower, D("2025-09-10")).eligible


@pytest.mark.parametrize(("past", "new"), [(HUBEI, HENAN), (WUHAN, YICHANG), (LANKAO, XIANTAO)])
def test_the_same_level_does_not_lock_out_another_organiser_of_that_level(
    past: Organiser, new: Organiser
) -> None:
    history = [sampled(past, D("2025-03-10"), "nonconforming")]

    assert routine(history, new, D("2025-04-01")).eligible


@pytest.mark.parametrize(
    ("past", "new"),
    [(HUBEI, ZHENGZHOU), (HUBEI, LANKAO), (HENAN, WUHAN_JIANGAN), (HENAN, XIANTAO)],
)
def test_a_higher_level_in_another_province_does_not_lock_out_a_lower_level(
    past: Organiser, new: Organiser
) -> None:
    history = [sampled(past, D("2025-03-10"), "nonconforming")]

    assert routine(history, new, D("2025-04-01")).eligible


@pytest.mark.parametrize(
    ("past", "new"), [(WUHAN, YICHANG_YIDU), (WUHAN, XIANTAO), (JIYUAN, ZHENGZHOU_JINSHUI)]
)
def test_a_city_does_not_lock_out_counties_outside_it(past: Organiser, new: Organiser) -> None:
    history = [sampled(past, D("2025-03-10"), None)]

    assert routine(history, new, D("2025-04-01")).eligible


@pytest.mark.parametrize("verdict", ["conforming", "nonconforming", None])
@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        (WUHAN_JIANGAN, HUBEI),
        (WUHAN_JIANGAN, WUHAN),
        (WUHAN, HUBEI),
        (WUHAN, SAMR),
        (XIANTAO, SAMR),
    ],
)
def test_a_lower_level_sampling_never_locks_out_a_higher_level(
    lower: Organiser, higher: Organiser, verdict: Verdict | None
) -> None:
    history = [sampled(lower, D("2025-03-10"), verdict)]

    assert routine(history, higher, D("2025-04-01")).eligible


def test_a_nonconforming_national_sampling_locks_out_every_lower_level_but_not_national() -> None:
    history = [sampled(SAMR, D("2025-03-10"), "nonconforming")]
    other_national = Organiser("MIIT", Level.NATIONAL, "000000")

    for organiser in ALL_ORGANISERS:
        if organiser.level is Level.NATIONAL:
            continue
        assert rules(routine(history, organiser, D("2025-04-01"))) == [RuleId.R3]
    assert routine(history, other_national, D("2025-04-01")).eligible


# --- Exceptions and configuration ---------------------------------------------------------------

BLOCKING_SCENARIOS = {
    "R1": ([sampled(HUBEI, D("2025-03-10"), "conforming")], HENAN),
    "R2": ([sampled(WUHAN, D("2025-03-10"), "nonconforming")], WUHAN),
    "R3": ([sampled(HUBEI, D("2025-03-10"), None)], WUHAN_JIANGAN),
}


@pytest.mark.parametrize("scenario", sorted(BLOCKING_SCENARIOS))
@pytest.mark.parametrize("plan_kind", [PlanKind.FOLLOW_UP, PlanKind.EMERGENCY])
def test_follow_up_and_emergency_plans_may_sample_despite_each_rule(
    plan_kind: PlanKind, scenario: str
) -> None:
    history, organiser = BLOCKING_SCENARIOS[scenario]

    result = check_eligibility(history, organiser, D("2025-04-01"), plan_kind)

    assert result == Eligibility(eligible=True, blocks=(), locked_until=None, exempt=True)


@pytest.mark.parametrize("scenario", sorted(BLOCKING_SCENARIOS))
@pytest.mark.parametrize("plan_kind", [PlanKind.ROUTINE, PlanKind.SPECIAL])
def test_routine_and_special_plans_are_not_exempt(plan_kind: PlanKind, scenario: str) -> None:
    history, organiser = BLOCKING_SCENARIOS[scenario]

    result = check_eligibility(history, organiser, D("2025-04-01"), plan_kind)

    assert not result.eligible
    assert not result.exempt
    assert rules(result) == [RuleId(scenario)]


@pytest.mark.parametrize("plan_kind", [PlanKind.FOLLOW_UP, PlanKind.EMERGENCY])
def test_an_exempt_plan_is_not_marked_exempt_when_nothing_would_have_blocked_it(
    plan_kind: PlanKind,
) -> None:
    expired = [sampled(WUHAN, D("2024-03-10"), "nonconforming")]
    unrelated = [sampled(YICHANG, D("2025-03-10"), "nonconforming")]

    for history in ([], expired, unrelated):
        result = check_eligibility(history, WUHAN, D("2025-04-01"), plan_kind)
        assert result == Eligibility(eligible=True, blocks=(), locked_until=None, exempt=False)


def test_configuring_special_plans_as_exempt_makes_them_exempt() -> None:
    config = SixMonthConfig(
        exempt_plan_kinds=frozenset({PlanKind.FOLLOW_UP, PlanKind.EMERGENCY, PlanKind.SPECIAL})
    )
    history, organiser = BLOCKING_SCENARIOS["R2"]

    special = check_eligibility(history, organiser, D("2025-04-01"), PlanKind.SPECIAL, config)
    assert special.eligible
    assert special.exempt
    routine_plan = check_eligibility(history, organiser, D("2025-04-01"), PlanKind.ROUTINE, config)
    assert not routine_plan.eligible


def test_a_config_without_exempt_kinds_blocks_follow_up_plans_too() -> None:
    config = SixMonthConfig(exempt_plan_kinds=frozenset())
    history, organiser = BLOCKING_SCENARIOS["R2"]

    result = check_eligibility(history, organiser, D("2025-04-01"), PlanKind.FOLLOW_UP, config)

    assert not result.eligible
    assert not result.exempt


def test_a_three_month_lock_ends_three_calendar_months_after_the_sampling() -> None:
    config = SixMonthConfig(months=3)
    history = [sampled(WUHAN, D("2025-01-15"), "nonconforming")]

    day_before = check_eligibility(history, WUHAN, D("2025-04-14"), PlanKind.ROUTINE, config)
    assert not day_before.eligible
    assert day_before.locked_until == D("2025-04-15")
    assert check_eligibility(history, WUHAN, D("2025-04-15"), PlanKind.ROUTINE, config).eligible
    # the same day is still locked under the default six months
    assert not routine(history, WUHAN, D("2025-04-15")).eligible


def test_a_zero_month_lock_never_blocks() -> None:
    config = SixMonthConfig(months=0)
    history = [sampled(HUBEI, D("2025-01-15"), "conforming")]

    assert check_eligibility(history, HUBEI, D("2025-01-15"), PlanKind.ROUTINE, config).eligible


def test_the_default_config_is_six_months_with_follow_up_and_emergency_exempt() -> None:
    assert DEFAULT == SixMonthConfig()
    assert DEFAULT.months == 6
    assert DEFAULT.exempt_plan_kinds == frozenset({PlanKind.FOLLOW_UP, PlanKind.EMERGENCY})


def test_the_config_record_is_json_and_names_the_rule_version() -> None:
    record = SixMonthConfig(
        months=3, exempt_plan_kinds=frozenset({PlanKind.SPECIAL, PlanKind.EMERGENCY})
    ).as_record()

    assert record == {
        "rule_version": VERSION,
        "months": 3,
        "exempt_plan_kinds": ["emergency", "special"],
    }
    assert json.loads(json.dumps(record)) == record
    assert VERSION == "six-month-rule/1"


def test_config_accepts_plan_kinds_given_as_strings() -> None:
    config = SixMonthConfig(exempt_plan_kinds=frozenset({"special"}))  # type: ignore[arg-type]

    assert config.exempt_plan_kinds == frozenset({PlanKind.SPECIAL})
    assert all(type(kind) is PlanKind for kind in config.exempt_plan_kinds)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"months": -1}, ValueError),
        ({"months": True}, TypeError),
        ({"months": 6.0}, TypeError),
        ({"exempt_plan_kinds": frozenset({"complaint"})}, ValueError),
    ],
)
def test_config_rejects_invalid_values(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        SixMonthConfig(**kwargs)  # type: ignore[arg-type]


# --- Several blocks ----------------------------------------------------------------------------


def test_blocks_are_ordered_by_date_then_id_then_rule_and_locked_until_is_the_latest() -> None:
    national = sampled(SAMR, D("2025-02-01"), "conforming", "N-1")
    own_b = sampled(WUHAN_JIANGAN, D("2025-05-10"), None, "B-7")
    provincial_a = sampled(HUBEI, D("2025-05-10"), "conforming", "A-3")
    expired = sampled(WUHAN_JIANGAN, D("2024-01-01"), "nonconforming", "OLD")
    elsewhere = sampled(HENAN, D("2025-05-01"), "nonconforming", "HA-1")
    history = [own_b, elsewhere, provincial_a, expired, national]

    result = routine(history, WUHAN_JIANGAN, D("2025-06-01"))

    assert result.blocks == (
        Block(national, RuleId.R1, D("2025-08-01")),
        Block(national, RuleId.R3, D("2025-08-01")),
        Block(provincial_a, RuleId.R1, D("2025-11-10")),
        Block(provincial_a, RuleId.R3, D("2025-11-10")),
        Block(own_b, RuleId.R2, D("2025-11-10")),
    )
    assert result.locked_until == D("2025-11-10")
    assert not result.eligible
    assert not result.exempt


def test_the_block_order_does_not_depend_on_the_history_order() -> None:
    history = [
        sampled(SAMR, D("2025-02-01"), "conforming", "N-1"),
        sampled(WUHAN_JIANGAN, D("2025-05-10"), None, "B-7"),
        sampled(HUBEI, D("2025-05-10"), "conforming", "A-3"),
        sampled(WUHAN, D("2025-04-30"), "nonconforming", "W-2"),
    ]
    expected = routine(history, WUHAN_JIANGAN, D("2025-06-01"))
    rng = random.Random(0)
    for _ in range(20):
        rng.shuffle(history)
        assert routine(history, WUHAN_JIANGAN, D("2025-06-01")) == expected


def test_locked_until_is_the_latest_lock_end_even_when_older_locks_end_sooner() -> None:
    history = [
        sampled(WUHAN, D("2025-08-31"), "nonconforming", "W-1"),
        sampled(HUBEI, D("2025-09-15"), None, "H-1"),
    ]

    result = routine(history, WUHAN, D("2026-02-01"))

    assert [b.lock_ends_on for b in result.blocks] == [D("2026-02-28"), D("2026-03-15")]
    assert result.locked_until == D("2026-03-15")
    # once the older lock has ended only the newer one remains
    later = routine(history, WUHAN, D("2026-02-28"))
    assert [(b.sampling.sampling_id, b.rule_id) for b in later.blocks] == [("H-1", RuleId.R3)]


def test_history_may_be_any_iterable_and_is_read_once() -> None:
    history = [sampled(WUHAN, D("2025-03-10"), "nonconforming")]

    result = routine(iter(history), WUHAN, D("2025-04-01"))  # type: ignore[arg-type]

    assert rules(result) == [RuleId.R2]


def test_the_same_sampling_listed_twice_blocks_once() -> None:
    past = sampled(WUHAN, D("2025-03-10"), "nonconforming")

    assert len(routine([past, past], WUHAN, D("2025-04-01")).blocks) == 1


def test_two_different_records_under_one_sampling_id_are_refused() -> None:
    history = [
        sampled(WUHAN, D("2025-03-10"), None),
        sampled(WUHAN, D("2025-03-10"), "conforming"),
    ]

    with pytest.raises(ValueError, match="conflicting records"):
        routine(history, WUHAN, D("2025-04-01"))


# --- Questions about a date before later samplings ----------------------------------------------


def test_a_sampling_dated_after_the_question_date_is_ignored() -> None:
    history = [sampled(WUHAN, D("2025-06-01"), "nonconforming")]

    assert routine(history, WUHAN, D("2025-05-31")).eligible
    assert not routine(history, WUHAN, D("2025-06-01")).eligible


def test_asking_about_a_past_date_counts_only_the_samplings_up_to_that_date() -> None:
    history = [
        sampled(WUHAN, D("2025-01-10"), "nonconforming", "EARLY"),
        sampled(HUBEI, D("2025-04-01"), "conforming", "LATER"),
    ]

    result = routine(history, WUHAN, D("2025-03-01"))

    assert [b.sampling.sampling_id for b in result.blocks] == ["EARLY"]
    assert result.locked_until == D("2025-07-10")


# --- Input validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "region_code"),
    [
        (Level.NATIONAL, "420000"),
        (Level.PROVINCIAL, "000000"),
        (Level.PROVINCIAL, "420100"),
        (Level.MUNICIPAL, "000000"),
        (Level.MUNICIPAL, "420000"),
        (Level.COUNTY, "000000"),
        (Level.COUNTY, "410000"),
    ],
)
def test_an_organiser_level_must_agree_with_the_shape_of_its_region_code(
    level: Level, region_code: str
) -> None:
    with pytest.raises(ValueError, match="region|province"):
        Organiser("X", level, region_code)


@pytest.mark.parametrize("region_code", ["42010", "4201001", "42a100", "", "４２０１００"])
def test_an_organiser_needs_a_six_digit_region_code(region_code: str) -> None:
    with pytest.raises(ValueError, match="6 ASCII digits"):
        Organiser("X", Level.COUNTY, region_code)


def test_an_organiser_needs_a_department_code() -> None:
    with pytest.raises(ValueError, match="department_code"):
        Organiser("", Level.COUNTY, "420103")


def test_an_organiser_accepts_its_level_as_a_string() -> None:
    organiser = Organiser("X", "county", "420103")  # type: ignore[arg-type]

    assert organiser.level is Level.COUNTY
    assert organiser == Organiser("X", Level.COUNTY, "420103")


def test_a_past_sampling_needs_a_plain_date() -> None:
    with pytest.raises(TypeError, match="sampled_on"):
        PastSampling("S-1", WUHAN, datetime(2025, 3, 10, 9, 30), None)


def test_a_past_sampling_needs_a_known_verdict() -> None:
    with pytest.raises(ValueError, match="verdict"):
        PastSampling("S-1", WUHAN, D("2025-03-10"), "合格")  # type: ignore[arg-type]


def test_a_past_sampling_needs_an_id() -> None:
    with pytest.raises(ValueError, match="sampling_id"):
        PastSampling("", WUHAN, D("2025-03-10"), None)


def test_the_question_date_must_be_a_plain_date() -> None:
    with pytest.raises(TypeError, match="on must be a date"):
        check_eligibility([], WUHAN, datetime(2025, 3, 10, 9, 30), PlanKind.ROUTINE)


def test_the_plan_kind_may_be_given_as_a_string_but_must_be_known() -> None:
    history, organiser = BLOCKING_SCENARIOS["R2"]

    as_string = check_eligibility(history, organiser, D("2025-04-01"), "follow_up")  # type: ignore[arg-type]
    assert as_string.exempt
    with pytest.raises(ValueError, match="complaint"):
        check_eligibility(history, organiser, D("2025-04-01"), "complaint")  # type: ignore[arg-type]
