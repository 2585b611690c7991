"""Identifiers for the synthetic county, generated in bulk with numpy.

Resident IDs follow GB 11643-1999 (region, birth date, sequence whose last digit is odd for
men, ISO 7064 MOD 11-2 check character); credit codes follow GB 32100-2015 with the check
character from :func:`riskmodel.ids.credit_check_char`; bank cards carry a Luhn digit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodel import ids

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Integer array -> (n, width) matrix of its decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 10


def _to_strings(codes: np.ndarray) -> np.ndarray:
    """(n, k) uint8 ASCII matrix -> object array of Python strings."""
    width = codes.shape[1]
    if len(codes) == 0:
        return np.array([], dtype=object)
    raw = np.ascontiguousarray(codes.astype(np.uint8)).view(f"S{width}").ravel()
    return raw.astype(str).astype(object)


def id_check_chars(digits17: np.ndarray) -> np.ndarray:
    """Check characters (ASCII codes) for a (n, 17) digit matrix."""
    return ids.check_bytes(digits17)


def id_numbers_from_parts(
    region: np.ndarray, yyyymmdd: np.ndarray, sequence: np.ndarray
) -> np.ndarray:
    """Assemble valid 18-character IDs from region codes, birth dates (int) and sequences."""
    digits = np.concatenate(
        [_digits(region, 6), _digits(yyyymmdd, 8), _digits(sequence, 3)], axis=1
    )
    codes = np.concatenate([digits + 48, id_check_chars(digits)[:, None]], axis=1)
    return _to_strings(codes)


def birth_ints(birth_dates: np.ndarray) -> np.ndarray:
    """datetime64[D] -> yyyymmdd integers."""
    index = pd.DatetimeIndex(birth_dates)
    return (index.year * 10000 + index.month * 100 + index.day).to_numpy(np.int64)


def make_id_numbers(
    rng: np.random.Generator,
    region: np.ndarray,
    birth_dates: np.ndarray,
    is_male: np.ndarray,
    taken: set[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw unique valid IDs; return (ids, keys) where keys are the 17-digit bodies as int.

    ``taken`` holds keys already used (they are avoided and the new keys are added to it).
    """
    count = len(region)
    region = np.asarray(region, dtype=np.int64)
    dates = birth_ints(birth_dates)
    parity = np.array(is_male, dtype=np.int64)
    sequence = rng.integers(0, 500, count) * 2 + parity
    base = region * 10**11 + dates * 1000
    small = count < 5000
    taken_array = (
        np.fromiter(taken, dtype=np.int64) if taken and not small else np.array([], np.int64)
    )
    for _ in range(50):
        keys = base + sequence
        clash = pd.Series(keys).duplicated().to_numpy(copy=True)
        if taken and small:
            clash |= np.array([int(k) in taken for k in keys], dtype=bool)
        elif len(taken_array):
            clash |= np.isin(keys, taken_array)
        if not clash.any():
            break
        sequence[clash] = rng.integers(0, 500, int(clash.sum())) * 2 + parity[clash]
    else:  # pragma: no cover - needs >500 people of one sex born the same day in one region
        raise RuntimeError("could not draw unique ID numbers")
    keys = base + sequence
    if taken is not None:
        taken.update(keys.tolist())
    return id_numbers_from_parts(region, dates, sequence), keys


def swap_adjacent_digits(rng: np.random.Generator, id_number: str) -> str:
    """A typo: two adjacent, different digits of the first 17 swapped (the check then fails)."""
    body = list(id_number)
    positions = [i for i in range(14, 16) if body[i] != body[i + 1]]
    positions += [i for i in range(6, 14) if body[i] != body[i + 1]]
    if not positions:
        positions = [i for i in range(0, 16) if body[i] != body[i + 1]]
    # prefer the sequence digits (the commonest slip), else anywhere in the body
    i = positions[int(rng.integers(0, min(len(positions), 3)))]
    body[i], body[i + 1] = body[i + 1], body[i]
    return "".join(body)


def _org_check(body8: str) -> str:
    total = sum(
        CREDIT_CHARS.index(c) * w if c.isdigit() else (ord(c) - 55) * w
        for c, w in zip(body8, ORG_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_credit_codes(
    rng: np.random.Generator, count: int, region: str, kind: str = "91"
) -> list[str]:
    """Unique unified social credit codes (``kind``: 91 company, 93 cooperative, 12 public unit)."""
    codes: list[str] = []
    seen: set[str] = set()
    letters = CREDIT_CHARS[10:]
    while len(codes) < count:
        if kind == "12" or rng.random() < 0.3:
            body = "".join(str(d) for d in rng.integers(0, 10, 8))
        else:
            body = "MA" + "".join(
                (
                    letters[int(rng.integers(0, len(letters)))]
                    if rng.random() < 0.3
                    else str(int(rng.integers(0, 10)))
                )
                for _ in range(6)
            )
        first17 = kind + region + body + _org_check(body)
        code = first17 + ids.credit_check_char(first17)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _luhn_digit(digits: np.ndarray) -> np.ndarray:
    """Luhn check digit for a (n, k) digit matrix (payload without the check digit)."""
    doubled = digits[:, ::-1].copy()
    doubled[:, 0::2] *= 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (10 - doubled.sum(axis=1) % 10) % 10


BANK_PREFIXES = {"衡阳县农村商业银行": 623090, "中国邮政储蓄银行衡阳县支行": 621799}


def make_account_numbers(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique 19-digit card numbers and their banks."""
    banks = np.array(list(BANK_PREFIXES), dtype=object)
    bank_index = (rng.random(count) < 0.35).astype(np.int64)
    prefixes = np.array(list(BANK_PREFIXES.values()), dtype=np.int64)[bank_index]
    body = rng.integers(0, 10**12, count, dtype=np.int64)
    for _ in range(20):
        clash = pd.Series(prefixes * 10**12 + body).duplicated().to_numpy()
        if not clash.any():
            break
        body[clash] = rng.integers(0, 10**12, int(clash.sum()), dtype=np.int64)
    digits = np.concatenate([_digits(prefixes, 6), _digits(body, 12)], axis=1)
    codes = np.concatenate([digits, _luhn_digit(digits)[:, None]], axis=1) + 48
    return _to_strings(codes), banks[bank_index]


def make_phones(rng: np.random.Generator, count: int) -> np.ndarray:
    """11-digit mobile numbers."""
    second = np.array([3, 5, 7, 8, 9], dtype=np.int64)[rng.integers(0, 5, count)]
    body = 10**10 + second * 10**9 + rng.integers(0, 10**9, count, dtype=np.int64)
    return _to_strings(_digits(body, 11) + 48)
