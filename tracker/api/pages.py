"""What each endpoint loads: its records, then everything shown inside them, a page at a time.

Both come from the record's shape (serializers.py, shapes.py): the records' queryset reads
the columns the shape shows and no others, and each kind of nested row (parties,
commitments, citations, other names…) is one `values()` query for the whole page, grouped
by parent and attached to each record as a plain list. Model instances and Django's
prefetch machinery (a queryset cloned per parent object to hold its rows) cost several
times the queries themselves on a page of fifty agreements; rows do not.

Each loader issues a fixed number of queries whatever the number of records
(tests/test_api.py holds that), and none loads an article's full text for a citation.
"""

from .serializers import AGREEMENT, COMMITMENT, ORGANISATION, PERSON, SOURCE, SOURCE_DETAIL

organisations = ORGANISATION.queryset
load_organisations = ORGANISATION.load
people = PERSON.queryset
load_people = PERSON.load
agreements = AGREEMENT.queryset
load_agreements = AGREEMENT.load
commitments = COMMITMENT.queryset
load_commitments = COMMITMENT.load
sources = SOURCE.queryset
source_details = SOURCE_DETAIL.queryset
load_source_details = SOURCE_DETAIL.load
