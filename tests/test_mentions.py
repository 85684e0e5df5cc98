"""Mentions: every known organisation and person a source names, found, stored and shown."""

import io
import json
import re
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tracker import mentions
from tracker.devtools import factories
from tracker.filtersets import OrganisationFilterSet, PersonFilterSet
from tracker.mentions import Candidate, Matcher, find_mentions, fold_name, fold_with_offsets
from tracker.models import (
    Citation,
    Mention,
    Organisation,
    OrganisationName,
    Person,
    Source,
)
from tracker.text import fold

ARTICLES = [
    "aba-technology-mmi-cluster-made-in-morocco",
    "maroc-booster-fabrication-locale-dispositifs-medicaux",
    "trois-chantiers-majeurs-marocain-medical-cluster",
]


def matcher_of(**records):
    """A matcher over `records`: slug → list of names (organisations unless the slug starts
    with "person-")."""
    names = []
    for pk, (slug, record_names) in enumerate(records.items(), start=1):
        kind = "person" if slug.startswith("person-") else "organisation"
        candidate = Candidate(kind, pk, slug, record_names[0])
        names.extend((name, candidate) for name in record_names)
    return Matcher(names)


def found_in(matcher, text):
    return [(item.text, [record.slug for record in item.records]) for item in matcher.find(text)]


def stored(source):
    return sorted(
        (
            mention.text,
            mention.start,
            mention.end,
            (mention.organisation or mention.person).slug,
            mention.ambiguous,
        )
        for mention in Mention.objects.filter(source=source).select_related(
            "organisation", "person"
        )
    )


# Finding names ------------------------------------------------------------------------------


def test_names_are_found_whatever_their_case_accents_ligatures_and_quotes():
    matcher = matcher_of(
        oeuvre=["Œuvre d’entraide des hôpitaux"],
        sante=["Ministère de la Santé"],
    )
    text = "L'OEUVRE D'ENTRAIDE DES HOPITAUX et le ministere de la  sante\u00a0ont signé."
    assert found_in(matcher, text) == [
        ("L'OEUVRE D'ENTRAIDE DES HOPITAUX"[2:], ["oeuvre"]),
        ("ministere de la  sante", ["sante"]),
    ]


def test_names_fold_as_search_folds_them():
    for name in [
        "Cœur de Santé",
        "  L’Œuvre\u00a0d`Aide  ",
        "ÉCOLE Supérieure",
        "Straße",
        "e\u0301te\u0301",
        "Ĳssel ﬁnance",
        "Wizarat Assiha",
        "وِزَارَةُ الصـــحة",
        "مصطفى",
    ]:
        assert fold_name(name) == fold(name)


def test_an_arabic_name_is_found_in_a_text_that_writes_it_with_vowels_and_tatweel():
    text = "صرّح مسؤول في وِزَارَةِ الصـــحة أمس."
    folded, starts, ends = fold_with_offsets(text)
    assert folded == fold(text)
    at = folded.index(fold_name("وزارة الصحة"))
    end = at + len(fold_name("وزارة الصحة"))
    assert text[starts[at] : ends[end - 1]] == "وِزَارَةِ الصـــحة"


def test_folding_keeps_each_character_s_place_in_the_original_text():
    text = "Cœur\u00a0 de «Santé» e\u0301te\u0301"
    folded, starts, ends = fold_with_offsets(text)
    assert folded == fold(text)  # the same folding as search, offsets aside
    assert folded.startswith("coeur de")
    assert (starts[1], ends[1]) == (1, 2) and (starts[2], ends[2]) == (1, 2)  # œ gives two
    # A combining accent belongs to the letter before it.
    assert text[starts[-1] : ends[-1]] == "e\u0301"


def test_offsets_are_exact_in_the_text_as_written():
    matcher = matcher_of(coeur=["Cœur de Santé"], ete=["été"], person_ali=["Ali Œzil"])
    text = "Avant\r\n le  CŒUR\u00a0DE  SANTE,\n l’été (e\u0301te\u0301) avec ali oezil."
    found = matcher.find(text)
    assert [text[item.start : item.end] for item in found] == [
        "CŒUR\u00a0DE  SANTE",
        "été",
        "e\u0301te\u0301",
        "ali oezil",
    ]
    assert all(item.text == text[item.start : item.end] for item in found)


def test_names_count_only_on_word_boundaries():
    matcher = matcher_of(cm=["CM"], ami=["AMI"], dash=["Jean-Pierre"])
    text = "CMS, ACME, amitié, l'AMI, (CM), Jean-Pierre, Jean-Pierrette, CM."
    assert [item[0] for item in found_in(matcher, text)] == ["AMI", "CM", "Jean-Pierre", "CM"]


def test_the_longest_name_wins_where_names_overlap():
    matcher = matcher_of(
        ministry=["Ministère de la Santé et de la Protection sociale"],
        health=["Ministère de la Santé"],
        protection=["Protection sociale"],
    )
    text = "Le ministère de la Santé et de la Protection sociale, puis le ministère de la Santé."
    assert found_in(matcher, text) == [
        ("ministère de la Santé et de la Protection sociale", ["ministry"]),
        ("ministère de la Santé", ["health"]),
    ]


def test_a_longer_name_cut_mid_word_leaves_the_shorter_one_found():
    matcher = matcher_of(cluster=["Cluster médical"], short=["Cluster"])
    assert found_in(matcher, "Le Cluster médicalisé") == [("Cluster", ["short"])]


def test_empty_or_blank_text_gives_no_mentions_and_no_error(db):
    factories.OrganisationFactory(name="Nextronic", acronym="")
    assert find_mentions("") == []
    assert find_mentions(None) == []
    assert find_mentions(" \n\t ") == []
    assert Matcher([]).find("Nextronic") == []
    source = factories.SourceFactory(text="")
    assert not Mention.objects.filter(source=source).exists()


# The tracker's records ---------------------------------------------------------------------


@pytest.fixture
def cluster(db):
    cluster = factories.OrganisationFactory(
        slug="mmi-cluster", name="Moroccan Medical & Biomedical Industrial Cluster", acronym="MMI"
    )
    for name in (
        "MMI Cluster",
        "Cluster médical",
        "CM",
        "cluster of the medical industry",
        "cluster marocain des industries médicales",
    ):
        factories.OrganisationNameFactory(organisation=cluster, name=name)
    return cluster


def test_the_cluster_s_four_names_are_one_cluster(cluster):
    text = (
        "Le Cluster médical (CM) et le MMI Cluster ne font qu'un. The cluster of the medical "
        "industry (MMI) is the cluster marocain des industries médicales."
    )
    source = factories.SourceFactory(text=text)
    assert [(text, slug) for text, *_, slug, _ambiguous in stored(source)] == sorted(
        [
            ("Cluster médical", "mmi-cluster"),
            ("CM", "mmi-cluster"),
            ("MMI Cluster", "mmi-cluster"),
            ("cluster of the medical industry", "mmi-cluster"),
            ("MMI", "mmi-cluster"),
            ("cluster marocain des industries médicales", "mmi-cluster"),
        ]
    )


def test_an_acronym_two_organisations_share_is_ambiguous_not_guessed(db):
    first = factories.OrganisationFactory(name="Agence marocaine de l'industrie", acronym="AMI")
    second = factories.OrganisationFactory(name="Association des médecins internes", acronym="")
    factories.OrganisationNameFactory(organisation=second, name="AMI")
    source = factories.SourceFactory(text="L'AMI a signé avec l'Agence marocaine de l'industrie.")
    rows = stored(source)
    assert ("AMI", 2, 5, first.slug, True) in rows
    assert ("AMI", 2, 5, second.slug, True) in rows
    assert ("Agence marocaine de l'industrie", 21, 52, first.slug, False) in rows
    assert len(rows) == 3


def test_mentions_are_stored_when_a_source_is_saved_and_follow_its_text(cluster):
    source = factories.SourceFactory(text="Rien à signaler.")
    assert stored(source) == []
    source.text = "Le Cluster médical s'agrandit."
    source.save()
    assert stored(source) == [("Cluster médical", 3, 18, "mmi-cluster", False)]
    source.text = "Plus rien."
    source.save()
    assert stored(source) == []


@pytest.fixture
def scanned(monkeypatch):
    """The primary keys of the sources whose mentions are recomputed."""
    seen = []
    refresh = mentions.refresh_mentions

    def counting(source, found=None):
        seen.append(source.pk)
        return refresh(source, found)

    monkeypatch.setattr(mentions, "refresh_mentions", counting)
    return seen


def test_a_name_added_rescans_only_the_sources_that_can_contain_it(cluster, scanned):
    # Titles and outlets of our own: the candidates are found in all of a source's searched
    # words, and a random title could hold one of the names below.
    def source(text, n=0):
        return factories.SourceFactory(title=f"Article {n}", outlet="La Revue", text=text)

    others = [source(f"Article {n} sur le Cluster médical.", n) for n in range(8)]
    naming = source("Nextcor rejoint le Cluster médical.")
    also = source("Selon NEXTCOR, le marché croît.")
    scanned.clear()

    nextcor = factories.OrganisationFactory(name="Nextcor", acronym="")
    assert sorted(scanned) == sorted([naming.pk, also.pk])
    assert ("Nextcor", 0, 7, nextcor.slug, False) in stored(naming)
    assert stored(also) == [("NEXTCOR", 6, 13, nextcor.slug, False)]
    assert all(stored(other) == stored(others[0]) for other in others)

    scanned.clear()
    name = factories.OrganisationNameFactory(organisation=nextcor, name="marché")
    assert scanned == [also.pk]
    assert ("marché", 18, 24, nextcor.slug, False) in stored(also)

    scanned.clear()
    name.name = "Nextcor Group"
    name.save()
    assert scanned == [also.pk]  # it contains the old name; no source contains the new one
    assert stored(also) == [("NEXTCOR", 6, 13, nextcor.slug, False)]

    scanned.clear()
    nextcor.description = "A description, no name changed."
    nextcor.save()
    assert scanned == []


def test_a_name_change_costs_queries_for_the_candidate_sources_only(cluster):
    for n in range(30):
        factories.SourceFactory(text=f"Article {n} sur le Cluster médical.")
    factories.SourceFactory(text="Nextcor rejoint le Cluster médical.")
    nextcor = factories.OrganisationFactory(name="Nextcor", acronym="")
    nextcor.name = "Nextcor SA"
    with CaptureQueriesContext(connection) as captured:
        nextcor.save()
    # Saving, its history, its names before, the matcher's three reads, the candidates, and
    # one source's mentions compared and rewritten: not one query per source of the tracker.
    assert len(captured.captured_queries) < 20


def test_removing_and_renaming_names_updates_the_mentions(cluster):
    source = factories.SourceFactory(text="Le MMI Cluster et le Cluster médical.")
    assert [row[0] for row in stored(source)] == ["Cluster médical", "MMI Cluster"]
    OrganisationName.objects.get(name="MMI Cluster").delete()
    # "MMI", the acronym, is still a name of the cluster.
    assert [row[0] for row in stored(source)] == ["Cluster médical", "MMI"]
    cluster.acronym = ""
    cluster.save()
    assert [row[0] for row in stored(source)] == ["Cluster médical"]
    renamed = OrganisationName.objects.get(name="Cluster médical")
    renamed.name = "Grappe médicale"
    renamed.save()
    assert stored(source) == []


def test_deleting_one_of_two_organisations_sharing_an_acronym_gives_it_to_the_other(db):
    first = factories.OrganisationFactory(name="Premier organisme", acronym="AMI")
    second = factories.OrganisationFactory(name="Second organisme", acronym="AMI")
    source = factories.SourceFactory(text="L'AMI a signé.")
    assert {row[-1] for row in stored(source)} == {True}
    first.delete()
    assert stored(source) == [("AMI", 2, 5, second.slug, False)]


def test_people_are_found_by_their_names_and_follow_renames(db):
    person = factories.PersonFactory(name="Ryad Mezzour")
    source = factories.SourceFactory(text="Le ministre RYAD MEZZOUR a présidé.")
    assert stored(source) == [("RYAD MEZZOUR", 12, 24, person.slug, False)]
    person.name = "Ryad Mezour"
    person.save()
    assert stored(source) == []
    person.delete()
    assert stored(source) == []


def test_the_matcher_is_built_once_per_data_version(db, monkeypatch):
    factories.OrganisationFactory(name="Nextronic", acronym="")
    builds = []
    build = Matcher.from_database.__func__

    def counting(cls):
        builds.append(1)
        return build(cls)

    monkeypatch.setattr(Matcher, "from_database", classmethod(counting))
    find_mentions("Nextronic")
    find_mentions("Nextronic encore")
    assert len(builds) == 1
    factories.OrganisationFactory(name="Mediot", acronym="")
    builds.clear()
    assert [item.text for item in find_mentions("Nextronic et Mediot")] == ["Nextronic", "Mediot"]
    assert len(builds) == 1


def test_names_of_a_rolled_back_transaction_are_not_kept_by_the_matcher(db):
    try:
        with transaction.atomic():
            factories.OrganisationFactory(name="Organisme éphémère", acronym="")
            assert find_mentions("L'Organisme éphémère")
            raise RuntimeError
    except RuntimeError:
        pass
    assert find_mentions("L'Organisme éphémère") == []
    source = factories.SourceFactory(text="L'Organisme éphémère")
    assert stored(source) == []


# Every way records come in -------------------------------------------------------------------


def cited_records(source):
    """The organisations and people the fixtures cite from `source`, directly or through a
    record of theirs (a position, a party, a link)."""
    records = set()
    for citation in Citation.objects.filter(source=source).with_targets():
        target = citation.target
        if isinstance(target, Organisation | Person):
            records.add(target)
        for attribute in ("organisation", "person", "signed_by"):
            related = getattr(target, attribute, None)
            if isinstance(related, Organisation | Person):
                records.add(related)
    return records


def names_of(record):
    if isinstance(record, Person):
        return [record.name]
    return [record.name, record.acronym, *record.other_names.values_list("name", flat=True)]


def occurs(name, text):
    folded = fold(name)
    return bool(folded) and re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", fold(text))


@pytest.mark.parametrize("slug", ARTICLES)
def test_every_record_the_fixtures_cite_from_an_article_is_among_its_mentions(article_data, slug):
    source = Source.objects.get(slug=slug)
    mentioned = {
        (mention.organisation or mention.person)
        for mention in source.mentions.select_related("organisation", "person")
    }
    expected = {
        record
        for record in cited_records(source)
        if any(occurs(name, source.text) for name in names_of(record) if name)
    }
    assert expected, "the article names some of the records it is cited for"
    assert expected <= mentioned, expected - mentioned
    for mention in source.mentions.all():
        assert source.text[mention.start : mention.end] == mention.text


def test_loaddata_stores_the_mentions_of_what_it_loads(db, settings):
    fixtures = sorted((settings.BASE_DIR / "fixtures").glob("0[123]_*.json"))
    call_command("loaddata", *fixtures, verbosity=0)
    source = Source.objects.get(slug=ARTICLES[1])
    assert source.search_text  # written for sources that loaddata saves raw
    assert ("AMGS", 815, 819, "amgs", False) in stored(source)
    assert ("CM", 844, 846, "mmi-cluster", False) in stored(source)


def test_restore_finds_the_mentions_again(article_data, tmp_path):
    before = {slug: stored(Source.objects.get(slug=slug)) for slug in ARTICLES}
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    assert '"tracker.mention"' not in backup.read_text(encoding="utf-8")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(backup), stdout=io.StringIO())
    ContentType.objects.clear_cache()
    assert {slug: stored(Source.objects.get(slug=slug)) for slug in ARTICLES} == before


def test_generated_data_comes_with_its_mentions(db):
    from tracker.devtools.synthetic import Generator, Sizes

    Generator(
        Sizes(organisations=30, people=20, agreements=10, commitments=20, citations=30, sources=5)
    ).run()
    assert Mention.objects.exists()
    source = Source.objects.order_by("pk").first()
    found = stored(source)
    mentions.refresh_mentions(source)
    assert stored(source) == found


# Faces ---------------------------------------------------------------------------------------


@pytest.fixture
def shared_acronym(cluster):
    other = factories.OrganisationFactory(
        slug="centre-medical", name="Centre médical", acronym="CM"
    )
    source = factories.SourceFactory(
        slug="un-article", text="Le Cluster médical (CM) et Mounir Idder.\n\nFin."
    )
    person = factories.PersonFactory(slug="mounir-idder", name="Mounir Idder")
    factories.CitationFactory(source=source, organisation=cluster, quote="Le Cluster médical")
    return source, other, person


def test_api_source_detail_carries_its_mentions(admin_client, shared_acronym):
    source, other, person = shared_acronym
    body = admin_client.get(f"/api/v1/sources/{source.slug}/").json()
    assert body["mentions"] == [
        {
            "kind": "organisation",
            "slug": "mmi-cluster",
            "name": "Moroccan Medical & Biomedical Industrial Cluster",
            "text": "Cluster médical",
            "start": 3,
            "end": 18,
            "ambiguous": False,
        },
        {
            "kind": "organisation",
            "slug": "centre-medical",
            "name": "Centre médical",
            "text": "CM",
            "start": 20,
            "end": 22,
            "ambiguous": True,
        },
        {
            "kind": "organisation",
            "slug": "mmi-cluster",
            "name": "Moroccan Medical & Biomedical Industrial Cluster",
            "text": "CM",
            "start": 20,
            "end": 22,
            "ambiguous": True,
        },
        {
            "kind": "person",
            "slug": "mounir-idder",
            "name": "Mounir Idder",
            "text": "Mounir Idder",
            "start": 27,
            "end": 39,
            "ambiguous": False,
        },
    ]


def test_mentioned_in_filters_organisations_and_people(admin_client, shared_acronym):
    source, other, person = shared_acronym
    factories.OrganisationFactory(name="Absent", acronym="")
    organisations = OrganisationFilterSet({"mentioned_in": source.slug}, Organisation.objects.all())
    assert {o.slug for o in organisations.qs} == {"mmi-cluster", "centre-medical"}
    people = PersonFilterSet({"mentioned_in": source.slug}, Person.objects.all())
    assert [p.slug for p in people.qs] == ["mounir-idder"]

    listed = admin_client.get("/api/v1/organisations/", {"mentioned_in": source.slug}).json()
    assert {o["slug"] for o in listed["results"]} == {"mmi-cluster", "centre-medical"}
    bad = admin_client.get("/api/v1/people/", {"mentioned_in": "no-such-source"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "mentioned_in" in bad.json()["errors"]
    page = admin_client.get("/people/", {"mentioned_in": source.slug}).content.decode()
    assert "/people/mounir-idder/" in page


def test_mentions_command_prints_the_contract(shared_acronym):
    source, other, person = shared_acronym
    output = io.StringIO()
    call_command("mentions", source.slug, "--json", stdout=output)
    contract = json.loads(output.getvalue())
    assert set(contract) == {"known", "ambiguous", "proposed"}
    assert contract["known"] == [
        {"kind": "organisation", "slug": "mmi-cluster", "text": "Cluster médical", "start": 3,
         "end": 18},
        {"kind": "person", "slug": "mounir-idder", "text": "Mounir Idder", "start": 27, "end": 39},
    ]  # fmt: skip
    assert sorted(entry["slug"] for entry in contract["ambiguous"]) == [
        "centre-medical",
        "mmi-cluster",
    ]
    assert all(source.text[e["start"] : e["end"]] == e["text"] for e in contract["ambiguous"])
    assert isinstance(contract["proposed"], list)

    readable = io.StringIO()
    call_command("mentions", source.slug, stdout=readable)
    assert "Cluster médical" in readable.getvalue() and "Ambiguous" in readable.getvalue()
    with pytest.raises(CommandError, match="no-such-source"):
        call_command("mentions", "no-such-source", "--json")


class Runs(HTMLParser):
    """Every element with `data-start` inside `#source-text`, with its text."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.runs, self.open = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "source-text":
            self.depth = 1
        elif self.depth:
            self.depth += 1 if tag not in ("br",) else 0
        if self.depth and "data-start" in attrs:
            self.open.append([int(attrs["data-start"]), ""])

    def handle_endtag(self, tag):
        if self.depth:
            if self.open and tag == "span":
                self.runs.append(tuple(self.open.pop()))
            self.depth -= 1

    def handle_data(self, data):
        for run in self.open:
            run[1] += data


def test_source_page_marks_names_apart_from_quotes_every_run_at_its_offset(
    admin_client, shared_acronym
):
    source, other, person = shared_acronym
    html = admin_client.get(source.get_absolute_url()).content.decode()
    assert (
        '<mark class="mention" data-kind="organisation" data-slug="mmi-cluster"'
        in html.split('id="source-text"')[1]
    )
    assert '<mark id="citation-' in html  # the quote keeps its own mark
    ambiguous = re.search(r'<mark class="mention ambiguous"[^>]*>', html).group(0)
    assert 'data-slug="mmi-cluster centre-medical"' in ambiguous or (
        'data-slug="centre-medical mmi-cluster"' in ambiguous
    )
    assert "Centre médical" in ambiguous and "Moroccan Medical" in ambiguous
    assert 'href="/people/mounir-idder/"' in html
    assert 'id="mentions"' in html and "Ambiguous names" in html

    parser = Runs()
    parser.feed(html)
    assert parser.runs
    for start, text in parser.runs:
        assert source.text[start : start + len(text)] == text
    covered = "".join(text for _start, text in sorted(parser.runs))
    assert covered == source.text.replace("\n", "")


def test_record_pages_list_the_sources_that_mention_them_flagging_the_uncited(
    admin_client, shared_acronym
):
    source, other, person = shared_acronym
    cluster_page = admin_client.get("/organisations/mmi-cluster/").content.decode()
    section = cluster_page.split('<ul class="mentioned-in">')[1].split("</ul>")[0]
    assert source.get_absolute_url() in section and "not cited yet" not in section
    person_page = admin_client.get("/people/mounir-idder/").content.decode()
    section = person_page.split('<ul class="mentioned-in">')[1].split("</ul>")[0]
    assert source.get_absolute_url() in section and "not cited yet" in section


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.parametrize("url", ["/organisations/mmi-cluster/", "/people/mounir-idder/"])
def test_record_pages_find_their_sources_by_their_own_mentions_not_by_testing_every_source(
    admin_client, shared_acronym, url
):
    """The "Mentioned in" list and its count start from the record's mentions (by their index):
    testing each source for a mention read the whole source table, 0.3 s a page at the
    benchmark's size, whatever the record."""
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(url).status_code == HTTPStatus.OK
    reading_sources = [
        query["sql"] for query in captured.captured_queries if '"tracker_mention"' in query["sql"]
    ]
    assert len(reading_sources) == 2  # the page's sources, and their count
    with connection.cursor() as cursor:
        for sql in reading_sources:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = [row[-1] for row in cursor.fetchall()]
            assert not any(step.startswith("SCAN tracker_source") for step in plan), plan


@pytest.mark.parametrize(
    "through", ["itself", "link", "position", "party", "commitment", "another organisation"]
)
def test_a_source_citing_an_organisations_records_is_not_flagged_as_uncited(admin_client, through):
    """A source that backs the organisation's link, position, party or commitment cites the
    organisation; one that backs only another organisation's is "not cited yet"."""
    organisation = factories.OrganisationFactory(slug="csn", name="Cluster Santé Nord")
    source = factories.SourceFactory(text="Le Cluster Santé Nord signe. Une phrase citée.")
    target = {
        "itself": lambda: {"organisation": organisation},
        "link": lambda: {
            "organisation_link": factories.OrganisationLinkFactory(to_organisation=organisation)
        },
        "position": lambda: {"position": factories.PositionFactory(organisation=organisation)},
        "party": lambda: {
            "agreement_party": factories.AgreementPartyFactory(organisation=organisation)
        },
        "commitment": lambda: {"commitment": factories.CommitmentFactory(party=organisation)},
        "another organisation": lambda: {"organisation": factories.OrganisationFactory()},
    }[through]()
    factories.CitationFactory(
        source=source, quote="Une phrase citée.", **{"organisation": None, **target}
    )
    page = admin_client.get("/organisations/csn/").content.decode()
    section = page.split('<ul class="mentioned-in">')[1].split("</ul>")[0]
    assert source.get_absolute_url() in section
    assert ("not cited yet" in section) == (through == "another organisation")


def test_french_record_page_says_mentioned_in(admin_client, shared_acronym):
    admin_client.cookies["django_language"] = "fr"
    html = admin_client.get("/people/mounir-idder/").content.decode()
    assert "Mentionné dans" in html and 'class="badge not-cited">pas encore cité<' in html


def test_admin_shows_a_source_s_mentions_read_only(admin_client, shared_acronym):
    source, other, person = shared_acronym
    with CaptureQueriesContext(connection) as captured:
        html = admin_client.get(f"/admin/tracker/source/{source.pk}/change/").content.decode()
    assert "Mounir Idder (27–39)" in html
    assert f"/admin/tracker/person/{person.pk}/change/" in html
    assert sum("tracker_mention" in q["sql"] for q in captured.captured_queries) == 1
