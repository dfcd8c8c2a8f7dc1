"""What the product declares: its 执行标准 (executive standard) and the declared values
that items judged against 产品明示标准和质量要求 / 标签明示值 are compared with.

Recorded at receipt (page ``/samples/<number>/declared``, API
``PUT /api/v1/samples/<number>/declared``) and read by the verdict:
:func:`declared_for` gives ``check_result(..., declared=...)`` its value.  Sub-samples
share the declaration of their root sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin
from lims.extensions import db
from lims.foods.analytes import split_analyte_name
from lims.samples.models import Sample

__all__ = [
    "SampleDeclaration",
    "SampleDeclaredValue",
    "DeclaredError",
    "DeclaredValue",
    "parse_declared_lines",
    "set_declaration",
    "declaration_of",
    "declared_for",
]

SOURCES = ("standard", "label")
SOURCE_ZH = {"standard": "执行标准", "label": "标签"}


class SampleDeclaration(Audited, TimestampMixin, db.Model):
    """The product's executive standard as printed on the package (e.g. GB/T 21732-2008)."""

    __tablename__ = "sample_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), unique=True)
    executive_standard: Mapped[str] = mapped_column(sa.String(200), default="")

    sample: Mapped[Sample] = relationship()
    values: Mapped[list[SampleDeclaredValue]] = relationship(
        back_populates="declaration", order_by="SampleDeclaredValue.id",
        cascade="all, delete-orphan")  # fmt: skip


class SampleDeclaredValue(Audited, TimestampMixin, db.Model):
    """One declared value: the item (蛋白质, 酒精度) and the value or limit as declared."""

    __tablename__ = "sample_declared_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sample_declaration.id"), index=True)  # fmt: skip
    item: Mapped[str] = mapped_column(sa.String(120))
    value: Mapped[str] = mapped_column(sa.String(80))
    source: Mapped[str] = mapped_column(sa.String(10), default="standard")

    declaration: Mapped[SampleDeclaration] = relationship(back_populates="values")


class DeclaredError(ValueError):
    """Bad declared values; ``errors`` maps a field or line to a Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))


@dataclass(frozen=True)
class DeclaredValue:
    item: str
    value: str
    source: str = "standard"


def _check_value(text: str) -> str | None:
    """None if ``text`` reads as a limit (≥3.0g/100g) or a quantity (52%vol), else why not."""
    from lims.limits.parsing import ParseError, parse_limit, parse_quantity
    from lims.limits.units import UnitError

    try:
        parse_limit(text)
        return None
    except (ParseError, UnitError):
        pass
    try:
        parse_quantity(text.lstrip("="), what="明示值")
        return None
    except (ParseError, UnitError) as exc:
        return str(exc)


def parse_declared_lines(text: str) -> list[DeclaredValue]:
    """Declared values typed one per line: ``蛋白质=≥3.0g/100g`` or ``酒精度：52%vol``,
    optionally ending ``(标签)`` when the value comes from the label.  Every bad line is
    named in :class:`DeclaredError`."""
    out: list[DeclaredValue] = []
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        for sep in ("=", "：", ":"):
            if sep in line:
                item, _, value = line.partition(sep)
                break
        else:
            errors[f"第{number}行"] = f"应写作 项目=明示值：{line}"
            continue
        item, value = item.strip(), value.strip()
        source = "standard"
        for mark in ("(标签)", "（标签）"):
            if value.endswith(mark):
                value, source = value[: -len(mark)].strip(), "label"
        if not item or not value:
            errors[f"第{number}行"] = f"项目或明示值为空：{line}"
            continue
        problem = _check_value(value)
        if problem:
            errors[f"第{number}行"] = f"无法识别的明示值“{value}”：{problem}"
            continue
        key = split_analyte_name(item).key
        if key in seen:
            errors[f"第{number}行"] = f"项目“{item}”重复"
            continue
        seen.add(key)
        out.append(DeclaredValue(item, value, source))
    if errors:
        raise DeclaredError(errors)
    return out


def declaration_of(sample: Sample) -> SampleDeclaration | None:
    root = sample.root
    return db.session.scalar(
        sa.select(SampleDeclaration).where(SampleDeclaration.sample_id == root.id))


def set_declaration(sample: Sample, executive_standard: str,
                    values: list[DeclaredValue]) -> SampleDeclaration:
    """Record (replace) the declaration of ``sample``'s root sample; the caller commits."""
    standard = (executive_standard or "").strip()
    if len(standard) > 200:
        raise DeclaredError({"executive_standard": "执行标准不超过200个字符"})
    for entry in values:
        if entry.source not in SOURCES:
            raise DeclaredError({entry.item: f"来源应为 {'/'.join(SOURCES)}"})
        problem = _check_value(entry.value)
        if problem:
            raise DeclaredError({entry.item: f"无法识别的明示值“{entry.value}”：{problem}"})
    declaration = declaration_of(sample)
    if declaration is None:
        declaration = SampleDeclaration(sample_id=sample.root.id)
        db.session.add(declaration)
    declaration.executive_standard = standard
    old = {(v.item, v.value, v.source) for v in declaration.values}
    new = {(v.item, v.value, v.source) for v in values}
    if old != new:
        declaration.values.clear()
        db.session.flush()
        for entry in values:
            declaration.values.append(
                SampleDeclaredValue(item=entry.item, value=entry.value, source=entry.source))
    db.session.flush()
    return declaration


def declared_for(sample: Sample, item: str) -> str | None:
    """The value ``sample`` declares for ``item`` (matched by analyte key), or None."""
    declaration = declaration_of(sample)
    if declaration is None:
        return None
    try:
        key = split_analyte_name(item).key
    except ValueError:
        return None
    for entry in declaration.values:
        if split_analyte_name(entry.item).key == key:
            return entry.value
    return None
