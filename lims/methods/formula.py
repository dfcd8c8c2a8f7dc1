"""A safe, exact evaluator for the result formulas of analytical methods.

A formula such as ``(rho - rho0) * V / (m * 1000)`` comes from a method file, which a lab
administrator may edit, so it is never handed to ``eval``.  It is parsed with :mod:`ast`
and only a tiny arithmetic language is accepted: decimal literals, declared names,
``+ - * / **`` (integer, bounded exponents), unary signs, parentheses and the functions
``max``, ``min`` and ``abs``.  Anything else is refused when the method file is loaded.

The accepted tree is compiled once into small node objects and evaluated with
:class:`decimal.Decimal` in a private 34-digit context, so 0.1 + 0.2 is exactly 0.3 and
nothing depends on binary floating point or on the thread's global decimal context.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

__all__ = [
    "FormulaError",
    "FormulaEvaluationError",
    "Formula",
    "compile_formula",
    "FUNCTIONS",
    "MAX_EXPONENT",
    "PRECISION",
]

PRECISION = 34
MAX_EXPONENT = 12  # 10**-12 covers any dilution series; larger powers are typos or attacks.
MAX_FORMULA_LENGTH = 500
MAX_DEPTH = 40
FUNCTIONS = {"max": (1, None), "min": (1, None), "abs": (1, 1)}  # name -> (min, max) arity


class FormulaError(ValueError):
    """A formula that is refused at load time (message in Chinese)."""


class FormulaEvaluationError(ValueError):
    """A formula that cannot be evaluated on the given values (message in Chinese)."""


def _context() -> Context:
    return Context(
        prec=PRECISION,
        rounding=ROUND_HALF_EVEN,
        Emax=999_999,
        Emin=-999_999,
        traps=[DivisionByZero, InvalidOperation, Overflow],
    )


class _Node:
    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        raise NotImplementedError


@dataclass(frozen=True)
class _Const(_Node):
    value: Decimal

    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        return self.value


@dataclass(frozen=True)
class _Name(_Node):
    name: str

    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        try:
            return values[self.name]
        except KeyError:
            raise FormulaEvaluationError(f"缺少公式变量 {self.name} 的值") from None


@dataclass(frozen=True)
class _Neg(_Node):
    operand: _Node

    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        return ctx.minus(self.operand.eval(values, ctx))


@dataclass(frozen=True)
class _Bin(_Node):
    op: str
    left: _Node
    right: _Node

    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        a = self.left.eval(values, ctx)
        b = self.right.eval(values, ctx)
        if self.op == "+":
            return ctx.add(a, b)
        if self.op == "-":
            return ctx.subtract(a, b)
        if self.op == "*":
            return ctx.multiply(a, b)
        if self.op == "/":
            if b.is_zero():
                raise FormulaEvaluationError(f"计算时除数为零（{_describe(self.right)} = 0）")
            return ctx.divide(a, b)
        # "**": the exponent must be a small integer, checked on every evaluation because
        # it may depend on an input (e.g. a dilution exponent).
        exponent = _integral_exponent(b)
        if a.is_zero() and exponent < 0:
            raise FormulaEvaluationError("计算时出现零的负次幂（除数为零）")
        return ctx.power(a, exponent)


@dataclass(frozen=True)
class _Call(_Node):
    func: str
    args: tuple[_Node, ...]

    def eval(self, values: Mapping[str, Decimal], ctx: Context) -> Decimal:
        args = [arg.eval(values, ctx) for arg in self.args]
        if self.func == "abs":
            return ctx.abs(args[0])
        if self.func == "max":
            return max(args)
        return min(args)


def _describe(node: _Node) -> str:
    if isinstance(node, _Name):
        return node.name
    if isinstance(node, _Const):
        return str(node.value)
    return "分母"


def _integral_exponent(value: Decimal) -> int:
    if value != value.to_integral_value():
        raise FormulaEvaluationError(f"乘方的指数必须是整数，实际为 {value}")
    exponent = int(value)
    if abs(exponent) > MAX_EXPONENT:
        raise FormulaEvaluationError(
            f"乘方的指数 {exponent} 超出允许范围（-{MAX_EXPONENT} 至 {MAX_EXPONENT}）"
        )
    return exponent


_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}

_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "属性访问",
    ast.Subscript: "下标访问",
    ast.Lambda: "lambda 表达式",
    ast.ListComp: "推导式",
    ast.SetComp: "推导式",
    ast.DictComp: "推导式",
    ast.GeneratorExp: "生成器表达式",
    ast.Compare: "比较运算",
    ast.BoolOp: "逻辑运算",
    ast.IfExp: "条件表达式",
    ast.NamedExpr: "赋值表达式",
    ast.JoinedStr: "字符串",
    ast.List: "列表",
    ast.Tuple: "元组",
    ast.Dict: "字典",
    ast.Set: "集合",
    ast.Starred: "星号展开",
    ast.Await: "await",
}


class _Compiler:
    def __init__(self, source: str, names: frozenset[str]) -> None:
        self.source = source
        self.names = names
        self.used: set[str] = set()

    def fail(self, node: ast.AST, what: str) -> FormulaError:
        segment = ast.get_source_segment(self.source, node) or ""
        where = f"「{segment}」" if segment else ""
        return FormulaError(f"公式 {self.source!r} 中不允许{what}{where}")

    def compile(self, node: ast.AST, depth: int = 0) -> _Node:
        if depth > MAX_DEPTH:
            raise FormulaError(f"公式 {self.source!r} 嵌套过深")
        if isinstance(node, ast.Constant):
            return _Const(self._literal(node))
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS and node.id not in self.names:
                raise self.fail(node, f"把函数 {node.id} 当作数值使用")
            if node.id not in self.names:
                declared = "、".join(sorted(self.names)) or "无"
                raise FormulaError(
                    f"公式 {self.source!r} 使用了未声明的变量 {node.id}（已声明：{declared}）"
                )
            self.used.add(node.id)
            return _Name(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return _fold(_Neg(operand))
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, "此一元运算符（仅允许正负号）")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(node, "此运算符（仅允许 + - * / **）")
            left = self.compile(node.left, depth + 1)
            right = self.compile(node.right, depth + 1)
            if op == "**" and isinstance(right, _Const):
                try:
                    _integral_exponent(right.value)
                except FormulaEvaluationError as exc:
                    raise FormulaError(f"公式 {self.source!r}：{exc}") from None
            return _fold(_Bin(op, left, right))
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        what = _REFUSED.get(type(node), f"语法元素 {type(node).__name__}")
        raise self.fail(node, what)

    def _literal(self, node: ast.Constant) -> Decimal:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "字符串" if isinstance(value, str | bytes) else f"常量 {value!r}"
            raise self.fail(node, kind)
        # Read the digits as written: the float that ast produced for 0.032 is not 0.032.
        text = ast.get_source_segment(self.source, node)
        if text is None:
            raise self.fail(node, "无法定位的数字")
        try:
            number = Decimal(text.replace("_", ""))
        except InvalidOperation:
            raise self.fail(node, "无法识别的数字") from None
        if not number.is_finite():
            raise self.fail(node, "非有限数字")
        return number

    def _call(self, node: ast.Call, depth: int) -> _Node:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "调用此对象")
        name = node.func.id
        if name not in FUNCTIONS:
            allowed = "、".join(sorted(FUNCTIONS))
            raise self.fail(node, f"调用函数 {name}（仅允许 {allowed}）")
        if node.keywords:
            raise self.fail(node, "关键字参数")
        low, high = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            raise self.fail(node, f"函数 {name} 接收 {count} 个参数")
        args = tuple(self.compile(arg, depth + 1) for arg in node.args)
        return _fold(_Call(name, args))


def _fold(node: _Node) -> _Node:
    """Evaluate constant sub-trees once, at load time (also catches 1/0 in a file)."""
    children: tuple[_Node, ...]
    if isinstance(node, _Neg):
        children = (node.operand,)
    elif isinstance(node, _Bin):
        children = (node.left, node.right)
    elif isinstance(node, _Call):
        children = node.args
    else:
        return node
    if all(isinstance(child, _Const) for child in children):
        try:
            return _Const(node.eval({}, _context()))
        except FormulaEvaluationError as exc:
            raise FormulaError(f"公式中的常量运算无效：{exc}") from None
        except (InvalidOperation, Overflow, DivisionByZero) as exc:
            raise FormulaError(f"公式中的常量运算无效：{type(exc).__name__}") from None
    return node


@dataclass(frozen=True)
class Formula:
    """A compiled formula; evaluate it with :meth:`evaluate`."""

    source: str
    names: frozenset[str]  # every name the formula uses
    _root: _Node

    def evaluate(self, values: Mapping[str, Decimal]) -> Decimal:
        """Evaluate exactly; every used name must map to a finite Decimal."""
        checked: dict[str, Decimal] = {}
        for name in self.names:
            if name not in values:
                raise FormulaEvaluationError(f"缺少公式变量 {name} 的值")
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, Decimal | int):
                raise FormulaEvaluationError(
                    f"公式变量 {name} 须为 Decimal 数值，实际为 {type(value).__name__}"
                )
            value = Decimal(value)
            if not value.is_finite():
                raise FormulaEvaluationError(f"公式变量 {name} 的值不是有限数：{value}")
            checked[name] = value
        ctx = _context()
        try:
            result = self._root.eval(checked, ctx)
        except Overflow:
            raise FormulaEvaluationError("计算结果超出可表示的范围") from None
        except DivisionByZero:
            raise FormulaEvaluationError("计算时除数为零") from None
        except InvalidOperation:
            raise FormulaEvaluationError("计算无效（例如零的零次幂）") from None
        # Normalise -0 so that a zero result never displays as "-0".
        return result if not result.is_zero() else abs(result)

    def substitute(self, values: Mapping[str, Decimal]) -> str:
        """The formula text with each name replaced by its value, for the audit trail."""
        tree = ast.parse(self.source, mode="eval")

        class _Sub(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in values:
                    value = values[node.id]
                    text = format(value, "f") if isinstance(value, Decimal) else str(value)
                    # ast.unparse prints a Name's id verbatim; parenthesise negatives so
                    # "a - b" with b = -1 reads "a - (-1)".
                    return ast.Name(id=f"({text})" if text.startswith("-") else text)
                return node

        return ast.unparse(_Sub().visit(tree))


def compile_formula(source: str, names: Iterable[str]) -> Formula:
    """Parse and check ``source`` against the declared ``names``; raise FormulaError."""
    if not isinstance(source, str) or not source.strip():
        raise FormulaError("公式为空")
    text = source.strip()
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"公式过长（超过 {MAX_FORMULA_LENGTH} 个字符）")
    declared = frozenset(names)
    for name in declared:
        _check_name(name)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"公式 {text!r} 语法错误：{exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(f"公式 {text!r} 无法解析") from None
    compiler = _Compiler(text, declared)
    root = compiler.compile(tree.body)
    return Formula(source=text, names=frozenset(compiler.used), _root=root)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise FormulaError(f"变量名 {name!r} 无效：须为 ASCII 标识符")
    if keyword.iskeyword(name) or name.startswith("_"):
        raise FormulaError(f"变量名 {name!r} 不可用（关键字或以下划线开头）")
    if name in FUNCTIONS:
        raise FormulaError(f"变量名 {name!r} 与允许的函数同名")
