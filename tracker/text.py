"""Text normalisation shared by search and by quote verification."""

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark, the usual apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',  # « guillemets, as French prints quotations
        "\u00bb": '"',
        "\u2039": "'",
        "\u203a": "'",
        "\u00a0": " ",  # no-break spaces French puts inside guillemets
        "\u202f": " ",
    }
)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def normalise_quote(text):
    """Text as compared for quotes: typographic quotes and whitespace folded, nothing else.

    Case and accents are kept, so a quote must really be the article's words.
    """
    return _WHITESPACE.sub(" ", (text or "").translate(_TYPOGRAPHIC)).strip()


def fold(text):
    """Text as compared for search: case, accents, ligatures, quotes and whitespace folded."""
    text = normalise_quote(text).translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()


def quote_occurs_in(quote, text):
    return normalise_quote(quote) in normalise_quote(text)
