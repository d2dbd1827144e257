"""How the directory folds text, the same way for what it stores and what people type.

`fold` is NFKD, combining marks dropped, a few letters with no decomposition spelled out (ø, ł,
æ, ...), case-folded and NFC again: "López" and "lopez", "Øystein" and "oystein" fold alike.
`words` splits folded text at spaces and `. _ - @` (and any other punctuation; apostrophes are
dropped, so "O'Brien" is one word "obrien"). A query matches a user when every word of the
query starts one of the user's words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

MAX_WORD: Final = 64
MAX_KEY: Final = 255
_SPELLED: Final = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)
_SEPARATOR: Final = re.compile(r"[^\w]+|_+")
_APOSTROPHES: Final = re.compile(r"['’ʼ`]")


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """`text` with A-Z in lower case and every other character as it is: how usernames and
    domains compare (`str.casefold` would make `ſ` an `s`)."""
    return text.translate(_ASCII_LOWER)


@lru_cache(maxsize=65536)  # names repeat: first names, last names, domains
def fold(text: str) -> str:
    """`text` without accents, in case-folded NFC: what sorting and search compare."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", plain.casefold())


def sort_key(text: str) -> str:
    return fold(text).strip()[:MAX_KEY]


def words(*texts: str) -> list[str]:
    """The distinct words of `texts`, folded, in order of first appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for word in _SEPARATOR.split(_APOSTROPHES.sub("", fold(text))):
            if word:
                found[word[:MAX_WORD]] = None
    return list(found)


def user_words(
    *, display_name: str, first_name: str, last_name: str, user_principal_name: str
) -> list[str]:
    return words(display_name, first_name, last_name, user_principal_name)


def query_words(query: str, *, limit: int = 8) -> list[str]:
    """The words of what someone typed (at most `limit`: a search box, not an essay)."""
    return words(query)[:limit]


def prefix_range(word: str) -> tuple[str, str]:
    """[low, high): the strings that start with `word`, in code-point order."""
    return word, word + "\U0010ffff"


def joined(names: Iterable[str]) -> str:
    return ", ".join(sorted(names, key=fold))
