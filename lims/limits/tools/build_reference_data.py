"""Regenerate the derived data files of the limit library from the reference texts.

Maintainer tool, run by hand; nothing imports it at run time and the shipped library
never reads the reference folder.  It writes, under ``lims/limits/data/``:

* ``food_categories.csv`` from ``tree_gb2762.txt``, ``tree_gb2763.txt`` and
  ``tree_vet.txt`` (hand-written category trees, each node citing its source);
* ``limits_gb2762_2025.csv`` from ``rows_gb2762_2025.txt`` (hand transcription of the
  12 tables), checking that every value is printed on the cited line of
  ``GB_2762-2025.txt``;
* ``limits_gb2763_2026.csv`` from ``gb2763_2026_subset.json``, handling the defects
  listed in the reference README (merged rows, spill-over tables, extraneous MRLs).

Usage: ``python -m lims.limits.tools.build_reference_data /work/shared/reference``
The hand-curated files (limits_gb31650.csv, limits_banned.csv, …) are not touched.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"

LIMIT_COLUMNS = [
    "standard", "clause", "analyte", "expressed_as", "category", "category_text",
    "exclusions", "limit", "unit", "basis", "condition", "temporary", "notes",
    "effective_from", "effective_to", "source", "verified",
]  # fmt: skip
CATEGORY_COLUMNS = ["code", "parent_codes", "scheme", "name_zh", "aliases", "source", "verified"]


@dataclass
class Node:
    code: str
    scheme: str
    name: str
    aliases: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    verified: str = "yes"


class Registry:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.food_names: dict[str, str] = {}

    def food(self, name: str) -> Node:
        code = self.food_names.get(name)
        if code is None:
            code = f"F:{name}"
            self.nodes[code] = Node(code=code, scheme="food", name=name)
            self.food_names[name] = code
        return self.nodes[code]

    def add_alias(self, node: Node, alias: str) -> None:
        if alias == node.name or alias in node.aliases:
            return
        node.aliases.append(alias)
        if node.scheme == "food":
            other = self.food_names.get(alias)
            if other and other != node.code:
                raise SystemExit(f"alias {alias} of {node.code} is already {other}")
            self.food_names[alias] = node.code

    def resolve(self, name: str, scheme: str) -> str:
        code = f"{scheme}:{name}"
        if code in self.nodes:
            return code
        for node in self.nodes.values():
            if node.scheme == scheme and name in node.aliases:
                return node.code
        if name in self.food_names:
            return self.food_names[name]
        raise KeyError(name)


LINE = re.compile(r"^(?P<indent> *)(?P<food>=)?(?P<name>[^{@\[]+?)\s*(?P<rest>(?:[{@\[].*)?)$")
ALIASES = re.compile(r"\{([^}]*)\}")
AT_LINE = re.compile(r"@(\d+)")
EXTRA = re.compile(r"\[\+([^\]]*)\]")


def load_tree(registry: Registry, path: Path, scheme: str, source: str, verified: str) -> None:
    stack: list[tuple[int, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = LINE.match(raw)
        if not match:
            raise SystemExit(f"{path.name}: cannot read {raw!r}")
        depth = len(match.group("indent")) // 2
        name = match.group("name").strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if match.group("food"):
            node = registry.food(name)
        else:
            code = f"{scheme}:{name}"
            node = registry.nodes.setdefault(code, Node(code=code, scheme=scheme, name=name))
        rest = match.group("rest")
        aliases = ALIASES.search(rest)
        at_line = AT_LINE.search(rest)
        extra = EXTRA.search(rest)
        for alias in filter(None, (aliases.group(1) if aliases else "").split("|")):
            registry.add_alias(node, alias.strip())
        if parent and parent not in node.parents:
            node.parents.append(parent)
        for code in filter(None, (extra.group(1) if extra else "").split(";")):
            if code.strip() not in node.parents:
                node.parents.append(code.strip())
        if at_line:
            cite = f"{source} (GB_2762-2025.txt line {at_line.group(1)})"
        else:
            cite = f"{source}（本库归类）" if verified == "yes" else source
        if cite not in node.sources:
            node.sources.append(cite)
        # Verified only when the text itself names the node: a line citation in a
        # verified tree.  Memberships of our own judgement are marked verified=no.
        if verified == "no" or not at_line:
            node.verified = "no"
        stack.append((depth, node.code))


def check_graph(registry: Registry) -> None:
    for node in registry.nodes.values():
        for parent in node.parents:
            if parent not in registry.nodes:
                raise SystemExit(f"{node.code}: unknown parent {parent}")
            pscheme = registry.nodes[parent].scheme
            if node.scheme != "food" and pscheme not in (node.scheme, "food"):
                raise SystemExit(f"{node.code}: parent {parent} is in another scheme")


def write_categories(registry: Registry) -> None:
    order = {"GB2762": 0, "GB2763": 1, "VET": 2, "food": 3}
    rows = sorted(registry.nodes.values(), key=lambda n: order[n.scheme])
    with (DATA / "food_categories.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CATEGORY_COLUMNS)
        for node in rows:
            writer.writerow([
                node.code, "|".join(node.parents), node.scheme, node.name,
                "|".join(node.aliases), "；".join(node.sources), node.verified,
            ])  # fmt: skip


# --- GB 2762-2025 ------------------------------------------------------------------

TABLE_OF_LINE = [
    (56, "4.1 表1"), (168, "4.2 表2"), (224, "4.3 表3"), (269, "4.4 表4"), (330, "4.5 表5"),
    (342, "4.6 表6"), (350, "4.7 表7"), (374, "4.8 表8"), (417, "4.9 表9"),
    (434, "4.10 表10"), (447, "4.11 表11"), (458, "4.12 表12"),
]  # fmt: skip


def clause_of(line: int) -> str:
    clause = TABLE_OF_LINE[0][1]
    for start, name in TABLE_OF_LINE:
        if line >= start:
            clause = name
    return clause


def build_gb2762(registry: Registry, reference: Path) -> list[dict[str, str]]:
    text_lines = (reference / "GB_2762-2025.txt").read_text(encoding="utf-8").splitlines()
    rows: list[dict[str, str]] = []
    spec = (HERE / "rows_gb2762_2025.txt").read_text(encoding="utf-8").splitlines()
    for raw in spec:
        if not raw.strip() or raw.startswith("#"):
            continue
        line, analyte, expressed, cats, excl, value, unit, basis, notes = raw.split("|")
        printed = text_lines[int(line) - 1]
        if not re.search(rf"(?<![\d.]){re.escape(value)}(?![\d.])", printed):
            raise SystemExit(f"GB 2762 line {line}: value {value} not in {printed!r}")
        exclusion_codes = [registry.resolve(n, "GB2762") for n in filter(None, excl.split(";"))]
        for name in cats.split(";"):
            rows.append({
                "standard": "GB 2762-2025", "clause": clause_of(int(line)), "analyte": analyte,
                "expressed_as": expressed, "category": registry.resolve(name, "GB2762"),
                "category_text": name, "exclusions": "|".join(exclusion_codes),
                "limit": f"≤{value}", "unit": unit, "basis": basis or "fresh", "condition": "",
                "temporary": "no", "notes": notes, "effective_from": "", "effective_to": "",
                "source": f"GB 2762-2025 {clause_of(int(line))} line {line} of GB_2762-2025.txt",
                "verified": "yes",
            })  # fmt: skip
    return rows


# --- GB 2763-2026 ------------------------------------------------------------------

SECTIONS = {
    "谷物", "油料和油脂", "蔬菜", "水果", "干制水果", "坚果", "糖料", "糖类", "饮料类",
    "食用菌", "调味料", "药用植物", "干制蔬菜",
}  # fmt: skip
# Same name, different food depending on the section of the table.
BY_SECTION = {
    ("谷物", "豌豆"): "豌豆(干)",
    ("谷物", "蚕豆"): "蚕豆(干)",
    ("谷物", "扁豆"): "扁豆(干)",
    ("谷物", "菜豆"): "菜豆籽粒",
    ("谷物", "蚕豆(干)"): "蚕豆(干)",
}
RENAMES = {"哺乳动物内脏": "哺乳动物内脏(海洋哺乳动物除外)", "谷物(单列的除外)": "谷物"}


def split_exclusions(text: str) -> tuple[str, list[str]]:
    """``叶菜类蔬菜(芹菜除外)`` -> (叶菜类蔬菜, [芹菜]); the closing bracket group must end
    the text and say 除外, so 哺乳动物肉类(海洋哺乳动物除外) stays whole when it names a node."""
    if not text or text[-1] not in ")]":
        return text, []
    depth = 0
    for start in range(len(text) - 1, -1, -1):
        if text[start] in ")]":
            depth += 1
        elif text[start] in "([":
            depth -= 1
            if depth == 0:
                break
    inner = text[start + 1 : -1]
    if not inner.endswith("除外"):
        return text, []
    base, excluded = text[:start], inner[: -len("除外")]
    # Split on 、 outside brackets: 露莓(包括波森莓和罗甘莓) stays whole.
    items, depth, current = [], 0, ""
    for char in excluded:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char in "、和" and depth == 0 and not (char == "和" and current.endswith("柚")):
            items.append(current)
            current = ""
            continue
        current += char
    items.append(current)
    if excluded == "柑、橘、橙、柠檬、柚和金橘":
        items = ["柑", "橘", "橙", "柠檬", "柚", "金橘"]
    return base, [i for i in items if i]


def build_gb2763(registry: Registry, reference: Path) -> tuple[list[dict[str, str]], list[str]]:
    data = json.loads((reference / "gb2763_2026_subset.json").read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = []
    skipped: list[str] = []
    for p_index, pesticide in enumerate(data["pesticides"]):
        name = pesticide["name_zh"].replace(" ", "")
        residue = re.sub(r"\s+", "", pesticide.get("residue", ""))
        for t_index, table in enumerate(pesticide["tables"]):
            where = f"gb2763_2026_subset.json pesticides[{p_index}].tables[{t_index}]"
            if not table["table_matches_clause"]:
                skipped.append(
                    f"{name} {table['table']}：表号与条款不符（疑为下一条款的表），整表未收录 ({where})"
                )
                continue
            emrl = table["value_column"].startswith("再残留限量")
            section, heading, heading_basis = "", "", ""
            for r_index, row in enumerate(table["rows"]):
                food = row["food"].strip()
                value = row["mrl_mg_per_kg"].strip()
                cite = (
                    f"GB 2763-2026 {pesticide['clause']} {table['table']}；{where}.rows[{r_index}]"
                )
                if food == "黄花菜(干)水果":  # two lines merged: the value is 黄花菜(干)'s
                    rows.append(_row2763(registry, name, pesticide, table, "黄花菜(干)", [],
                                         value, "fresh", "", emrl, residue, cite,
                                         "源数据将“黄花菜(干)”与下一行标题“水果”合并，已拆分"))  # fmt: skip
                    section, heading, heading_basis = "水果", "水果", ""
                    continue
                if food == "蔬菜大白菜":
                    food, section = "大白菜", "蔬菜"
                if food == "根茎类蔬菜(姜除外)姜":
                    skipped.append(
                        f"{name} {table['table']}：“{food} {value}”两行合并且数值无法拆分，未收录 ({where}.rows[{r_index}])"
                    )
                    continue
                if not value:
                    base = food.split(",")[0]
                    if base in SECTIONS:
                        section = base
                    heading = RENAMES.get(base, base)
                    heading_basis = "fat" if "以脂肪中的残留量计" in food else ""
                    continue
                condition, basis = "", heading_basis or "fresh"
                label = food
                if food.startswith("脂肪含量"):
                    condition = food
                    label = heading
                if "以脂肪中的残留量计" in label:
                    basis = "fat"
                    label = label.split(",")[0]
                label = RENAMES.get(label, label)
                try:
                    registry.resolve(label, "GB2763")
                    base, exclusions = label, []
                except KeyError:
                    base, exclusions = split_exclusions(label)
                base = BY_SECTION.get((section, base), base)
                exclusions = [BY_SECTION.get((section, e), e) for e in exclusions]
                note = ""
                if label.startswith("谷物(单列的除外)") or food == "谷物(单列的除外)":
                    note = "谷物(单列的除外)：单列食品按各自限量"
                rows.append(_row2763(registry, name, pesticide, table, base, exclusions, value,
                                     basis, condition, emrl, residue, cite, note, food))  # fmt: skip
    return rows, skipped


def _row2763(
    registry,
    name,
    pesticide,
    table,
    base,
    exclusions,
    value,
    basis,
    condition,
    emrl,
    residue,
    cite,
    note,
    text=None,
):  # noqa: ANN001 - internal helper
    temporary = value.endswith("*")
    value = value.rstrip("*").strip()
    match = re.match(r"^([\d.]+)(?:\((以原样计|以脂肪计)\))?$", value)
    if not match:
        raise SystemExit(f"{cite}: cannot read value {value!r}")
    if match.group(2) == "以脂肪计":
        basis = "fat"
    elif match.group(2) == "以原样计":
        basis = "as_is"
    try:
        category = registry.resolve(base, "GB2763")
        excluded = [registry.resolve(e, "GB2763") for e in exclusions]
    except KeyError as exc:
        raise SystemExit(f"{cite}: food {exc} not in tree_gb2763.txt") from None
    notes = [n for n in (note,) if n]
    if emrl:
        notes.append("再残留限量(EMRL)")
    if residue:
        notes.append(f"残留物：{residue}")
    return {
        "standard": "GB 2763-2026", "clause": f"{pesticide['clause']} {table['table']}",
        "analyte": name, "expressed_as": "", "category": category,
        "category_text": text or base, "exclusions": "|".join(excluded),
        "limit": f"≤{match.group(1)}", "unit": "mg/kg", "basis": basis,
        "condition": condition, "temporary": "yes" if temporary else "no",
        "notes": "；".join(notes), "effective_from": "", "effective_to": "", "source": cite,
        "verified": "secondary",
    }  # fmt: skip


def write_limits(name: str, rows: list[dict[str, str]]) -> None:
    with (DATA / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LIMIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    reference = Path(argv[1] if len(argv) > 1 else "/work/shared/reference")
    registry = Registry()
    load_tree(registry, HERE / "tree_gb2762.txt", "GB2762", "GB 2762-2025 附录A/表1-12", "yes")
    load_tree(registry, HERE / "tree_gb2763.txt", "GB2763", "GB 2763 附录A（按2021版整理）", "no")
    load_tree(registry, HERE / "tree_vet.txt", "VET", "GB 31650-2019 动物种类/靶组织", "no")
    check_graph(registry)
    gb2762 = build_gb2762(registry, reference)
    gb2763, skipped = build_gb2763(registry, reference)
    write_categories(registry)
    write_limits("limits_gb2762_2025.csv", gb2762)
    write_limits("limits_gb2763_2026.csv", gb2763)
    (DATA / "gb2763_2026_skipped.txt").write_text(
        "GB 2763-2026 rows of gb2763_2026_subset.json not taken into limits_gb2763_2026.csv\n"
        + "\n".join(skipped) + "\n", encoding="utf-8")  # fmt: skip
    print(f"categories {len(registry.nodes)}, GB 2762 rows {len(gb2762)}, "
          f"GB 2763 rows {len(gb2763)}, skipped {len(skipped)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
