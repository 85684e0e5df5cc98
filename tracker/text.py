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
# Arabic letters written more than one way for one word. Short vowels (tashkeel) and the
# hamza carried by alef, waw or yaa are combining marks that decomposition already strips;
# these are whole letters or the tatweel that stretches a word.
_ARABIC = str.maketrans(
    {
        "\u0640": "",  # tatweel
        "\u0671": "\u0627",  # alef wasla: alef
        "\u0649": "\u064a",  # alef maksura: yaa
        "\u06cc": "\u064a",  # Farsi yeh: yaa
        "\u0629": "\u0647",  # taa marbuta: haa
        "\u06a9": "\u0643",  # keheh: kaf
    }
)
_FOLDS = {**_LIGATURES, **_ARABIC}


def normalise_quote(text):
    """Text as compared for quotes: typographic quotes and whitespace folded, nothing else.

    Case and accents are kept, so a quote must really be the article's words.
    """
    return _WHITESPACE.sub(" ", (text or "").translate(_TYPOGRAPHIC)).strip()


def fold(text):
    """Text as compared for search: case, accents, ligatures, quotes and whitespace folded,
    and Arabic's vowel marks, tatweel and alef, yaa and taa marbuta variants."""
    text = normalise_quote(text).translate(_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()


def quote_occurs_in(quote, text):
    return normalise_quote(quote) in normalise_quote(text)
