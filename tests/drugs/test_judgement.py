"""Table-driven worked cases for the pharmacopoeial rules; every figure computed by hand
in the comments (no call to the code under test to get an expected value)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lims.drugs import judgement as j
from lims.drugs.judgement import Outcome

P, F, R = Outcome.PASS, Outcome.FAIL, Outcome.RETEST


# --- content: 100 × found / labelled, rounded to 0.1 (half even), then 90.0～110.0 -------
@pytest.mark.parametrize(("found", "labelled", "reported", "outcome"), [
    ("0.2478", "0.25", "99.1", P),     # 99.12 → 99.1
    ("0.22488", "0.25", "90.0", P),    # 89.952 → 90.0 (rounded value meets the limit)
    ("0.22487", "0.25", "89.9", F),    # 89.948 → 89.9
    ("0.179", "0.2", "89.5", F),       # 89.5 exactly
    ("0.2751", "0.25", "110.0", P),    # 110.04 → 110.0
    ("0.27513", "0.25", "110.1", F),   # 110.052 → 110.1
])
def test_content_percent_of_label(found, labelled, reported, outcome):
    result = j.judge_content(found, labelled, "90.0", "110.0", decimals=1)
    assert result.outcome == outcome
    assert result.figures["reported"] == reported


@pytest.mark.parametrize(("value", "outcome"), [
    ("89.95", P),   # half to even: 89.95 → 90.0 (9 odd → up)
    ("110.05", P),  # 110.05 → 110.0 (0 even → stays)
    ("110.15", F),  # 110.15 → 110.2
])
def test_content_rounding_half_even_at_limits(value, outcome):
    assert j.judge_range(value, "90.0", "110.0", decimals=1).outcome == outcome


def test_content_refuses_zero_label():
    with pytest.raises(j.JudgementInputError, match="标示量"):
        j.judge_content("1", "0", "90", "110")


# --- dissolution, Q = 80 % ------------------------------------------------------------------
@pytest.mark.parametrize(("first", "retest", "outcome", "n", "mean"), [
    # (1) every unit ≥ Q, including exactly Q
    (["85", "86", "88", "90", "82", "84"], [], P, "6", "85.83"),   # 515/6
    (["80"] * 6, [], P, "6", "80.00"),
    # (2) 1–2 below Q, none below Q−10 (70), mean ≥ Q: 500/6 = 83.33
    (["78", "72", "85", "90", "88", "87"], [], P, "6", "83.33"),
    # boundary: 70 is exactly Q−10, not below it; 495/6 = 82.5
    (["70", "85", "85", "85", "85", "85"], [], P, "6", "82.50"),
    # 2 below Q but mean 470/6 = 78.33 < Q, none below Q−10: fails (no retest condition)
    (["75", "75", "80", "80", "80", "80"], [], F, "6", "78.33"),
    # 3 below Q: fails at once
    (["78", "78", "78", "90", "90", "90"], [], F, "6", "84.00"),
    # one unit below Q−20 (59.9 < 60): fails, no retest
    (["59.9", "85", "85", "85", "85", "85"], [], F, "6", "80.82"),  # 484.9/6 = 80.816
    # (3) one unit 69.9 (below Q−10, not below Q−20), mean 494.9/6 = 82.48: retest
    (["69.9", "85", "85", "85", "85", "85"], [], R, "6", "82.48"),
    # …of 12, 1 below Q, 1 below Q−10, mean 1004.9/12 = 83.74: passes
    (["69.9", "85", "85", "85", "85", "85"], ["85"] * 6, P, "12", "83.74"),
    # …of 12, 4 below Q: fails
    (["69.9", "85", "85", "85", "85", "85"], ["79", "79", "79", "85", "85", "85"], F, "12",
     "82.24"),  # (494.9 + 492) / 12 = 986.9 / 12 = 82.241
    # …of 12, two below Q−10 (69.9 and 65): fails
    (["69.9", "85", "85", "85", "85", "85"], ["65", "90", "90", "90", "90", "90"], F, "12",
     "84.16"),  # (494.9 + 515) / 12 = 1009.9 / 12 = 84.158
])
def test_dissolution_stages(first, retest, outcome, n, mean):
    result = j.judge_release(first, retest, low="80")
    assert result.outcome == outcome
    assert result.figures["n"] == n
    assert result.figures["mean"] == mean


def test_dissolution_retest_boundary_three_of_twelve():
    # first: 69 (11 below Q: below Q−10, not Q−20) and 79 below Q; mean 508/6 = 84.67 → retest
    first = ["69", "79", "90", "90", "90", "90"]
    assert j.judge_release(first, low="80").outcome == R
    # retest adds one more below Q (79): 3 of 12 below Q, 1 below Q−10, mean 1037/12 = 86.42
    result = j.judge_release(first, ["79", "90", "90", "90", "90", "90"], low="80")
    assert result.outcome == P
    assert result.figures["outside"] == "3"
    assert result.figures["mean"] == "86.42"


def test_dissolution_extended_release_range():
    # 20%～40% at one time point: 41 is 1 above; mean 191/6 = 31.83 → (2)
    result = j.judge_release(["25", "30", "35", "38", "22", "41"], low="20", high="40")
    assert result.outcome == P
    # 51 is 11 above the range (beyond 10%), 41 is 1 above → retest condition
    result = j.judge_release(["25", "30", "35", "38", "22", "51"], low="20", high="40")
    assert result.outcome == R
    points = [(["25", "30", "35", "38", "22", "41"], [], "20", "40"),
              (["55", "60", "58", "62", "50", "49"], [], "45", None)]
    assert j.judge_release_points(points).outcome == P
    points.append((["60"] * 6, [], "80", None))
    assert j.judge_release_points(points).outcome == F


def test_dissolution_needs_six_units():
    with pytest.raises(j.JudgementInputError, match="6 个单位"):
        j.judge_release(["80"] * 5, low="80")


@pytest.mark.parametrize(("units", "outcome"), [
    (["5", "6", "12", "4", "3", "2"], P),     # 1 above 10, mean 32/6 = 5.33
    (["10"] * 6, P),                          # exactly 10 is not above
    (["11", "12", "13", "10", "9", "8"], F),  # 3 above
    (["15", "15", "9", "9", "9", "9"], F),    # 2 above, mean 66/6 = 11.0 > 10
    (["14", "14", "8", "8", "8", "8"], P),    # 2 above, mean 60/6 = 10.0 ≤ 10
])
def test_enteric_acid_stage(units, outcome):
    assert j.judge_enteric_acid(units).outcome == outcome


# --- content uniformity, 通则 0941 ----------------------------------------------------------
def ten(m: str, d: str) -> list[str]:
    """m ± d on 4 units, m on 6: Σ(x−x̄)² = 4d², S = √(4d²/9) = 2d/3."""
    M, D = Decimal(m), Decimal(d)
    return [str(M + D), str(M + D), str(M - D), str(M - D)] + [m] * 6


def twenty(m: str, x: str) -> list[str]:
    M, X = Decimal(m), Decimal(x)
    return [str(M + X)] * 10 + [str(M - X)] * 10


@pytest.mark.parametrize(("first", "retest", "L", "outcome", "n"), [
    # S = 2·3/3 = 2. A + 2.2S = 10.6 + 4.4 = 15.0 ≤ 15 → pass (boundary)
    (ten("89.4", "3"), [], "15.0", P, "10"),
    (ten("110.6", "3"), [], "15.0", P, "10"),
    # A = 10.7: A + 2.2S = 15.1 > L, A + S = 12.7 ≤ L → retest
    (ten("89.3", "3"), [], "15.0", R, "10"),
    # A = 13.0: A + S = 15.0, not > L → retest (boundary)
    (ten("87.0", "3"), [], "15.0", R, "10"),
    # A = 13.1: A + S = 15.1 > L → fail
    (ten("86.9", "3"), [], "15.0", F, "10"),
    # 30 units: Σd² = 36 + 20·4 = 116, S = √(116/29) = 2; A = 11.6 > 0.25L = 3.75,
    # A + 1.7S = 11.6 + 3.4 = 15.0 ≤ L → pass (boundary); stage 1: 16.0 > 15, 13.6 ≤ 15
    (ten("88.4", "3"), twenty("88.4", "2"), "15.0", P, "30"),
    # A = 11.7: A + 1.7S = 15.1 > L → fail
    (ten("88.3", "3"), twenty("88.3", "2"), "15.0", F, "30"),
    # A ≤ 0.25L branch: first S = 8 (d = 12), A = 2.5: 2.5 + 17.6 > 15, 10.5 ≤ 15 → retest;
    # 30: Σd² = 576 + 20·42.25 = 1421, S = √(1421/29) = 7; A² + S² = 6.25 + 49 = 55.25 ≤ 56.25
    (ten("97.5", "12"), twenty("97.5", "6.5"), "15.0", P, "30"),
    # A = 3.5 (≤ 3.75): 12.25 + 49 = 61.25 > 56.25 → fail
    (ten("96.5", "12"), twenty("96.5", "6.5"), "15.0", F, "30"),
    # L = 20: first S = 10 (d = 15), A = 0: 22 > 20, 10 ≤ 20 → retest; 30: Σd² = 900 + 2000,
    # S = √(2900/29) = 10; A² + S² = 100 ≤ 0.25·400 = 100 → pass (boundary)
    (ten("100", "15"), twenty("100", "10"), "20", P, "30"),
    # A = 0.1: 0.01 + 100 > 100 → fail
    (ten("99.9", "15"), twenty("99.9", "10"), "20", F, "30"),
])
def test_content_uniformity(first, retest, L, outcome, n):
    result = j.judge_uniformity(first, retest, limit=L)
    assert result.outcome == outcome
    assert result.figures["n"] == n


def test_content_uniformity_target_above_100():
    # T = 102.5 (range 95.0～110.0): mean 101 lies in [100, T] → A = 0; S = 2 → 4.4 ≤ 15
    result = j.judge_uniformity(ten("101", "3"), limit="15", target="102.5")
    assert result.figures["A"] == "0.00"
    # mean 116.0 > T: A = 13.5, A + S = 15.5 > 15 → fail (with T = 100, A would be 16)
    result = j.judge_uniformity(ten("116.0", "3"), limit="15", target="102.5")
    assert result.figures["A"] == "13.50"
    assert result.outcome == F


def test_content_uniformity_counts():
    with pytest.raises(j.JudgementInputError, match="10 个单位"):
        j.judge_uniformity(["100"] * 9)
    with pytest.raises(j.JudgementInputError, match="20 个单位"):
        j.judge_uniformity(ten("89.3", "3"), ["90"] * 10)


# --- weight / fill variation, 通则 0101 -----------------------------------------------------
def units(center: str, pairs: list[tuple[str, str]], count: int = 20) -> list[str]:
    out = [a for pair in pairs for a in pair]
    return out + [center] * (count - len(out))


@pytest.mark.parametrize(("form", "weights", "tolerance", "outcome"), [
    # tablets, mean 0.25 g (< 0.30) → ±7.5%; 0.27/0.23 are 8% off: 2 outside → pass
    ("片剂", units("0.25", [("0.27", "0.23")]), "7.5", P),
    # four units 8% off → fail
    ("片剂", units("0.25", [("0.27", "0.23"), ("0.27", "0.23")]), "7.5", F),
    # exactly 7.5% off (0.26875 / 0.23125) is not outside → pass with four such units
    ("片剂", units("0.25", [("0.26875", "0.23125"), ("0.26875", "0.23125")]), "7.5", P),
    # 16% off is beyond twice the limit (15%) → fail even if only 2 outside
    ("片剂", units("0.25", [("0.29", "0.21")]), "7.5", F),
    # mean exactly 0.30 g → ±5%; 0.316/0.284 are 5.33% off (2) → pass; four → fail
    ("片剂", units("0.30", [("0.316", "0.284")]), "5", P),
    ("片剂", units("0.30", [("0.316", "0.284"), ("0.316", "0.284")]), "5", F),
    # capsules: mean 0.25 g → ±10%; 0.28/0.22 are 12% off (2) → pass
    ("胶囊剂", units("0.25", [("0.28", "0.22")]), "10", P),
    # capsules: mean 0.50 g → ±7.5%; 0.54/0.46 are 8% off ×2 pairs → fail
    ("胶囊剂", units("0.50", [("0.54", "0.46"), ("0.54", "0.46")]), "7.5", F),
    # granules, 10 bags of 10 g (> 6 g) → ±5%
    ("颗粒剂", units("10", [("10.4", "9.6")], 10), "5", P),
    # pills 0.2 g (0.1 < w ≤ 0.3) → ±10%, 10 units
    ("丸剂", units("0.2", [("0.23", "0.17")], 10), "10", P),
])
def test_weight_variation(form, weights, tolerance, outcome):
    result = j.judge_weight_variation(form, weights)
    assert result.figures["tolerance"] == tolerance
    assert result.outcome == outcome


def test_weight_variation_against_labelled_weight():
    # labelled 0.3 g → ±5%; all units 0.28 g are 6.67% off (20 outside) → fail
    assert j.judge_weight_variation("片剂", ["0.28"] * 20, labelled="0.3").outcome == F
    with pytest.raises(j.JudgementInputError, match="20 个单位"):
        j.judge_weight_variation("片剂", ["0.28"] * 10)


# --- qualitative, microbial, overall -------------------------------------------------------
def test_qualitative_needs_evidence():
    assert j.judge_qualitative(True, "白色片，味微苦").outcome == P
    assert j.judge_qualitative(False, "片面有黑点").outcome == F
    with pytest.raises(j.JudgementInputError, match="证据"):
        j.judge_qualitative(True, "  ")


@pytest.mark.parametrize(("count", "exponent", "outcome"), [
    ("2000", 3, P), ("2001", 3, F),   # 10³ → at most 2000
    ("20", 1, P), ("21", 1, F),       # 10¹ → at most 20
    ("200", 2, P), ("201", 2, F),
])
def test_microbial_counts(count, exponent, outcome):
    assert j.judge_microbial_count(count, exponent).outcome == outcome


def test_specified_organism_and_overall():
    assert j.judge_absent(True, organism="大肠埃希菌").outcome == F
    assert j.judge_absent(False, organism="大肠埃希菌").outcome == P
    assert j.overall([P, P, P]) == P
    assert j.overall([P, F, P]) == F
    assert j.overall([P, R]) == R
    with pytest.raises(j.JudgementInputError):
        j.overall([])
