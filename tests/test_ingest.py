"""A new source in, from text, a saved page or text file, or an address (tracker/ingest.py)."""

import datetime
import io
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tracker import ingest
from tracker.choices import DatePrecision, Language
from tracker.devtools import factories
from tracker.ingest import DuplicateSource, SourceRefused
from tracker.models import Source, SourceFingerprint

pytestmark = pytest.mark.django_db

PAGES = Path(__file__).parent / "pages"
PAGE_004 = PAGES / "004_maroc_dispositifs_medicaux.html"
SEEDS = Path(__file__).parent.parent / "seeds"
SEED_004 = SEEDS / "004_85fd7707bff57245.txt"
SEED_000 = SEEDS / "000_6e5beed331ac686e.txt"
FIVE_MEGABYTES = 5 * 1024 * 1024

ARTICLE_SENTENCE = "Le ministère de la Santé se chargera de mettre à la disposition"
FURNITURE = [
    "MASI",  # stock ticker
    "Accueil",  # menu
    "Partager sur Facebook",  # share buttons
    "À lire aussi",
    "Botola",  # related links
    "Tous droits réservés",  # footer
    "SCRIPT-MUST-NOT-APPEAR",  # <script>
    "dataLayer",
]


def big_page():
    paragraph = "<p>" + "Un paragraphe de remplissage qui ne dit rien. " * 40 + "</p>\n"
    body = paragraph * (FIVE_MEGABYTES // len(paragraph) + 1)
    return f"<html><body><article>{body}</article></body></html>".encode()


# A local web server standing for the web ------------------------------------------------


class SavedPages(BaseHTTPRequestHandler):
    """Serves the saved pages, and the ways a web server can misbehave."""

    requests = []

    def do_GET(self):
        SavedPages.requests.append(self.path)
        port = self.server.server_address[1]
        if self.path.startswith("/article"):
            self.answer(PAGE_004.read_bytes(), "text/html; charset=utf-8")
        elif self.path == "/plain.txt":
            self.answer(SEED_000.read_bytes(), "text/plain; charset=utf-8")
        elif self.path == "/big":
            self.answer(big_page(), "text/html")
        elif self.path == "/big-without-length":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(big_page())
        elif self.path == "/image":
            self.answer(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image/png")
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(PAGE_004.read_bytes(), "text/html")
        elif self.path == "/missing":
            self.answer(b"not here", "text/plain", status=404)
        elif self.path == "/to-localhost":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/article")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/to-article":
            self.send_response(301)
            self.send_header("Location", "/article-moved")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.answer(b"", "text/plain", status=404)

    def answer(self, body, content_type, status=200):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def web():
    """The address of a local web server (loopback) serving the saved pages."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SavedPages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_allowed(settings):
    settings.TRACKER_FETCH_ALLOW_PRIVATE = True


@pytest.fixture
def private_refused(settings):
    settings.TRACKER_FETCH_ALLOW_PRIVATE = False


# Extraction --------------------------------------------------------------------------------


def test_saved_page_gives_the_article_without_its_furniture():
    extracted = ingest.from_html(PAGE_004.read_bytes())
    assert ARTICLE_SENTENCE in extracted.text
    assert "accompagner les porteurs de projets" in extracted.text  # the last paragraph
    for furniture in FURNITURE:
        assert furniture not in extracted.text, furniture


def test_saved_page_gives_title_date_and_site_name():
    extracted = ingest.from_html(PAGE_004.read_bytes())
    assert extracted.title == "Le Maroc veut booster la fabrication locale des dispositifs médicaux"
    assert extracted.outlet == "Le Quotidien du Royaume"
    assert extracted.published_on == datetime.date(2022, 1, 4)
    assert extracted.published_on_precision == DatePrecision.DAY


def test_html_of_nothing_but_scripts_is_refused_and_nothing_kept():
    page = (
        b"<html><head><script>alert('x')</script></head>"
        b"<body><script>var article = 'Le Maroc';</script></body></html>"
    )
    with pytest.raises(SourceRefused, match="No article text"):
        ingest.add_source(file_name="scripts.html", file_data=page)
    assert not Source.objects.exists()


def test_text_file_is_taken_as_it_is():
    source = ingest.add_source(file_name="000.txt", file_data=SEED_000.read_bytes())
    assert "ABA Technology" in source.text
    assert source.title == SEED_000.read_text().strip().splitlines()[0].strip()
    assert source.language == Language.ENGLISH


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("latin1.txt", "Ministère de la Santé".encode("latin-1"), "not UTF-8"),
        ("page.html", b"<html>\x00\x01\x02</html>", "binary file"),
        ("report.pdf", b"%PDF-1.7", "Only .html, .htm, .txt files"),
    ],
)
def test_binary_or_foreign_file_is_refused_with_a_clear_message(name, data, message):
    with pytest.raises(SourceRefused, match=message) as refused:
        ingest.add_source(file_name=name, file_data=data)
    assert refused.value.field == "file"
    assert not Source.objects.exists()


@pytest.mark.parametrize("text", [" ", "   \n\t\n  ", "\ufeff", "\u200b\n"])
def test_empty_text_is_refused(text):
    with pytest.raises(SourceRefused, match="The text is empty"):
        ingest.add_source(text=text)
    with pytest.raises(SourceRefused, match="Give exactly one of"):
        ingest.add_source(text="")
    assert not Source.objects.exists()


def test_five_megabyte_page_is_refused_by_its_size():
    with pytest.raises(SourceRefused, match="more than the limit") as refused:
        ingest.add_source(file_name="big.html", file_data=big_page())
    assert refused.value.field == "file"
    assert not Source.objects.exists()


# Fetching ------------------------------------------------------------------------------------


def test_address_is_fetched_and_extracted(web, private_allowed):
    source = ingest.add_source(url=f"{web}/article")
    assert ARTICLE_SENTENCE in source.text
    assert source.url == f"{web}/article"
    assert source.outlet == "Le Quotidien du Royaume"
    assert source.published_on == datetime.date(2022, 1, 4)
    assert source.language == Language.FRENCH


def test_plain_text_address_is_taken_as_it_is(web, private_allowed):
    source = ingest.add_source(url=f"{web}/plain.txt")
    assert "ABA Technology" in source.text


def test_redirect_is_followed(web, private_allowed):
    SavedPages.requests.clear()
    source = ingest.add_source(url=f"{web}/to-article")
    assert ARTICLE_SENTENCE in source.text
    assert SavedPages.requests == ["/to-article", "/article-moved"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/slow", "did not answer within 1 seconds"),
        ("/big", "too large"),
        ("/big-without-length", "too large"),
        ("/image", "image/png, not a web page"),
        ("/missing", "answered 404"),
    ],
)
def test_fetch_that_fails_says_why_and_keeps_nothing(web, private_allowed, settings, path, message):
    settings.TRACKER_FETCH_TIMEOUT_SECONDS = 1
    with pytest.raises(SourceRefused, match=message) as refused:
        ingest.add_source(url=f"{web}{path}")
    assert refused.value.field == "url"
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/article",  # loopback
        "http://localhost:{port}/article",  # a name resolving to loopback
        "http://[::1]:{port}/article",
        "http://10.1.2.3/article",  # private
        "http://192.168.1.1/article",
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://0.0.0.0:{port}/article",
        "http://[::ffff:127.0.0.1]:{port}/article",  # loopback inside IPv6
        "http://224.0.0.1/article",  # multicast
        "http://240.0.0.1/article",  # reserved
    ],
)
def test_fetch_refuses_loopback_private_and_link_local_addresses(web, private_refused, address):
    SavedPages.requests.clear()
    port = web.rsplit(":", 1)[1]
    with pytest.raises(SourceRefused, match="does not fetch from") as refused:
        ingest.add_source(url=address.format(port=port))
    assert refused.value.field == "url"
    assert SavedPages.requests == []
    assert not Source.objects.exists()


def test_fetch_refuses_a_redirect_to_loopback(web, private_refused, monkeypatch):
    # The first server stands for a public one: its address is let through once.
    real_rule = ingest.address_allowed
    let_through = ["127.0.0.1"]

    def allowed(address):
        if address in let_through:
            let_through.remove(address)
            return True
        return real_rule(address)

    monkeypatch.setattr(ingest, "address_allowed", allowed)
    SavedPages.requests.clear()
    with pytest.raises(SourceRefused, match="“localhost” leads to .*does not fetch from"):
        ingest.add_source(url=f"{web}/to-localhost")
    assert SavedPages.requests == ["/to-localhost"]
    assert not Source.objects.exists()


def test_fetch_connects_to_the_address_it_checked(private_refused, monkeypatch):
    """A name that resolves to a public address, then to loopback (DNS rebinding), is
    connected to at the public address it was checked at, not resolved again."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    connected = []

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("refused in the test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(SourceRefused, match="could not be fetched"):
        ingest.add_source(url="http://rebinding.example/article")
    assert connected == [("93.184.216.34", 80)]


@pytest.mark.parametrize("address", ["ftp://example.com/a", "file:///etc/passwd", "http://", "x"])
def test_address_that_is_not_http_is_refused(private_allowed, address):
    with pytest.raises(SourceRefused, match="http:// or https://"):
        ingest.add_source(url=address)


# Duplicates --------------------------------------------------------------------------------


def test_same_address_is_reported_as_the_existing_source(web, private_allowed):
    first = ingest.add_source(url=f"{web}/article")
    for again in [
        f"{web}/article",
        f"{web}/article/",
        f"{web}/article?utm_source=newsletter#top",
        f"{web}/article?utm_campaign=x&fbclid=y",
    ]:
        SavedPages.requests.clear()
        with pytest.raises(DuplicateSource) as duplicate:
            ingest.add_source(url=again)
        assert duplicate.value.source == first
        assert "same address" in duplicate.value.reason
        assert SavedPages.requests == []  # found before fetching
    assert Source.objects.count() == 1


def test_address_key_ignores_what_does_not_name_a_different_page():
    key = ingest.address_key
    assert key("https://www.Example.com/a/b/?utm_source=x&b=2&a=1#p") == key(
        "http://example.com:80/a/b?a=1&b=2"
    )
    assert key("https://example.com/a?id=1") != key("https://example.com/a?id=2")


def test_same_text_is_reported_as_the_existing_source():
    first = ingest.add_source(text=SEED_000.read_text())
    with pytest.raises(DuplicateSource, match="same text") as duplicate:
        ingest.add_source(text="\n\n" + SEED_000.read_text().upper() + "  ")
    assert duplicate.value.source == first
    assert Source.objects.count() == 1


def test_nearly_the_same_text_is_reported_as_the_existing_source():
    """The seed text (with its page header) and the same article extracted from a page."""
    first = ingest.add_source(text=SEED_004.read_text())
    with pytest.raises(DuplicateSource, match="nearly the same text") as duplicate:
        ingest.add_source(file_name="004.html", file_data=PAGE_004.read_bytes())
    assert duplicate.value.source == first
    assert Source.objects.count() == 1


def test_a_different_article_is_not_a_duplicate():
    ingest.add_source(text=SEED_004.read_text())
    ingest.add_source(text=SEED_000.read_text())
    assert Source.objects.count() == 2


def test_sources_loaded_from_fixtures_are_found_as_duplicates(article_data):
    with pytest.raises(DuplicateSource) as duplicate:
        ingest.add_source(file_name="004.html", file_data=PAGE_004.read_bytes())
    assert duplicate.value.source.slug == "maroc-booster-fabrication-locale-dispositifs-medicaux"


def test_edited_source_text_is_what_duplicates_are_found_by():
    source = factories.SourceFactory(text="Un texte provisoire sans rapport avec l'article.")
    source.text = SEED_004.read_text()
    source.save()
    with pytest.raises(DuplicateSource):
        ingest.add_source(text=SEED_004.read_text())


def test_duplicate_search_cost_does_not_grow_with_sources(django_assert_max_num_queries):
    """Candidates come from the fingerprint index; only their texts are read."""
    for number in range(5):
        ingest.create_source(
            f"Article numéro {number} : " + " ".join(f"mot{number}x{i}" for i in range(200))
        )
    with CaptureQueriesContext(connection) as few:
        assert ingest.find_duplicate(SEED_004.read_text(), "https://example.com/new") is None
    for number in range(5, 60):
        ingest.create_source(
            f"Article numéro {number} : " + " ".join(f"mot{number}x{i}" for i in range(200))
        )
    with CaptureQueriesContext(connection) as many:
        assert ingest.find_duplicate(SEED_004.read_text(), "https://example.com/new") is None
    assert len(many.captured_queries) == len(few.captured_queries) <= 3
    assert SourceFingerprint.objects.filter(kind="shingle").count() == 60 * ingest.SKETCH_SIZE


# Making the source ---------------------------------------------------------------------------


def test_slug_comes_from_the_title_and_is_unique():
    first = ingest.add_source(text="Un premier article sur le cluster.", title="Le cluster médical")
    second = ingest.add_source(
        text="Un tout autre article, sans rapport.", title="Le cluster médical"
    )
    assert (first.slug, second.slug) == ("le-cluster-medical", "le-cluster-medical-2")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Le ministère de la Santé a signé un accord avec le cluster pour la fabrication.", "fr"),
        ("The Ministry of Health signed an agreement with the cluster for the devices.", "en"),
        ("وقعت وزارة الصحة اتفاقية مع المجموعة لتصنيع الأجهزة الطبية محليا.", "ar"),
    ],
)
def test_language_is_guessed_unless_given(text, language):
    assert ingest.add_source(text=text).language == language
    Source.objects.all().delete()
    assert ingest.add_source(text=text, language="mixed").language == "mixed"


@pytest.mark.parametrize(
    ("given", "day", "precision"),
    [
        ("2021-12-28", datetime.date(2021, 12, 28), DatePrecision.DAY),
        ("2020-07", datetime.date(2020, 7, 1), DatePrecision.MONTH),
        ("2020", datetime.date(2020, 1, 1), DatePrecision.YEAR),
    ],
)
def test_published_date_keeps_its_precision(given, day, precision):
    source = ingest.add_source(
        file_name="004.html", file_data=PAGE_004.read_bytes(), published_on=given
    )
    assert (source.published_on, source.published_on_precision) == (day, precision)


@pytest.mark.parametrize("given", ["28/12/2021", "2021-13", "2021-02-30", "yesterday"])
def test_published_date_that_is_not_a_date_is_refused(given):
    with pytest.raises(SourceRefused, match="YYYY-MM-DD") as refused:
        ingest.add_source(text="Un article.", published_on=given)
    assert refused.value.field == "published_on"
    assert not Source.objects.exists()


# The command -----------------------------------------------------------------------------------


def run_add_source(*args):
    out = io.StringIO()
    call_command("add_source", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_command_adds_a_saved_page_and_prints_its_slug():
    slug = run_add_source(str(PAGE_004), "--published-on", "2022-01", "--language", "fr")
    source = Source.objects.get(slug=slug)
    assert slug == "le-maroc-veut-booster-la-fabrication-locale-des-dispositifs-medicaux"
    assert source.published_on_precision == DatePrecision.MONTH
    assert ARTICLE_SENTENCE in source.text


def test_command_adds_an_address(web, private_allowed):
    slug = run_add_source(f"{web}/article", "--title", "Dispositifs médicaux")
    assert Source.objects.get(slug=slug).title == "Dispositifs médicaux"


def test_command_prints_the_existing_slug_of_a_duplicate_and_fails():
    first = run_add_source(str(SEED_004))
    out = io.StringIO()
    with pytest.raises(CommandError, match="already has this source"):
        call_command("add_source", str(PAGE_004), stdout=out)
    assert out.getvalue().strip() == first
    assert Source.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/file.html"], "No such file"),
        ([str(PAGE_004), "--published-on", "2021-13-01"], "--published-on: Give the date"),
        (["http://127.0.0.1:9/article"], "The address: .*does not fetch from"),
    ],
)
def test_command_names_what_was_wrong_and_keeps_nothing(private_refused, args, message):
    with pytest.raises(CommandError, match=message):
        run_add_source(*args)
    assert not Source.objects.exists()


def test_command_refuses_a_binary_file(tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CommandError, match="The file: This is a binary file"):
        run_add_source(str(binary))
    assert not Source.objects.exists()


# The admin -----------------------------------------------------------------------------------

ADD_FROM = "admin:tracker_source_add_from"


def test_admin_source_list_links_to_adding_from_text_file_or_address(admin_client):
    page = admin_client.get(reverse("admin:tracker_source_changelist")).content.decode()
    assert reverse(ADD_FROM) in page
    assert admin_client.get(reverse(ADD_FROM)).status_code == HTTPStatus.OK


def test_admin_adds_a_source_from_a_saved_page(admin_client):
    upload = SimpleUploadedFile("004.html", PAGE_004.read_bytes(), content_type="text/html")
    response = admin_client.post(reverse(ADD_FROM), {"file": upload, "language": ""})
    source = Source.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("admin:tracker_source_change", args=[source.pk])
    assert source.outlet == "Le Quotidien du Royaume"
    assert source.history.count() == 1


def test_admin_adds_a_source_from_pasted_text_with_overrides(admin_client):
    response = admin_client.post(
        reverse(ADD_FROM),
        {
            "text": SEED_000.read_text(),
            "title": "ABA et MMI",
            "published_on": "2021-12",
            "language": "en",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    source = Source.objects.get()
    assert (source.title, source.published_on_precision) == ("ABA et MMI", DatePrecision.MONTH)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "   "}, "text", "The text is empty"),
        ({}, "text", "Give exactly one of"),
        ({"published_on": "2021-31"}, "published_on", "YYYY-MM-DD"),
        ({"text": "Un texte.", "url": "https://example.com/a"}, "url", "Give exactly one of"),
        ({"text": "Un texte.", "published_on": "2021-31-12"}, "published_on", "YYYY-MM-DD"),
        ({"file": ("photo.txt", b"\x89PNG\x00\x00")}, "file", "binary file"),
        ({"file": ("big.html", None)}, "file", "more than the limit"),
        ({"url": "ftp://example.com/"}, "url", "http:// or https://"),
        ({"url": "http://127.0.0.1/admin/"}, "url", "does not fetch from"),
        ({"text": "Un texte.", "title": "x" * 301}, "title", "at most 300 characters"),
    ],
)
def test_admin_names_the_field_at_fault_and_keeps_nothing(
    admin_client, private_refused, data, field, message
):
    if "file" in data:
        name, content = data["file"]
        data = {"file": SimpleUploadedFile(name, content if content is not None else big_page())}
    response = admin_client.post(reverse(ADD_FROM), data)
    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Source.objects.exists()


def test_admin_answers_a_duplicate_with_a_link_to_the_existing_source(admin_client):
    existing = ingest.add_source(text=SEED_004.read_text())
    upload = SimpleUploadedFile("004.html", PAGE_004.read_bytes())
    response = admin_client.post(reverse(ADD_FROM), {"file": upload})
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "already in the tracker" in page
    assert f'href="{reverse("admin:tracker_source_change", args=[existing.pk])}"' in page
    assert Source.objects.count() == 1


def test_admin_add_from_needs_the_add_permission(client):
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(clerk)
    assert client.get(reverse(ADD_FROM)).status_code == HTTPStatus.FORBIDDEN
    response = client.post(reverse(ADD_FROM), {"text": "Un texte."})
    assert response.status_code == HTTPStatus.FORBIDDEN
    changelist = client.get(reverse("admin:tracker_source_changelist")).content.decode()
    assert reverse(ADD_FROM) not in changelist
    assert not Source.objects.exists()


def test_a_generated_source_is_found_again_when_added(db):
    """The generator writes sources in bulk, without signals: it fingerprints them itself."""
    from tracker.devtools.synthetic import Generator, Sizes

    Generator(
        Sizes(organisations=10, people=5, agreements=4, commitments=8, citations=10, sources=3)
    ).run()
    generated = Source.objects.order_by("pk").last()
    with pytest.raises(DuplicateSource, match="same text") as duplicate:
        ingest.add_source(text=generated.text)
    assert duplicate.value.source == generated
    assert Source.objects.count() == 3
