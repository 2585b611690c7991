"""Column masks of the public notices give what the scalar masks give, value by value."""

import numpy as np
import pandas as pd

from riskmodel.report.disclosure import mask_name, mask_names, mask_public_id, mask_public_ids

NAMES = ["", " ", "张", "张三", " 张三", "张三 ", "欧阳小明", "a\u3000", "\u3000", "𠀀𠀁𠀂", None]


def test_mask_names_as_mask_name():
    for dtype in ("str", object):
        values = pd.Series(NAMES, dtype=dtype)
        expected = [mask_name(v) if isinstance(v, str) else "" for v in values]
        assert mask_names(values).tolist() == expected


def test_mask_public_ids_as_mask_public_id():
    values = pd.Series(
        ["", "12345", "123456", "35012319900101123X", None, "３５０１２３"], dtype="str"
    )
    for prefix, suffix in ((2, 3), (0, 1), (3, 2), (0, 4)):
        expected = [mask_public_id(v if isinstance(v, str) else "", prefix, suffix) for v in values]
        assert mask_public_ids(values, prefix, suffix).tolist() == expected
    numbers = pd.Series([123456789, np.nan], dtype=object)
    assert mask_public_ids(numbers).tolist() == ["12****789", ""]
