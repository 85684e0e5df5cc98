import json
from http import HTTPStatus
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from tracker import proposals, roles
from tracker.devtools import factories
from tracker.models import DismissedProposal, Mention, Organisation, Source
from tracker.text import fold

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ARTICLE_004 = "maroc-booster-fabrication-locale-dispositifs-medicaux"

ENGLISH = (
    "Casablanca - The Moroccan Association of Health Groups (AMGS) signed a deal. "
    "In July 2021, Minister of Industry, Ryad Mezzour, praised the Fondation Cheikh Khalifa."
)


def source_with(text, language="en", **fields):
    return factories.SourceFactory(text=text, language=language, **fields)


def article_source(slug):
    """One of the three articles as a source, in a tracker that knows nothing else."""
    entry = next(
        item
        for item in json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
        if item["slug"] == slug
    )
    text = (SEEDS / entry["seed_file"]).read_text(encoding="utf-8")
    return Source.objects.create(
        slug=slug, title=entry["title"], language=entry["language"], text=text
    )


def proposed(source):
    return {fold(item["text"]): item for item in proposals.propose(source)}


def mention(source, text, organisation=None, person=None):
    start = source.text.index(text)
    if organisation is None and person is None:
        organisation = factories.OrganisationFactory(name=text)
    return Mention.objects.create(
        source=source,
        organisation=organisation,
        person=person,
        start=start,
        end=start + len(text),
        text=text,
    )


def editor(*may_add):
    """A user allowed to cite, and to add the kinds of record named (both, unless named)."""
    user = User.objects.create_user("editor", password="x")
    codenames = ["add_citation", *(f"add_{kind}" for kind in may_add or ("organisation", "person"))]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    roles.assign(user, roles.READERS)
    return user


# Finding ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_proposals_carry_their_offsets_and_sentence():
    source = source_with(ENGLISH)
    found = proposed(source)
    assert {"moroccan association of health groups", "amgs", "fondation cheikh khalifa"} <= set(
        found
    )
    for item in found.values():
        assert source.text[item["start"] : item["end"]] == item["text"]
        assert source.text[item["sentence_start"] : item["sentence_end"]] == item["sentence"]
        assert item["sentence_start"] <= item["start"] < item["end"] <= item["sentence_end"]
    assert found["fondation cheikh khalifa"]["sentence"].startswith("In July 2021, Minister")


@pytest.mark.django_db
def test_common_words_dates_roles_and_page_furniture_are_not_proposed():
    source = source_with(
        ENGLISH + "\n\nThe Company grew. Wednesday 30 December 2021 was busy.\n\nContact US"
    )
    found = proposed(source)
    assert not {"casablanca", "the", "in july", "july 2021", "minister of industry"} & set(found)
    assert not [name for name in found if "december" in name or "wednesday" in name]
    assert "contact us" not in found and "us" not in found
    # "The" starts a sentence; alone, "Company" is one word, not a name.
    assert not [name for name in found if name.startswith("the ")]


@pytest.mark.django_db
def test_titles_and_roles_make_a_person_organisation_words_an_organisation():
    source = source_with(
        "Le directeur général, Mounir Idder, a parlé. Selon M. Karim Alami, le ministère de la "
        "Santé et l'Agence Nationale des Équipements Publics sont prêts.",
        language="fr",
    )
    found = proposed(source)
    assert found["mounir idder"]["kind"] == proposals.PERSON
    assert found["karim alami"]["kind"] == proposals.PERSON
    assert found["ministere de la sante"]["kind"] == proposals.ORGANISATION
    assert found["agence nationale des equipements publics"]["kind"] == proposals.ORGANISATION


@pytest.mark.django_db
def test_french_text_gets_the_names_only_the_language_model_finds():
    sentence = "La société Nextronic a signé un accord avec le groupe Saham à Rabat."
    french, english = source_with(sentence, language="fr"), source_with(sentence, language="en")
    assert {"nextronic", "saham"} <= set(proposed(french))
    assert not {"nextronic", "saham"} & set(proposed(english))
    assert proposals.entity_recogniser_used(french)
    assert not proposals.entity_recogniser_used(english)


@pytest.mark.django_db
def test_each_name_is_proposed_once_at_its_first_place():
    text = "The Fondation Cheikh Khalifa helps. Later the FONDATION Cheikh Khalifa paid."
    source = source_with(text)
    items = [item for item in proposals.propose(source) if "khalifa" in fold(item["text"])]
    assert len(items) == 1
    assert items[0]["start"] == text.index("Fondation")


@pytest.mark.django_db
def test_names_a_stored_mention_covers_are_not_proposed():
    source = source_with(ENGLISH)
    mention(source, "Moroccan Association of Health Groups")
    mention(source, "AMGS")
    found = proposed(source)
    assert "moroccan association of health groups" not in found
    assert "amgs" not in found
    assert "fondation cheikh khalifa" in found


@pytest.mark.django_db
def test_a_dismissed_name_is_not_proposed_again_for_that_source_only():
    source, other = source_with(ENGLISH), source_with(ENGLISH)
    DismissedProposal.objects.create(source=source, name=fold("Fondation CHEIKH Khalifa"))
    assert "fondation cheikh khalifa" not in proposed(source)
    assert "fondation cheikh khalifa" in proposed(other)


@pytest.mark.django_db
def test_an_empty_or_blank_text_proposes_nothing():
    assert proposals.propose(source_with("", language="fr")) == []
    assert proposals.propose(source_with(" \n\n ", language="fr")) == []


@pytest.mark.django_db
def test_proposals_are_cached_per_source_and_data_version(django_capture_on_commit_callbacks):
    source = source_with(ENGLISH)
    with mock.patch.object(proposals, "find_names", wraps=proposals.find_names) as finder:
        proposals.propose(source)
        proposals.propose(Source.objects.get(pk=source.pk))
        assert finder.call_count == 1
        with django_capture_on_commit_callbacks(execute=True):
            source.text = ENGLISH + " Then the Agence Marocaine de Développement signed."
            source.save()
        assert "agence marocaine de developpement" in proposed(source)
        assert finder.call_count == 2


# The 004 article, in a tracker that knows no organisation ---------------------------------


@pytest.mark.django_db
def test_004_article_proposes_its_ministries_cluster_and_association_when_not_known():
    source = article_source(ARTICLE_004)
    assert not Organisation.objects.exists()
    found = proposed(source)
    assert found["ministere de la sante"]["kind"] == proposals.ORGANISATION
    assert found["cluster medical"]["kind"] == proposals.ORGANISATION
    assert "association marocaine des groupes de sante" in found
    assert {"amgs", "cm"} <= set(found)
    assert "ministere de l'industrie" in {name.replace("’", "'") for name in found}
    sentence = found["ministere de la sante"]["sentence"]
    assert sentence.startswith("Le ministère de la Santé se chargera")


@pytest.mark.django_db
def test_004_article_does_not_propose_the_cluster_once_its_names_are_mentions():
    source = article_source(ARTICLE_004)
    cluster = factories.OrganisationFactory(name="Cluster médical")
    text = source.text
    for name in ("Cluster médical", "cluster médical", "CM"):
        start = text.find(name)
        while start != -1:
            Mention.objects.create(
                source=source, organisation=cluster, start=start, end=start + len(name), text=name
            )
            start = text.find(name, start + 1)
    found = proposed(source)
    assert "cluster medical" not in found and "cm" not in found
    assert "ministere de la sante" in found


# The panel and the dismiss action ---------------------------------------------------------


def panel_url(source):
    return f"{source.get_absolute_url()}proposals/"


@pytest.mark.django_db
def test_the_source_page_links_the_panel_without_waiting_for_names_to_be_found(client):
    """Loading the language model can take seconds: the source page never waits for it."""
    source = article_source(ARTICLE_004)
    client.force_login(editor())
    with mock.patch.object(proposals, "find_names") as finder:
        page = client.get(source.get_absolute_url()).content.decode()
    finder.assert_not_called()
    assert f'data-panel="{panel_url(source)}"' in page
    assert f'href="{panel_url(source)}"' in page
    assert "tracker/proposals" in page  # its script fetches the panel into place


@pytest.mark.django_db
def test_create_links_are_offered_only_for_the_kinds_the_editor_may_add(client):
    source = article_source(ARTICLE_004)
    client.force_login(editor("person"))
    page = client.get(panel_url(source)).content.decode()
    assert 'id="proposals"' in page
    assert "/desk/new/organisation/" not in page
    assert page.count('class="proposal-dismiss"') == len(proposed(source))


@pytest.mark.django_db
def test_editor_sees_possibly_new_names_with_create_links_and_dismiss_buttons(client):
    source = article_source(ARTICLE_004)
    client.force_login(editor())
    response = client.get(panel_url(source))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert 'id="proposals"' in page
    item = proposed(source)["ministere de la sante"]
    href = (
        f"{source.get_absolute_url()}desk/new/organisation/?start={item['sentence_start']}"
        f"&amp;end={item['sentence_end']}&amp;name=minist%C3%A8re+de+la+Sant%C3%A9"
    )
    assert href in page
    assert "Create organisation" in page
    assert f'action="/sources/{source.slug}/proposals/dismiss/"' in page
    assert "Dismiss" in page


@pytest.mark.django_db
def test_english_source_page_says_proposals_come_without_a_language_model(client):
    source = source_with(ENGLISH)
    client.force_login(editor())
    page = client.get(panel_url(source)).content.decode()
    assert "no language model for this text" in page


@pytest.mark.django_db
def test_reader_sees_no_proposals_and_cannot_dismiss(client):
    source = source_with(ENGLISH)
    reader = User.objects.create_user("reader", password="x")
    roles.assign(reader, roles.READERS)
    client.force_login(reader)
    with mock.patch.object(proposals, "find_names") as finder:
        page = client.get(panel_url(source)).content.decode()
        assert client.get(panel_url(source)).status_code == HTTPStatus.FORBIDDEN
    assert 'id="proposals"' not in page and "Dismiss" not in page
    finder.assert_not_called()
    url = f"/sources/{source.slug}/proposals/dismiss/"
    response = client.post(url, {"name": "AMGS"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not DismissedProposal.objects.exists()


@pytest.mark.django_db
def test_dismissing_a_name_removes_it_from_the_panel(client):
    source = source_with(ENGLISH)
    client.force_login(editor())
    response = client.post(
        f"/sources/{source.slug}/proposals/dismiss/", {"name": "Fondation Cheikh  Khalifa"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{source.get_absolute_url()}#proposals"
    dismissed = DismissedProposal.objects.get()
    assert (dismissed.source, dismissed.name) == (source, "fondation cheikh khalifa")
    assert dismissed.dismissed_by.username == "editor"
    page = client.get(panel_url(source)).content.decode()
    assert 'value="Ryad Mezzour"' in page
    assert 'value="Fondation Cheikh Khalifa"' not in page
    # Dismissing it again changes nothing.
    client.post(f"/sources/{source.slug}/proposals/dismiss/", {"name": "fondation cheikh khalifa"})
    assert DismissedProposal.objects.count() == 1


@pytest.mark.django_db
def test_dismiss_refuses_a_post_without_csrf_token():
    source = source_with(ENGLISH)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor())
    response = client.post(f"/sources/{source.slug}/proposals/dismiss/", {"name": "AMGS"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not DismissedProposal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("  ", "This field is required."), ("x" * 301, "at most")],
)
def test_dismiss_refuses_a_missing_or_overlong_name_with_a_message(client, name, message):
    source = source_with(ENGLISH)
    client.force_login(editor())
    response = client.post(f"/sources/{source.slug}/proposals/dismiss/", {"name": name})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not DismissedProposal.objects.exists()


@pytest.mark.django_db
def test_dismiss_of_an_unknown_source_is_not_found(client):
    client.force_login(editor())
    response = client.post("/sources/no-such-source/proposals/dismiss/", {"name": "AMGS"})
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_a_long_page_lists_its_first_proposals_and_says_how_many_more(client, settings):
    settings.LANGUAGE_CODE = "en"
    text = " ".join(f"The Fondation Numero{index} Alpha helps." for index in range(105))
    source = source_with(text)
    client.force_login(editor())
    page = client.get(panel_url(source)).content.decode()
    assert page.count('class="proposal"') == proposals.PANEL_SHOWN
    assert "5 more names are not shown" in page
