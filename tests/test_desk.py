"""The reading desk: citing a selection of a source's text, for a new or an existing record."""

import re
from html import unescape
from http import HTTPStatus

import pytest

from tracker.devtools import factories
from tracker.highlight import highlight
from tracker.models import Citation

TEXT = "Le ministère signe.\n\nPlus loin, le ministère signe encore.\r\nFin « du » texte.\n"


def runs(html):
    """(data-start, text) of every text run in the highlighted HTML."""
    return [
        (int(start), unescape(body))
        for start, body in re.findall(r'<span data-start="(\d+)">([^<]*)</span>', html)
    ]


# Offsets in the page -------------------------------------------------------------------------


def test_every_text_run_carries_its_offset_in_the_source_text():
    html = highlight(TEXT, [], lambda citation: ("#", ""))
    found = runs(html.html)
    assert found, "the text is cut into runs that carry their offsets"
    for start, body in found:
        assert TEXT[start : start + len(body)] == body
    covered = "".join(body for _start, body in found)
    assert "".join(TEXT.split()) == "".join(covered.split()), "no character is left out"


@pytest.mark.django_db
def test_a_citation_with_offsets_is_marked_where_it_was_selected_not_where_the_quote_first_occurs():
    source = factories.SourceFactory(text=TEXT)
    second = TEXT.index("le ministère signe encore") + 3
    citation = factories.CitationFactory(
        source=source, quote="ministère signe", start=second, end=second + len("ministère signe")
    )
    html = highlight(TEXT, [citation], lambda citation: ("#", "")).html
    marked = re.search(r'<mark id="citation-\d+"[^>]*>(.*?)</mark>', html).group(1)
    assert f'data-start="{second}"' in marked
