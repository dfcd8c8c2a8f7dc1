"""Monographs as data: one TOML file per medicine, validated whole before use.

A file holds ``[monograph]`` (key, name, dosage form, standard, source, verified) and its
``[[items]]`` (name, section, kind, requirement, method, the kind's figures, source,
verified). The shipped files live in ``lims/drugs/monographs``; a lab adds its own with
``lims drugs import FILE`` (same format). Every problem of a file is reported at once, in
Chinese; a file with any problem is refused whole.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lims.drugs.judgement import limit_text
from lims.limits.rounding import RoundingError, to_decimal

SHIPPED_DIR = Path(__file__).with_name("monographs")

SECTIONS = ("性状", "鉴别", "检查", "含量测定")
DOSAGE_FORMS = ("片剂", "胶囊剂", "颗粒剂", "丸剂", "注射剂", "散剂", "口服溶液剂", "软膏剂", "其他")
# kind → (Chinese name, required figures)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "qualitative": ("定性（符合规定/不符合规定）", ()),
    "content": ("含量（按标示量计）", ("decimals",)),
    "limit": ("数值限度", ("decimals",)),
    "dissolution": ("溶出度", ("q",)),
    "release": ("释放度（多时间点）", ("points",)),
    "enteric": ("肠溶制剂释放度", ("acid_limit", "q")),
    "uniformity": ("含量均匀度", ()),
    "weight_variation": ("重量差异/装量差异", ("form",)),
    "microbial": ("微生物限度", ("tamc", "tymc")),
}
WEIGHT_FORMS = ("片剂", "胶囊剂", "颗粒剂", "丸剂")


class MonographError(ValueError):
    """A refused monograph file: ``problems`` lists every bad row (Chinese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ReleasePoint:
    time: str
    low: Decimal | None
    high: Decimal | None


@dataclass(frozen=True)
class MonographItem:
    code: str
    name: str
    section: str
    kind: str
    requirement: str
    method: str
    source: str
    verified: bool
    decimals: int = 1
    unit: str = "%"
    low: Decimal | None = None
    high: Decimal | None = None
    q: Decimal | None = None
    acid_limit: Decimal | None = None
    points: tuple[ReleasePoint, ...] = ()
    uniformity_limit: Decimal = Decimal("15.0")
    target: Decimal = Decimal(100)
    form: str | None = None
    tamc: int | None = None
    tymc: int | None = None
    absent: tuple[str, ...] = ()

    @property
    def kind_zh(self) -> str:
        return KINDS[self.kind][0]

    @property
    def limit_text(self) -> str:
        """The requirement as printed in the report's 标准规定 column."""
        if self.kind in ("content", "limit") and (self.low is not None or self.high is not None):
            return limit_text(self.low, self.high, self.unit)
        if self.kind == "dissolution":
            return f"限度（Q）为标示量的 {self.q}%"
        if self.kind == "enteric":
            return f"酸中不得过 {self.acid_limit}%，缓冲液中限度（Q）为 {self.q}%"
        if self.kind == "microbial":
            text = f"需氧菌总数≤10^{self.tamc} cfu，霉菌和酵母菌总数≤10^{self.tymc} cfu"
            return text + ("，不得检出" + "、".join(self.absent) if self.absent else "")
        return self.requirement


@dataclass(frozen=True)
class Monograph:
    key: str
    name: str
    name_en: str
    dosage_form: str
    standard: str
    expressed_as: str
    source: str
    verified: bool
    items: tuple[MonographItem, ...] = field(default=())

    def item(self, code: str) -> MonographItem | None:
        return next((i for i in self.items if i.code == code), None)


def _num(row: dict, name: str, where: str, problems: list[str]) -> Decimal | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, float):
        problems.append(f"{where}：{name} 请写成带引号的文本（如 \"90.0\"），以免二进制浮点误差")
        return None
    try:
        return to_decimal(value if isinstance(value, str) else int(value))
    except (RoundingError, TypeError, ValueError):
        problems.append(f"{where}：{name} 不是数值：{value!r}")
        return None


def _int(row: dict, name: str, where: str, problems: list[str]) -> int | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(f"{where}：{name} 应为非负整数：{value!r}")
        return None
    return value


def _item(row: object, index: int, problems: list[str]) -> MonographItem | None:
    where = f"第 {index} 个检验项目"
    if not isinstance(row, dict):
        problems.append(f"{where}：格式错误，应为表（[[items]]）")
        return None
    name = str(row.get("name") or "").strip()
    if name:
        where = f"{where}“{name}”"
    before = len(problems)
    for key in ("name", "section", "kind", "method", "requirement", "source"):
        if not str(row.get(key) or "").strip():
            problems.append(f"{where}：缺少 {key}")
    section, kind = row.get("section"), row.get("kind")
    if section and section not in SECTIONS:
        problems.append(f"{where}：未知的项目类别 {section!r}（应为 {'、'.join(SECTIONS)}）")
    if kind and kind not in KINDS:
        problems.append(f"{where}：未知的判定类型 {kind!r}（应为 {'、'.join(KINDS)}）")
    if not isinstance(row.get("verified"), bool):
        problems.append(f"{where}：verified 须为 true 或 false（是否已对照标准原文核实）")
    for needed in KINDS.get(kind, ("", ()))[1] if kind in KINDS else ():
        if row.get(needed) in (None, "", []):
            problems.append(f"{where}：判定类型 {kind} 须给出 {needed}")
    low, high = _num(row, "low", where, problems), _num(row, "high", where, problems)
    if kind in ("content", "limit") and low is None and high is None:
        problems.append(f"{where}：须给出下限 low 或上限 high")
    if low is not None and high is not None and low > high:
        problems.append(f"{where}：下限 {low} 大于上限 {high}")
    decimals = _int(row, "decimals", where, problems)
    q = _num(row, "q", where, problems)
    acid = _num(row, "acid_limit", where, problems)
    ulimit = _num(row, "uniformity_limit", where, problems)
    target = _num(row, "target", where, problems)
    points: list[ReleasePoint] = []
    for n, point in enumerate(row.get("points") or [], 1):
        pwhere = f"{where} 第 {n} 个时间点"
        if not isinstance(point, dict) or not str(point.get("time") or "").strip():
            problems.append(f"{pwhere}：须给出 time")
            continue
        plow, phigh = _num(point, "low", pwhere, problems), _num(point, "high", pwhere, problems)
        if plow is None and phigh is None:
            problems.append(f"{pwhere}：须给出 low 或 high")
        points.append(ReleasePoint(str(point["time"]), plow, phigh))
    form = row.get("form")
    if kind == "weight_variation" and form and form not in WEIGHT_FORMS:
        problems.append(f"{where}：重量（装量）差异的剂型应为 {'、'.join(WEIGHT_FORMS)}：{form!r}")
    tamc, tymc = _int(row, "tamc", where, problems), _int(row, "tymc", where, problems)
    absent = row.get("absent") or []
    if not isinstance(absent, list) or not all(isinstance(a, str) and a for a in absent):
        problems.append(f"{where}：absent 应为控制菌名称列表")
        absent = []
    if len(problems) > before:
        return None
    code = str(row.get("code") or name).strip()
    return MonographItem(
        code=code, name=name, section=section, kind=kind,
        requirement=str(row["requirement"]).strip(), method=str(row["method"]).strip(),
        source=str(row["source"]).strip(), verified=row["verified"],
        decimals=1 if decimals is None else decimals, unit=str(row["unit"]) if "unit" in row else ("%" if kind == "content" else ""),
        low=low, high=high, q=q, acid_limit=acid, points=tuple(points),
        uniformity_limit=ulimit if ulimit is not None else Decimal("15.0"),
        target=target if target is not None else Decimal(100), form=form,
        tamc=tamc, tymc=tymc, absent=tuple(absent))


def parse_monograph(text: str, *, origin: str = "") -> Monograph:
    """Validate one monograph file's text; raises MonographError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MonographError([f"{origin or '文件'}不是有效的 TOML：{exc}"]) from None
    problems: list[str] = []
    head = data.get("monograph")
    if not isinstance(head, dict):
        raise MonographError(["缺少 [monograph] 表（品种名称、剂型、标准、来源）"])
    for key in ("key", "name", "dosage_form", "standard", "source"):
        if not str(head.get(key) or "").strip():
            problems.append(f"[monograph]：缺少 {key}")
    if head.get("dosage_form") and head["dosage_form"] not in DOSAGE_FORMS:
        problems.append(f"[monograph]：未知的剂型 {head['dosage_form']!r}"
                        f"（应为 {'、'.join(DOSAGE_FORMS)}）")
    if not isinstance(head.get("verified"), bool):
        problems.append("[monograph]：verified 须为 true 或 false")
    rows = data.get("items")
    if not isinstance(rows, list) or not rows:
        problems.append("没有检验项目（[[items]]）")
        rows = []
    items = [_item(row, i, problems) for i, row in enumerate(rows, 1)]
    codes = [i.code for i in items if i is not None]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"检验项目代码重复：{code}")
    if problems:
        raise MonographError(problems)
    return Monograph(key=str(head["key"]).strip(), name=str(head["name"]).strip(),
                     name_en=str(head.get("name_en") or ""), dosage_form=head["dosage_form"],
                     standard=str(head["standard"]).strip(),
                     expressed_as=str(head.get("expressed_as") or ""),
                     source=str(head["source"]).strip(), verified=head["verified"],
                     items=tuple(i for i in items if i is not None))


def shipped_files() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.toml"))


def load_shipped() -> list[Monograph]:
    return [parse_monograph(p.read_text(encoding="utf-8"), origin=p.name)
            for p in shipped_files()]
