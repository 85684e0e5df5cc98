"""A source's full text with every cited quote marked where it occurs.

Quotes are checked against the text after folding whitespace and typographic quotes
(`text.normalise_quote`); the match found in that folded copy is mapped back to the
original characters, so the page shows the article exactly as stored. A quote taken from a
selection (the reading desk) is marked at its stored offsets instead. Every line of text is a
run carrying its offset (`data-start`), so the page's script can map a selection back to the
stored text. Known names found in the text (tracker/mentions.py) are marked too, in a style
of their own.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .text import _TYPOGRAPHIC, fold, normalise_quote


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


@dataclass
class MarkedMention:
    """A span of the text where a known name occurs, and the records it may stand for
    (several when the name is ambiguous)."""

    start: int
    end: int
    records: list = field(default_factory=list)
    ambiguous: bool = False


def group_mentions(mentions):
    """Stored `Mention`s (their records loaded) as one `MarkedMention` per span, in order."""
    spans = {}
    for mention in mentions:
        span = spans.setdefault(
            (mention.start, mention.end), MarkedMention(mention.start, mention.end)
        )
        span.records.append(mention.record)
        span.ambiguous = span.ambiguous or mention.ambiguous or len(span.records) > 1
    return [spans[key] for key in sorted(spans)]


@dataclass
class MentionedRecord:
    record: object
    count: int = 0
    ambiguous: bool = False

    @property
    def kind(self):
        return capfirst(self.record._meta.verbose_name)


def ambiguous_names(spans, text):
    """Each name `spans` marks as ambiguous, once (as first written), with its candidates."""
    names = {}
    for span in spans:
        if span.ambiguous:
            written = text[span.start : span.end]
            names.setdefault(fold(written), (written, span.records))
    return list(names.values())


def mentioned_records(spans):
    """The records `spans` (see `group_mentions`) name: each once, with how often, the ones
    named only in a name they share with others flagged ambiguous; in order of first mention."""
    records = {}
    for span in spans:
        for record in span.records:
            key = (record._meta.model_name, record.pk)
            entry = records.get(key)
            if entry is None:
                entry = records[key] = MentionedRecord(record, ambiguous=True)
            entry.count += 1
            entry.ambiguous = entry.ambiguous and span.ambiguous
    return list(records.values())


def highlight(text, citations, link_for, mentions=()):
    """The text as HTML paragraphs, each cited quote in `<mark id="citation-<pk>">`, each
    known name (`mentions`, see `group_mentions`) in `<mark class="mention">`.

    Quotes may overlap or repeat (one sentence can back several records): the text is cut
    at every quote's and mention's start and end, and each piece is wrapped in one mark per
    quote that covers it, so nested marks show the overlap; the first piece of a quote carries
    its id. After a quote's last piece a numbered link leads to the record it supports.
    `link_for(citation)` gives (url, label) of that record.

    Every run of text is a `<span data-start="<offset>">` whose content is exactly
    `text[offset:offset + len]`, so a selection made in the page maps back to offsets in
    the text; line breaks are never inside a run.
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
    marked = [span for span in mentions if 0 <= span.start < span.end <= len(text)]

    cuts = sorted(
        {
            0,
            len(text),
            *(i.start for i in found),
            *(i.end for i in found),
            *(span.start for span in marked),
            *(span.end for span in marked),
        }
    )
    pieces = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [item for item in found if item.start <= left and right <= item.end]
        named = [span for span in marked if span.start <= left and right <= span.end]
        chunk = _runs(text, left, right, breaks=not covering and not named)
        for span in named:
            chunk = _mention_mark(span, chunk)
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


def _mention_mark(span, chunk):
    """A known name, with its record's kind and name (or, when several records share it,
    all of them) in its title."""
    kinds = " ".join(record._meta.model_name for record in span.records)
    slugs = " ".join(record.slug for record in span.records)
    if span.ambiguous:
        title = _("Ambiguous: could be %(candidates)s") % {
            "candidates": _(" or ").join(str(record) for record in span.records)
        }
        return format_html(
            '<mark class="mention ambiguous" data-kind="{}" data-slug="{}" title="{}">{}</mark>',
            kinds,
            slugs,
            title,
            chunk,
        )
    # Not a link: a selection for the reading desk must be able to start on a name, and a
    # drag that starts on a link drags the link. The list beside the text links each record.
    (record,) = span.records
    return format_html(
        '<mark class="mention" data-kind="{}" data-slug="{}" title="{}">{}</mark>',
        kinds,
        slugs,
        f"{capfirst(record._meta.verbose_name)}: {record}",
        chunk,
    )


_PARAGRAPH = "\x00"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _runs(text, left, right, breaks=True):
    """`text[left:right]` as escaped runs, each `<span data-start>`; blank lines become
    paragraph breaks (or two <br> inside a mark, which a paragraph cannot cut), lone line
    breaks <br>."""
    lines = []
    start = left
    for match in _LINE_BREAK.finditer(text, left, right):
        lines.append((start, match.start()))
        start = match.end()
    lines.append((start, right))
    out, blank = [], False
    for index, (start, end) in enumerate(lines):
        line = text[start:end]
        if index:
            if not line.strip():
                blank = True
                continue
            out.append((_PARAGRAPH if breaks else "<br><br>") if blank else "<br>")
            blank = False
        if line:
            out.append(str(format_html('<span data-start="{}">{}</span>', start, line)))
    if blank:
        out.append(_PARAGRAPH if breaks else "<br><br>")
    return mark_safe("".join(out))
