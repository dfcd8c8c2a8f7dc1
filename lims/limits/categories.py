"""The food category graph: categories of every scheme as one DAG, resolved by name."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from .records import FoodCategory, LibraryError, Placement

__all__ = ["CategoryGraph", "fold_name"]


def fold_name(name: str) -> str:
    """A food name folded for matching (NFKC, no spaces)."""
    return unicodedata.normalize("NFKC", name).replace(" ", "").strip()


_fold = fold_name


class CategoryGraph:
    """Food categories as a DAG; each node belongs to one scheme (or is a shared food)."""

    def __init__(
        self, categories: Iterable[FoodCategory], placements: Iterable[Placement] = ()
    ) -> None:
        self.nodes: dict[str, FoodCategory] = {}
        self._names: dict[str, list[str]] = defaultdict(list)
        for node in categories:
            if node.code in self.nodes:
                raise LibraryError(f"食品分类编码重复：{node.code}")
            self.nodes[node.code] = node
            for name in (node.name_zh, *node.aliases):
                key = _fold(name)
                if node.code not in self._names[key]:
                    self._names[key].append(node.code)
        for node in self.nodes.values():
            for parent in node.parents:
                if parent not in self.nodes:
                    raise LibraryError(f"食品分类 {node.code} 的上级 {parent} 不存在")
        self._ancestor_cache: dict[tuple[str, str], tuple[tuple[int, str], ...]] = {}
        self._children: dict[str, list[str]] | None = None
        self._descendant_cache: dict[tuple[str, str], tuple[str, ...]] = {}
        self._check_acyclic()
        self.placements: dict[tuple[str, str], Placement] = {}
        for placement in placements:
            self._place(placement)

    def _place(self, placement: Placement) -> None:
        node = self.nodes.get(placement.node)
        where = f"细类 {placement.subcategory_code}“{placement.name}”"
        if node is None:
            raise LibraryError(f"{where}放入的分类节点 {placement.node} 不存在")
        if node.scheme != placement.scheme and not (
            node.scheme == "food" and self._reaches(node.code, placement.scheme)
        ):
            raise LibraryError(
                f"{where}放入的节点 {placement.node} 不属于分类体系 {placement.scheme}"
            )
        key = (_fold(placement.name), placement.scheme)
        known = self.placements.get(key)
        if known is not None and known.node != placement.node:
            raise LibraryError(
                f"{where}在 {placement.scheme} 中放入了两个节点：{known.node}、{placement.node}"
            )
        self.placements[key] = placement

    def _check_acyclic(self) -> None:
        state: dict[str, int] = {}

        def visit(code: str) -> None:
            state[code] = 1
            for parent in self.nodes[code].parents:
                if state.get(parent) == 1:
                    raise LibraryError(f"食品分类存在循环：{code} -> {parent}")
                if parent not in state:
                    visit(parent)
            state[code] = 2

        for code in self.nodes:
            if code not in state:
                visit(code)

    def find(self, name: str) -> list[str]:
        """Codes whose name or alias is ``name`` (or the code itself)."""
        if name in self.nodes:
            return [name]
        return list(self._names.get(_fold(name), ()))

    def resolve(self, name: str, scheme: str) -> str | None:
        """The node for ``name`` in ``scheme``: a node of that scheme, else a shared food
        that belongs to the scheme (has an ancestor in it).  A placement of the name in
        the scheme (a 细类 of the sampling rules) wins."""
        placed = self.placements.get((_fold(name), scheme))
        if placed is not None:
            return placed.node
        codes = self.find(name)
        for code in codes:
            if self.nodes[code].scheme == scheme:
                return code
        for code in codes:
            node = self.nodes[code]
            if node.scheme == "food" and self._reaches(code, scheme):
                return code
        return None

    def spans_below(self, name: str, scheme: str, *, by_name: bool = True) -> bool:
        """Whether ``name`` stands for every food below the node it resolves to in
        ``scheme``: a placed 细类 only if it ``covers`` them; a node's own name does unless
        ``by_name`` is False."""
        placed = self.placements.get((_fold(name), scheme))
        return placed.covers if placed is not None else by_name

    def _reaches(self, code: str, scheme: str) -> bool:
        return any(self.nodes[c].scheme == scheme for _, c in self.ancestors(code, scheme))

    def ancestors(self, code: str, scheme: str) -> tuple[tuple[int, str], ...]:
        """(distance, code) for ``code`` and its ancestors within ``scheme``, nearest
        first (breadth first).  Shared food nodes are crossed; other schemes are not."""
        key = (code, scheme)
        cached = self._ancestor_cache.get(key)
        if cached is not None:
            return cached
        seen = {code: 0}
        order = [(0, code)]
        frontier = [code]
        distance = 0
        while frontier:
            distance += 1
            following = []
            for current in frontier:
                for parent in self.nodes[current].parents:
                    if parent in seen or self.nodes[parent].scheme not in (scheme, "food"):
                        continue
                    seen[parent] = distance
                    order.append((distance, parent))
                    following.append(parent)
            frontier = following
        result = tuple(order)
        self._ancestor_cache[key] = result
        return result

    def descendants(self, code: str, scheme: str) -> tuple[str, ...]:
        """The nodes below ``code`` within ``scheme`` (shared foods crossed), nearest
        first, without ``code`` itself."""
        cached = self._descendant_cache.get((code, scheme))
        if cached is not None:
            return cached
        if self._children is None:
            children: dict[str, list[str]] = defaultdict(list)
            for node in self.nodes.values():
                for parent in node.parents:
                    children[parent].append(node.code)
            self._children = children
        seen = {code}
        order: list[str] = []
        frontier = [code]
        while frontier:
            following = []
            for current in frontier:
                for child in self._children.get(current, ()):
                    if child in seen or self.nodes[child].scheme not in (scheme, "food"):
                        continue
                    seen.add(child)
                    order.append(child)
                    following.append(child)
            frontier = following
        result = tuple(order)
        self._descendant_cache[(code, scheme)] = result
        return result

    def name(self, code: str) -> str:
        node = self.nodes.get(code)
        return node.name_zh if node else code
