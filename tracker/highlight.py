"""A source's full text with every cited quote marked where it occurs.

Quotes are checked against the text after folding whitespace and typographic quotes
(`text.normalise_quote`); the match found in that folded copy is mapped back to the
original characters, so the page shows the article exactly as stored. A quote taken from a
selection (the reading desk) is marked at its stored offsets instead. Every line of text is a
run carrying its offset (`data-start`), so the page's script can map a selection back to the
stored text.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .text import _TYPOGRAPHIC, normalise_quote


def normalised_with_offsets(text):
    """`text` folded as `normalise_quote` folds it (without stripping), and for each character
    of the result the offset of the original character it came from."""
    translated = text.translate(_TYPOGRAPHIC)  # one character for one character
    chars, offsets = [], []
    in_space = False
    for index, char in enumerate(translated):
        if char.isspace():
            if not in_space:
                chars.append(" ")
                offsets.append(index)
            in_space = True
        else:
            chars.append(char)
            offsets.append(index)
            in_space = False
    return "".join(chars), offsets


def locate(quote, text, normalised=None):
    """(start, end) of `quote` in the original `text`, or None when it does not occur."""
    needle = normalise_quote(quote)
    if not needle:
        return None
    haystack, offsets = normalised or normalised_with_offsets(text)
    position = haystack.find(needle)
    if position < 0:
        return None
    return offsets[position], offsets[position + len(needle) - 1] + 1


def place_of(citation, text, normalised=None):
    """(start, end) of a citation's quote: where it was selected, if the text there still
    reads as the quote; otherwise its first occurrence, as for a quote typed by hand."""
    start, end = getattr(citation, "start", None), getattr(citation, "end", None)
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and normalise_quote(text[start:end]) == normalise_quote(citation.quote)
    ):
        return start, end
    return locate(citation.quote, text, normalised)


@dataclass
class Located:
    citation: object
    number: int
    start: int | None = None
    end: int | None = None

    @property
    def found(self):
        return self.start is not None


@dataclass
class HighlightedText:
    html: str
    citations: list = field(default_factory=list)

    @property
    def missing(self):
        return [item for item in self.citations if not item.found]


def highlight(text, citations, link_for):
    """The text as HTML paragraphs, each cited quote in `<mark id="citation-<pk>">`.

    Quotes may overlap or repeat (one sentence can back several records): the text is cut
    at every quote's start and end, and each piece is wrapped in one mark per quote that
    covers it, so nested marks show the overlap; the first piece of a quote carries its id.
    After a quote's last piece a numbered link leads to the record it supports.
    `link_for(citation)` gives (url, label) of that record.
    """
    normalised = normalised_with_offsets(text)
    located = [
        Located(citation, 0, *(place_of(citation, text, normalised) or (None, None)))
        for citation in citations
    ]
    found = sorted(
        (item for item in located if item.found), key=lambda i: (i.start, -i.end, i.citation.pk)
    )
    for number, item in enumerate(found, start=1):
        item.number = number
    for number, item in enumerate((i for i in located if not i.found), start=len(found) + 1):
        item.number = number

    cuts = sorted({0, len(text), *(i.start for i in found), *(i.end for i in found)})
    pieces = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [item for item in found if item.start <= left and right <= item.end]
        chunk = _paragraphs(text[left:right], left, breaks=not covering)
        for item in reversed(covering):
            attrs = format_html(' class="quote" data-citation="{}"', item.citation.pk)
            if item.start == left:
                attrs = format_html(' id="citation-{}"{}', item.citation.pk, attrs)
            chunk = format_html("<mark{}>{}</mark>", attrs, chunk)
        ending = [item for item in found if item.end == right]
        for item in ending:
            url, label = link_for(item.citation)
            chunk += format_html(
                '<sup class="citation-ref"><a href="{}" title="{}">{}</a></sup>',
                url,
                label,
                item.number,
            )
        pieces.append(chunk)
    body = "".join(pieces)
    paragraphs = "".join(
        format_html("<p>{}</p>", mark_safe(part.strip()))
        for part in body.split(_PARAGRAPH)
        if part.strip()
    )
    return HighlightedText(
        html=mark_safe(paragraphs), citations=sorted(located, key=lambda i: i.number)
    )


_PARAGRAPH = "\x00"
_LINE_BREAK = re.compile(r"\r\n|\n")


def _lines(chunk):
    """(offset in `chunk`, line) of each line, without its line break."""
    start = 0
    for line_break in _LINE_BREAK.finditer(chunk):
        yield start, chunk[start : line_break.start()]
        start = line_break.end()
    yield start, chunk[start:]


def _paragraphs(chunk, offset, breaks=True):
    """Escape a piece of text that starts at `offset` of the source's text; blank lines
    become paragraph breaks (or two <br> inside a quote, which a paragraph cannot cut), lone
    newlines <br>. Each line is a `<span data-start>` run whose text is exactly the source's
    text from that offset, so a selection in the page maps back to the stored text."""
    out, blank = [], False
    for index, (start, line) in enumerate(_lines(chunk)):
        if index:
            if not line.strip():
                blank = True
                continue
            out.append((_PARAGRAPH if breaks else "<br><br>") if blank else "<br>")
            blank = False
        if line:
            out.append(format_html('<span data-start="{}">{}</span>', offset + start, line))
    if blank:
        out.append(_PARAGRAPH if breaks else "<br><br>")
    return mark_safe("".join(out))
