"""Pinyin without pypinyin's phrase dictionary is the pinyin with it, character by character."""

import json
import subprocess
import sys

_SCRIPT = """
import json, sys
lean = sys.argv[1] == "lean"
if lean:
    from riskmodel.entities.normalise import _char_pinyin as pinyin
else:
    from pypinyin import lazy_pinyin
    def pinyin(char):
        return "".join(lazy_pinyin(char, errors="default"))
pinyin("张")  # loads pypinyin the way the mode does
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
chars = [chr(code) for code in sorted(PINYIN_DICT)] + list("abc1ｱ〇·")
print(json.dumps([len(PHRASES_DICT) > 0, [pinyin(char) for char in chars]]))
"""


def _pinyin(mode: str) -> list:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_every_character_has_the_same_pinyin_without_phrases():
    lean_phrases, lean = _pinyin("lean")
    full_phrases, full = _pinyin("full")
    assert not lean_phrases and full_phrases  # the lean import did skip the phrases
    assert lean == full
