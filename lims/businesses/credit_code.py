"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character."""

from __future__ import annotations

# GB 32100-2015 §4.2: the code's characters (no I, O, Z, S, V) and the weights of positions 1–17.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character of the first 17 characters: 31 − (Σ value × weight mod 31)."""
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """None when ``code`` is a valid 统一社会信用代码, else the reason in Chinese."""
    text = (code or "").strip().upper()
    if len(text) != 18:
        return f"统一社会信用代码应为18位，实为{len(text)}位：{code}"
    bad = [ch for ch in text if ch not in CHARSET]
    if bad:
        return f"统一社会信用代码含无效字符 {''.join(bad)}：{code}"
    expected = check_character(text[:17])
    if text[17] != expected:
        return f"统一社会信用代码校验位错误（应为 {expected}）：{code}"
    return None


def is_credit_code(code: str | None) -> bool:
    return bool(code) and credit_code_error(code) is None
