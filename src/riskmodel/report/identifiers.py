"""What an output shows of ID and account numbers: the ``[privacy]`` setting applied.

``masked`` (default) keeps the first 6 and last 4 characters of an ID number
(``430421********1234``) and the usual first 6 / last 4 of an account; ``pseudonymised``
replaces them by a keyed hash stable across runs; ``full`` shows them as in the input.
The masking itself is :mod:`riskmodel.ids`'s; this module only decides where it applies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pandas as pd

# an ID number (18 or 15 characters) or an account / card number (12–19 digits), standing alone
_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{12,19})(?![0-9A-Za-z])")


def identifier_mode(config: dict[str, Any]) -> str:
    """``full``, ``masked`` or ``pseudonymised`` from ``config['privacy']``."""
    privacy = config.get("privacy", {})
    if privacy.get("show_identifiers", False):
        return "full"
    mode = str(privacy.get("identifiers", "masked"))
    if mode not in {"full", "masked", "pseudonymised"}:
        raise ValueError(f"privacy.identifiers must be full, masked or pseudonymised, not {mode!r}")
    return mode


def _mask_one(value: str) -> str:
    try:
        from riskmodel import ids
    except ImportError:  # the ids module not installed: mask here, never show
        ids = None
    if len(value) in (15, 18) and (value[:-1].isdigit()):
        if ids is not None and hasattr(ids, "mask_id"):
            return ids.mask_id(value)
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if ids is not None and hasattr(ids, "mask_account"):
        return ids.mask_account(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def _pseudonym(value: str, key: str) -> str:
    try:
        from riskmodel.ids import pseudonymise
    except ImportError:
        digest = hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
        return f"P{digest[:12]}"
    return pseudonymise(value, key)


def protect_text(text: Any, config: dict[str, Any]) -> Any:
    """``text`` with every ID or account number in it shown as the privacy setting says."""
    if not isinstance(text, str) or not text:
        return text
    mode = identifier_mode(config)
    if mode == "full":
        return text
    if mode == "pseudonymised":
        key = str(config.get("privacy", {}).get("pseudonym_key", ""))
        return _IDENTIFIER.sub(lambda m: _pseudonym(m[1].upper(), key), text)
    return _IDENTIFIER.sub(lambda m: _mask_one(m[1].upper()), text)


def protect_frame(frame: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells follow the privacy setting (column names too)."""
    if identifier_mode(config) == "full":
        return frame.copy()
    protected = frame.copy()
    for column in protected.columns:
        series = protected[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            unique = series.dropna().unique()
            mapping = {value: protect_text(value, config) for value in unique}
            if any(mapping[v] != v for v in unique if isinstance(v, str)):
                protected[column] = series.map(
                    lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v
                )
    protected.columns = [protect_text(str(c), config) for c in protected.columns]
    return protected


def find_identifiers(text: str) -> list[str]:
    """Unmasked ID/account-looking numbers in ``text`` (for scans of outputs)."""
    try:
        from riskmodel.ids import find_unmasked_identifiers
    except ImportError:
        return [m[1] for m in _IDENTIFIER.finditer(text)]
    return find_unmasked_identifiers(text)
