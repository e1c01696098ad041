"""Names as search keys: a student is found by the start of their name or of their surname.

A key is the name folded (accents dropped, case folded, runs of spaces and punctuation made
one space), so "Zoë  O'Neil" is found by "zoe", "ZOE O", "oneil" or "O'Neil". The surname key
is the name turned to start at its last word ("meyer mia" for "Mia Meyer").
"""

import re
import unicodedata

MIN_QUERY = 1
MAX_QUERY = 100
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_SEPARATORS = re.compile(r"[\W_]+")  # letters and digits of every script stay


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _APOSTROPHES.sub("", plain.replace("ß", "ss"))
    return _SEPARATORS.sub(" ", plain).strip()


def name_key(name: str) -> str:
    return fold(name)


def surname_key(name: str) -> str | None:
    """The name starting at its last word, or None for a name of one word."""
    words = fold(name).split(" ")
    if len(words) < 2 or not words[-1]:
        return None
    return " ".join([words[-1], *words[:-1]])
