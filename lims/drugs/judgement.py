"""Pharmacopoeial judgement as pure functions (中国药典 2025: 凡例, 通则 0101/0931/0941/1107).

Every function takes decimals (or text) and returns a :class:`Judgement`: ``pass``, ``fail``
or ``retest`` (the general chapter asks for more units), with a Chinese reason that names the
figures. Nothing here needs a request or a database.

The rules were written from knowledge of the general chapters, not checked line by line
against the 2025 text at hand; ``RULE_SOURCES`` says so and the pages show it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal

from lims.limits.rounding import RoundingError, format_decimal, round_gbt8170, to_decimal

_CTX = Context(prec=34)
HUNDRED = Decimal(100)

PASS_ZH = "符合规定"
FAIL_ZH = "不符合规定"


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    RETEST = "retest"  # the general chapter asks for more units before a verdict


OUTCOME_ZH = {Outcome.PASS: PASS_ZH, Outcome.FAIL: FAIL_ZH, Outcome.RETEST: "需复试"}


@dataclass(frozen=True)
class RuleSource:
    text: str
    verified: bool


# Where each rule comes from. verified=False: written from knowledge of the chapter, not
# checked against the 2025 text at hand (shown to users next to every judgement).
RULE_SOURCES = {
    "content": RuleSource("中国药典2025年版 凡例（有效数字与数值修约，修约值比较）", False),
    "dissolution": RuleSource("中国药典2025年版 四部 通则0931 溶出度与释放度测定法 结果判定", False),
    "enteric_acid": RuleSource("中国药典2025年版 四部 通则0931 肠溶制剂 酸中溶出量判定", False),
    "uniformity": RuleSource("中国药典2025年版 四部 通则0941 含量均匀度检查法", False),
    "weight_variation": RuleSource("中国药典2025年版 四部 通则0101 制剂通则（重量差异/装量差异）",
                                   False),
    "microbial": RuleSource("中国药典2025年版 四部 通则1107 非无菌药品微生物限度标准"
                            "（计数按通则1105，控制菌按通则1106）", False),
    "qualitative": RuleSource("中国药典2025年版 凡例（性状、鉴别：符合规定/不符合规定）", False),
    "limit": RuleSource("各品种正文项下规定的限度", False),
}


class JudgementInputError(ValueError):
    """Input that cannot be judged (Chinese message)."""


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reason: str
    figures: dict[str, str] = field(default_factory=dict)
    rule: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASS

    @property
    def outcome_zh(self) -> str:
        return OUTCOME_ZH[self.outcome]


def _dec(value: Decimal | str | int, what: str) -> Decimal:
    try:
        return to_decimal(value)
    except RoundingError as exc:
        raise JudgementInputError(f"{what}：{exc}") from None


def _decs(values: Iterable[Decimal | str | int], what: str) -> list[Decimal]:
    return [_dec(v, f"{what}第 {i} 个数值") for i, v in enumerate(values, 1)]


def _fmt(value: Decimal, decimals: int = 2) -> str:
    return format_decimal(round_gbt8170(value, decimals=decimals))


def mean(values: Sequence[Decimal]) -> Decimal:
    return _CTX.divide(sum(values, Decimal(0)), Decimal(len(values)))


def sample_sd(values: Sequence[Decimal]) -> Decimal:
    """Sample standard deviation (n − 1), as 通则 0941 defines S."""
    if len(values) < 2:
        raise JudgementInputError("计算标准差至少需要 2 个数值")
    m = mean(values)
    squares = sum(((v - m) ** 2 for v in values), Decimal(0))
    return _CTX.sqrt(_CTX.divide(squares, Decimal(len(values) - 1)))


# --- content (含量) -----------------------------------------------------------------------

def percent_of_label(found: Decimal | str | int, labelled: Decimal | str | int) -> Decimal:
    """Amount found per unit as a percentage of the labelled amount (unrounded)."""
    f, lab = _dec(found, "测得量"), _dec(labelled, "标示量")
    if lab <= 0:
        raise JudgementInputError("标示量必须大于 0")
    if f < 0:
        raise JudgementInputError("测得量不能为负")
    return _CTX.divide(f * HUNDRED, lab)


def judge_range(value: Decimal | str | int, low: Decimal | str | int | None,
                high: Decimal | str | int | None, *, decimals: int, unit: str = "%",
                what: str = "含量") -> Judgement:
    """Round ``value`` to the monograph's digits (GB/T 8170, 凡例), then compare with the
    limits inclusively (修约值比较法): ``low ≤ rounded ≤ high``."""
    v = _dec(value, what)
    lo = None if low is None else _dec(low, "下限")
    hi = None if high is None else _dec(high, "上限")
    if lo is None and hi is None:
        raise JudgementInputError("限度至少须有上限或下限之一")
    rounded = round_gbt8170(v, decimals=decimals)
    shown = format_decimal(rounded) + unit
    limit = limit_text(lo, hi, unit)
    ok = (lo is None or rounded >= lo) and (hi is None or rounded <= hi)
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"{what} {shown}，规定 {limit}，{PASS_ZH if ok else FAIL_ZH}",
                     {"value": format_decimal(v), "reported": format_decimal(rounded)},
                     "content")


def limit_text(low: Decimal | None, high: Decimal | None, unit: str = "%") -> str:
    if low is not None and high is not None:
        return f"{format_decimal(low)}{unit}～{format_decimal(high)}{unit}"
    if low is not None:
        return f"不得少于 {format_decimal(low)}{unit}"
    assert high is not None
    return f"不得过 {format_decimal(high)}{unit}"


def judge_content(found: Decimal | str | int, labelled: Decimal | str | int,
                  low: Decimal | str | int, high: Decimal | str | int,
                  *, decimals: int = 1) -> Judgement:
    """含量测定: found per unit against the labelled strength, e.g. 90.0%～110.0%."""
    pct = percent_of_label(found, labelled)
    return judge_range(pct, low, high, decimals=decimals, what="含量（按标示量计）")


# --- 溶出度与释放度 (通则 0931) -------------------------------------------------------------

def _deviation(value: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    """How far (in % of label) a unit lies outside [low, high]; 0 inside."""
    out = Decimal(0)
    if low is not None and value < low:
        out = low - value
    if high is not None and value > high:
        out = max(out, value - high)
    return out


def judge_release(first: Sequence[Decimal | str | int], retest: Sequence[Decimal | str | int] = (),
                  *, low: Decimal | str | int | None, high: Decimal | str | int | None = None
                  ) -> Judgement:
    """通则 0931 result rules for one time point, in % of label.

    Ordinary release: ``low`` = Q, no ``high``. Extended release: the time point's range.
    Stage 1 (6 units) passes when (1) no unit is outside, or (2) 1–2 units are outside but
    none by more than 10% and the mean is inside. When 1–2 units are outside, only one of them
    by more than 10% but not more than 20%, and the mean is inside, 6 more are tested; of the
    12, (3) 1–3 outside, only one by more than 10% and none by more than 20%, mean inside.
    """
    lo = None if low is None else _dec(low, "限度")
    hi = None if high is None else _dec(high, "上限")
    if lo is None and hi is None:
        raise JudgementInputError("溶出度须给出限度 Q 或释放范围")
    units = _decs(first, "初试")
    more = _decs(retest, "复试")
    if len(units) != 6:
        raise JudgementInputError(f"溶出度初试应为 6 个单位，实际 {len(units)} 个")
    if more and len(more) != 6:
        raise JudgementInputError(f"溶出度复试应另取 6 个单位，实际 {len(more)} 个")
    ten, twenty = Decimal(10), Decimal(20)
    limit = limit_text(lo, hi) if hi is not None else f"Q={format_decimal(lo)}%"

    def stats(values: list[Decimal]) -> tuple[int, int, int, Decimal, bool]:
        devs = [_deviation(v, lo, hi) for v in values]
        m = mean(values)
        return (sum(d > 0 for d in devs), sum(d > ten for d in devs),
                sum(d > twenty for d in devs), m, _deviation(m, lo, hi) == 0)

    out, out10, out20, m, mean_ok = stats(units)
    figures = {"n": "6", "mean": _fmt(m), "outside": str(out), "outside_10": str(out10)}
    head = f"初试 6 个单位（{limit}），{out} 个超出限度，平均 {_fmt(m)}%"
    if out == 0:
        return Judgement(Outcome.PASS, f"{head}，{PASS_ZH}", figures, "dissolution")
    if out <= 2 and out10 == 0 and mean_ok:
        return Judgement(Outcome.PASS, f"{head}，均未超出 10%，平均值符合，{PASS_ZH}",
                         figures, "dissolution")
    needs_retest = out <= 2 and out10 == 1 and out20 == 0 and mean_ok
    if not needs_retest:
        return Judgement(Outcome.FAIL, f"{head}，{FAIL_ZH}（不满足复试条件）", figures,
                         "dissolution")
    if not more:
        return Judgement(Outcome.RETEST, f"{head}，其中 1 个超出 10% 但未超出 20%，"
                         "应另取 6 个单位复试", figures, "dissolution")
    out, out10, out20, m, mean_ok = stats(units + more)
    figures = {"n": "12", "mean": _fmt(m), "outside": str(out), "outside_10": str(out10)}
    tail = f"；初、复试 12 个单位中 {out} 个超出限度，{out10} 个超出 10%，平均 {_fmt(m)}%"
    ok = 1 <= out <= 3 and out10 <= 1 and out20 == 0 and mean_ok
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"{head}{tail}，{PASS_ZH if ok else FAIL_ZH}", figures, "dissolution")


def judge_release_points(points: Sequence[tuple[Sequence, Sequence, object, object]]
                         ) -> Judgement:
    """Extended release: every time point ``(first, retest, low, high)`` must pass."""
    found = [judge_release(f, r, low=lo, high=hi) for f, r, lo, hi in points]
    reason = "；".join(f"第 {i} 个时间点：{j.reason}" for i, j in enumerate(found, 1))
    for outcome in (Outcome.FAIL, Outcome.RETEST):
        if any(j.outcome == outcome for j in found):
            return Judgement(outcome, reason, {}, "dissolution")
    return Judgement(Outcome.PASS, reason, {}, "dissolution")


def judge_enteric_acid(units: Sequence[Decimal | str | int], *,
                       limit: Decimal | str | int = 10) -> Judgement:
    """Enteric forms, acid stage: each ≤ limit, or 1–2 above it with the mean ≤ limit."""
    values = _decs(units, "酸中溶出量")
    if len(values) != 6:
        raise JudgementInputError(f"酸中溶出量应测定 6 个单位，实际 {len(values)} 个")
    lim = _dec(limit, "限度")
    above = sum(v > lim for v in values)
    m = mean(values)
    ok = above == 0 or (above <= 2 and m <= lim)
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"酸中溶出量 6 个单位 {above} 个大于 {format_decimal(lim)}%，平均 {_fmt(m)}%，"
                     f"{PASS_ZH if ok else FAIL_ZH}", {"mean": _fmt(m), "above": str(above)},
                     "enteric_acid")


# --- 含量均匀度 (通则 0941) ------------------------------------------------------------------

def _a_value(m: Decimal, target: Decimal) -> Decimal:
    """A = |100 − X̄|; when the monograph's content range centres on T > 100 (通则 0941):
    X̄ < 100 → 100 − X̄, 100 ≤ X̄ ≤ T → 0, X̄ > T → X̄ − T."""
    if target <= HUNDRED:
        return abs(HUNDRED - m)
    if m < HUNDRED:
        return HUNDRED - m
    if m <= target:
        return Decimal(0)
    return m - target


def judge_uniformity(first: Sequence[Decimal | str | int],
                     retest: Sequence[Decimal | str | int] = (), *,
                     limit: Decimal | str | int = "15.0",
                     target: Decimal | str | int = 100) -> Judgement:
    """通则 0941 with units in % of label. Stage 1 (10 units): A + 2.2S ≤ L passes,
    A + S > L fails, otherwise 20 more. Of the 30: A ≤ 0.25L → A² + S² ≤ 0.25L² passes;
    A > 0.25L → A + 1.7S ≤ L passes. Full values are compared (no rounding)."""
    L = _dec(limit, "L")
    T = _dec(target, "T")
    units = _decs(first, "初试")
    more = _decs(retest, "复试")
    if len(units) != 10:
        raise JudgementInputError(f"含量均匀度初试应为 10 个单位，实际 {len(units)} 个")
    if more and len(more) != 20:
        raise JudgementInputError(f"含量均匀度复试应另取 20 个单位，实际 {len(more)} 个")
    m, s = mean(units), sample_sd(units)
    a = _a_value(m, T)
    figures = {"n": "10", "mean": _fmt(m), "S": _fmt(s), "A": _fmt(a),
               "A+2.2S": _fmt(a + Decimal("2.2") * s), "L": format_decimal(L)}
    head = (f"初试 10 个单位：X̄={_fmt(m)}，S={_fmt(s)}，A={_fmt(a)}，"
            f"A+2.2S={_fmt(a + Decimal('2.2') * s)}，L={format_decimal(L)}")
    if a + Decimal("2.2") * s <= L:
        return Judgement(Outcome.PASS, f"{head}，A+2.2S≤L，{PASS_ZH}", figures, "uniformity")
    if a + s > L:
        return Judgement(Outcome.FAIL, f"{head}，A+S>L，{FAIL_ZH}", figures, "uniformity")
    if not more:
        return Judgement(Outcome.RETEST, f"{head}，A+2.2S>L 且 A+S≤L，应另取 20 个单位复试",
                         figures, "uniformity")
    every = units + more
    m, s = mean(every), sample_sd(every)
    a = _a_value(m, T)
    quarter = Decimal("0.25") * L
    figures = {"n": "30", "mean": _fmt(m), "S": _fmt(s), "A": _fmt(a), "L": format_decimal(L)}
    tail = f"；初、复试 30 个单位：X̄={_fmt(m)}，S={_fmt(s)}，A={_fmt(a)}"
    if a <= quarter:
        value = a * a + s * s
        ok = value <= Decimal("0.25") * L * L
        figures["A²+S²"] = _fmt(value)
        rule = f"A≤0.25L，A²+S²={_fmt(value)}{'≤' if ok else '>'}0.25L²={_fmt(quarter * L)}"
    else:
        value = a + Decimal("1.7") * s
        ok = value <= L
        figures["A+1.7S"] = _fmt(value)
        rule = f"A>0.25L，A+1.7S={_fmt(value)}{'≤' if ok else '>'}L"
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"{head}{tail}，{rule}，{PASS_ZH if ok else FAIL_ZH}", figures, "uniformity")


# --- 重量差异 / 装量差异 (通则 0101) -----------------------------------------------------------

# (dosage form, check) → ((upper bound of the class in g, exclusive, None = open), ±%), count
_WEIGHT_CLASSES: dict[str, tuple[str, tuple[tuple[Decimal | None, Decimal], ...], int]] = {
    "片剂": ("重量差异", ((Decimal("0.30"), Decimal("7.5")), (None, Decimal(5))), 20),
    "胶囊剂": ("装量差异", ((Decimal("0.30"), Decimal(10)), (None, Decimal("7.5"))), 20),
    "颗粒剂": ("装量差异", ((Decimal("1.0"), Decimal(10)), (Decimal("1.5"), Decimal(8)),
                        (Decimal("6.0"), Decimal(7)), (None, Decimal(5))), 10),
    "丸剂": ("重量差异", ((Decimal("0.05"), Decimal(12)), (Decimal("0.1"), Decimal(11)),
                      (Decimal("0.3"), Decimal(10)), (Decimal("1.5"), Decimal(9)),
                      (Decimal("3"), Decimal(8)), (Decimal("6"), Decimal(7)),
                      (Decimal("9"), Decimal(6)), (None, Decimal(5))), 10),
}
# 颗粒剂 and 丸剂 classes are "up to and including" the bound (…及…以下); 片剂/胶囊剂 "below".
_INCLUSIVE = {"颗粒剂", "丸剂"}


def weight_tolerance(form: str, reference: Decimal | str | int) -> Decimal:
    """The ±% of 通则 0101 for ``form`` at the average (or labelled) weight in g."""
    if form not in _WEIGHT_CLASSES:
        raise JudgementInputError(f"未规定重量（装量）差异限度的剂型：{form}")
    ref = _dec(reference, "平均重量")
    for bound, pct in _WEIGHT_CLASSES[form][1]:
        if bound is None or ref < bound or (form in _INCLUSIVE and ref == bound):
            return pct
    raise AssertionError("unreachable")


def judge_weight_variation(form: str, weights: Sequence[Decimal | str | int], *,
                           labelled: Decimal | str | int | None = None) -> Judgement:
    """Each unit against the average (or the labelled weight when the monograph gives one):
    no more than 2 outside the tolerance, none outside twice the tolerance."""
    values = _decs(weights, "单位重量")
    check, _classes, count = _WEIGHT_CLASSES.get(form, ("", (), 0))
    if not check:
        raise JudgementInputError(f"未规定重量（装量）差异限度的剂型：{form}")
    if len(values) != count:
        raise JudgementInputError(f"{form}{check}应取 {count} 个单位，实际 {len(values)} 个")
    if any(v <= 0 for v in values):
        raise JudgementInputError("单位重量必须大于 0")
    ref = mean(values) if labelled is None else _dec(labelled, "标示重量")
    pct = weight_tolerance(form, ref)
    devs = [_CTX.divide(abs(v - ref) * HUNDRED, ref) for v in values]
    outside = sum(d > pct for d in devs)
    double = sum(d > 2 * pct for d in devs)
    ok = outside <= 2 and double == 0
    basis = "标示重量" if labelled is not None else "平均重量"
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"{check}：{basis} {_fmt(ref, 4)} g，限度 ±{format_decimal(pct)}%，"
                     f"{outside} 个超出限度，{double} 个超出限度 1 倍，{PASS_ZH if ok else FAIL_ZH}",
                     {"reference": _fmt(ref, 4), "tolerance": format_decimal(pct),
                      "outside": str(outside), "double": str(double)}, "weight_variation")


# --- qualitative items, microbial limits, overall ------------------------------------------

def judge_qualitative(conforms: bool, evidence: str, *, item: str = "") -> Judgement:
    """性状、鉴别 etc.: the analyst's finding, refused without the observation behind it."""
    text = (evidence or "").strip()
    if not text:
        raise JudgementInputError(f"{item or '该项目'}须填写观察/检验记录（证据）")
    return Judgement(Outcome.PASS if conforms else Outcome.FAIL,
                     f"{text}，{PASS_ZH if conforms else FAIL_ZH}", {}, "qualitative")


def microbial_max(exponent: int) -> int:
    """通则 1107: an acceptance criterion of 10^n cfu allows at most 2 × 10^n
    (10¹ → 20, 10² → 200, 10³ → 2000 …)."""
    if isinstance(exponent, bool) or not isinstance(exponent, int) or exponent < 0:
        raise JudgementInputError(f"微生物限度的指数无效：{exponent!r}")
    return 2 * 10 ** exponent


def judge_microbial_count(count: Decimal | str | int, exponent: int, *,
                          what: str = "需氧菌总数", unit: str = "cfu/g") -> Judgement:
    c = _dec(count, what)
    if c < 0:
        raise JudgementInputError(f"{what}不能为负")
    maximum = microbial_max(exponent)
    ok = c <= maximum
    return Judgement(Outcome.PASS if ok else Outcome.FAIL,
                     f"{what} {format_decimal(c)} {unit}，标准 10^{exponent} {unit}"
                     f"（可接受最大值 {maximum}），{PASS_ZH if ok else FAIL_ZH}",
                     {"max": str(maximum)}, "microbial")


def judge_absent(detected: bool, *, organism: str, per: str = "1g") -> Judgement:
    """Specified micro-organisms (通则 1106): 不得检出 per the stated quantity."""
    return Judgement(Outcome.FAIL if detected else Outcome.PASS,
                     f"每{per}{'检出' if detected else '未检出'}{organism}，"
                     f"{FAIL_ZH if detected else PASS_ZH}", {}, "microbial")


def overall(verdicts: Iterable[Outcome | str]) -> Outcome:
    """A medicine 符合规定 only when every item does; any retest pending leaves no verdict."""
    found = [Outcome(v) for v in verdicts]
    if not found:
        raise JudgementInputError("没有检验项目，不能作出结论")
    if any(v == Outcome.FAIL for v in found):
        return Outcome.FAIL
    if any(v == Outcome.RETEST for v in found):
        return Outcome.RETEST
    return Outcome.PASS
