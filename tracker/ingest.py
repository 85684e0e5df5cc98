"""A new source in: from pasted text, a saved page or text file, or a web address.

HTML goes through trafilatura, which keeps the article (text, title, date, site name) and
leaves the page's furniture out. Addresses are fetched with a time and a size limit, and only
from public addresses: every host is resolved and checked before connecting, after each
redirect too, and the connection goes to the very address that was checked, so a name that
resolves differently a second time (DNS rebinding) cannot reach the network behind the server.
`TRACKER_FETCH_ALLOW_PRIVATE` lifts that rule for a deployment (or the tests) that needs it.

A source that is already there is not added twice: the same address (normalised), or the same
or nearly the same text. Each source keeps a few fingerprints (`SourceFingerprint`): its
address's key and a sketch of its text's shingles, so a new text finds its candidates through
an index and only those few texts are compared in full.
"""

import datetime
import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
import time
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.db import router, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from .choices import DatePrecision, FingerprintKind, Language
from .models import Source, SourceFingerprint
from .querysets import insert_values
from .text import fold

SUPPORTED_FILES = {".html": "html", ".htm": "html", ".txt": "text"}
MAX_REDIRECTS = 5
USER_AGENT = "stakeholder-tracker (reads one article at a time)"

# Near-duplicate texts: word shingles of SHINGLE_WORDS folded words; two texts are the same
# article when the Jaccard similarity of their shingle sets reaches DUPLICATE_SIMILARITY (an
# article re-saved with or without a dateline, a byline or a few corrected words).
SHINGLE_WORDS = 5
SKETCH_SIZE = 64
DUPLICATE_SIMILARITY = 0.7
# A text whose sketch shares fewer than this share of its hashes with a source's sketch is
# not compared with it; two texts at the similarity above share far more.
CANDIDATE_SHARE = 0.25
MAX_CANDIDATES = 10


class SourceRefused(Exception):
    """Input that cannot become a source; `field` names the input at fault."""

    def __init__(self, message, field="text"):
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateSource(Exception):
    """The source is already in the tracker; `source` is the one there."""

    def __init__(self, source, reason):
        super().__init__(reason)
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    """What a text, file or page gives for a source, before the user's overrides."""

    text: str
    title: str = ""
    outlet: str = ""
    url: str = ""
    published_on: datetime.date | None = None
    published_on_precision: str = DatePrecision.DAY


# Limits -----------------------------------------------------------------------------------


def max_bytes():
    return settings.TRACKER_SOURCE_MAX_BYTES


def too_large_message(size=None):
    limit = f"{max_bytes():,}"
    if size is None:
        return _("It is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    return _("It is %(size)s bytes, more than the limit of %(limit)s bytes.") % {
        "size": f"{size:,}",
        "limit": limit,
    }


def check_size(data, field):
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes():
        raise SourceRefused(too_large_message(size), field)


# Text and files ---------------------------------------------------------------------------


def clean_text(text):
    """Paragraphs separated by one blank line, lines stripped, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = "".join(
        char
        for char in text
        if char in "\n\t" or not unicodedata.category(char).startswith("C") or char == "\u200f"
    )
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def decode_text_file(data, field="file"):
    """A text file's content: UTF-8 (with or without a byte-order mark), else refused."""
    check_size(data, field)
    if b"\x00" in data:
        raise SourceRefused(_("This is a binary file, not text: it contains null bytes."), field)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceRefused(
            _(
                "This file is not UTF-8 text (byte %(byte)s at position %(position)d): save "
                "it as UTF-8, or upload the page as .html."
            )
            % {"byte": f"0x{data[error.start]:02x}", "position": error.start},
            field,
        ) from None


def from_text(text, field="text"):
    check_size(text, field)
    if "\x00" in text:
        raise SourceRefused(_("The text contains null characters; it is not plain text."), field)
    text = clean_text(text)
    if not text:
        raise SourceRefused(_("The text is empty."), field)
    return Extracted(text=text)


def from_html(page, url="", field="file"):
    """The article in a web page (str, or bytes in the page's declared encoding)."""
    import trafilatura

    check_size(page, field)
    if isinstance(page, bytes) and b"\x00" in page:
        raise SourceRefused(
            _("This is a binary file, not a web page: it contains null bytes."), field
        )
    document = trafilatura.bare_extraction(
        page,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_precision=True,
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    text = clean_text(document.text or "") if document is not None else ""
    if not text:
        raise SourceRefused(_("No article text could be found in this page."), field)
    text = re.sub(r"\n+", "\n\n", text)
    published_on = None
    if document.date:
        try:
            published_on = datetime.date.fromisoformat(document.date[:10])
        except ValueError:
            published_on = None
    return Extracted(
        text=text,
        title=clean_text(document.title or "")[:300],
        outlet=clean_text(document.sitename or "")[:200],
        url=url,
        published_on=published_on,
    )


def from_file(name, data, field="file"):
    """A saved web page (.html, .htm) or a text file (.txt)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = SUPPORTED_FILES.get(suffix)
    if kind is None:
        raise SourceRefused(
            _("Only %(kinds)s files can be read, not “%(name)s”.")
            % {"kinds": ", ".join(SUPPORTED_FILES), "name": name},
            field,
        )
    if kind == "html":
        return from_html(data, field=field)
    return from_text(decode_text_file(data, field), field)


# Fetching ---------------------------------------------------------------------------------


def address_allowed(address):
    """Whether an IP address is one that fetching may connect to: public, unicast."""
    if settings.TRACKER_FETCH_ALLOW_PRIVATE:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host, port):
    """The address to connect to for `host`, refused unless every address it has is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise SourceRefused(
            _("The host “%(host)s” could not be found (%(error)s).")
            % {"host": host, "error": error},
            "url",
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [address for address in addresses if not address_allowed(address)]
    if refused or not addresses:
        raise SourceRefused(
            _(
                "The address “%(host)s” leads to %(address)s, a loopback, private, link-local "
                "or reserved address, which the tracker does not fetch from."
            )
            % {"host": host, "address": ", ".join(refused) or "?"},
            "url",
        )
    return addresses[0]


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked IP address, naming the host in its request."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked IP address, verifying the host's certificate."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    charset: str | None
    body: bytes


def check_address(url):
    """The parts of an address the tracker may fetch; a clear refusal otherwise."""
    if len(url) > Source._meta.get_field("url").max_length:
        raise SourceRefused(_("The address is too long."), "url")
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SourceRefused(_("Give an address starting with http:// or https://."), "url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SourceRefused(_("The address's port is not a number."), "url") from None
    return parts, port


def fetch(url):
    """GET `url`, following redirects, within the time and size limits; the final response."""
    timeout = settings.TRACKER_FETCH_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    limit = max_bytes()

    def remaining():
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    try:
        for _hop in range(MAX_REDIRECTS + 1):
            parts, port = check_address(url)
            address = resolve(parts.hostname, port)
            connection_class = (
                PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
            )
            connection = connection_class(parts.hostname, port, address, remaining())
            try:
                target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
                connection.request(
                    "GET",
                    target,
                    headers={
                        "User-Agent": USER_AGENT,
                        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9",
                        "Accept-Encoding": "identity",
                    },
                )
                response = connection.getresponse()
                if response.status in {301, 302, 303, 307, 308}:
                    location = response.getheader("Location")
                    if not location:
                        raise SourceRefused(_("The address redirects nowhere."), "url")
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise SourceRefused(
                        _("The address answered %(status)s %(reason)s.")
                        % {"status": response.status, "reason": response.reason},
                        "url",
                    )
                length = response.getheader("Content-Length")
                if length and length.isdigit() and int(length) > limit:
                    raise SourceRefused(
                        _("The page is too large. %(why)s")
                        % {"why": too_large_message(int(length))},
                        "url",
                    )
                chunks, size = [], 0
                while True:
                    # One receive at a time (each within the socket's timeout), and the
                    # deadline checked between them, so a server trickling bytes is cut off.
                    remaining()
                    chunk = response.read1(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise SourceRefused(
                            _("The page is too large. %(why)s") % {"why": too_large_message()},
                            "url",
                        )
                    chunks.append(chunk)
                content_type = response.headers.get_content_type()
                charset = response.headers.get_content_charset()
                return Fetched(url, content_type, charset, b"".join(chunks))
            finally:
                connection.close()
    except TimeoutError:
        raise SourceRefused(
            _("The address did not answer within %(seconds)s seconds.") % {"seconds": timeout},
            "url",
        ) from None
    except ssl.SSLError as error:
        raise SourceRefused(
            _("No secure connection could be made: %(error)s") % {"error": error.reason or error},
            "url",
        ) from None
    except (OSError, http.client.HTTPException) as error:
        raise SourceRefused(
            _("The address could not be fetched: %(error)s")
            % {"error": error or type(error).__name__},
            "url",
        ) from None
    raise SourceRefused(
        _("The address redirects more than %(count)d times.") % {"count": MAX_REDIRECTS}, "url"
    )


def from_address(url):
    """The article at a web address (an HTML page or plain text)."""
    fetched = fetch(url)
    if fetched.content_type in {"text/html", "application/xhtml+xml"}:
        page = fetched.body
        if fetched.charset:
            try:
                page = fetched.body.decode(fetched.charset, errors="replace")
            except LookupError:
                page = fetched.body
        return replace(from_html(page, url=fetched.url, field="url"), url=url.strip())
    if fetched.content_type == "text/plain":
        if fetched.charset and fetched.charset.lower() not in {"utf-8", "utf8", "us-ascii"}:
            try:
                text = fetched.body.decode(fetched.charset)
            except (LookupError, UnicodeDecodeError):
                text = decode_text_file(fetched.body, "url")
        else:
            text = decode_text_file(fetched.body, "url")
        return replace(from_text(text, "url"), url=url.strip())
    raise SourceRefused(
        _("The address gives %(type)s, not a web page or plain text.")
        % {"type": fetched.content_type},
        "url",
    )


# Duplicates -------------------------------------------------------------------------------

TRACKING_PARAMETERS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|xtor)$", re.I)


def address_key(url):
    """An address as compared for duplicates: scheme, `www.`, default port, fragment, tracking
    parameters, parameter order and a trailing slash make no difference."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port in {80, 443}:
        port = None
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMETERS.match(key)
    )
    path = parts.path.rstrip("/")
    return f"{host}{f':{port}' if port else ''}{path}{'?' + urlencode(query) if query else ''}"


def stable_hash(value):
    """A signed 64-bit hash, the same in every process (unlike `hash()`)."""
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def shingles(text):
    """The text's hashed runs of SHINGLE_WORDS folded words (the whole text if shorter)."""
    words = re.findall(r"\w+", fold(text))
    if not words:
        return set()
    if len(words) < SHINGLE_WORDS:
        return {stable_hash(" ".join(words))}
    return {
        stable_hash(" ".join(words[index : index + SHINGLE_WORDS]))
        for index in range(len(words) - SHINGLE_WORDS + 1)
    }


def sketch(hashes):
    """The SKETCH_SIZE smallest shingle hashes: a sample two similar texts mostly share."""
    return sorted(hashes)[:SKETCH_SIZE]


def similarity(first, second):
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def fingerprint_values(text, url):
    """(kind, value) pairs that find a source with this text and address again."""
    values = [(FingerprintKind.SHINGLE, value) for value in sketch(shingles(text))]
    key = address_key(url)
    if key:
        values.append((FingerprintKind.ADDRESS, stable_hash(key)))
    return values


def refresh_fingerprints(source, fingerprint_model=SourceFingerprint):
    fingerprint_model.objects.filter(source_id=source.pk).delete()
    fingerprint_model.objects.bulk_create(
        fingerprint_model(source_id=source.pk, kind=kind, value=value)
        for kind, value in fingerprint_values(source.text, source.url)
    )


def fingerprint_all(batch_size=500):
    """Fingerprints of every source made afresh, in bulk: for writers that send no signals
    (the generator). Returns how many were written."""
    written = 0
    with transaction.atomic():
        SourceFingerprint.objects.all().delete()
        sources = Source.objects.only("pk", "text", "url").order_by("pk")
        batch = []
        using = router.db_for_write(SourceFingerprint)
        for source in sources.iterator(chunk_size=batch_size):
            batch.extend(
                (source.pk, kind.value, value)
                for kind, value in fingerprint_values(source.text, source.url)
            )
            if len(batch) >= batch_size * 10:
                insert_values(SourceFingerprint, ("source", "kind", "value"), batch, using)
                written += len(batch)
                batch = []
        insert_values(SourceFingerprint, ("source", "kind", "value"), batch, using)
        written += len(batch)
    return written


def find_duplicate(text="", url=""):
    """The source already holding this address or this (nearly) same text, with why; or None."""
    key = address_key(url)
    if key:
        same_address = Source.objects.filter(
            fingerprints__kind=FingerprintKind.ADDRESS,
            fingerprints__value=stable_hash(key),
        ).first()
        if same_address is not None and address_key(same_address.url) == key:
            return same_address, _("It has the same address.")
    hashes = shingles(text)
    sample = sketch(hashes)
    if not sample:
        return None
    needed = max(1, int(len(sample) * CANDIDATE_SHARE))
    candidates = (
        SourceFingerprint.objects.filter(kind=FingerprintKind.SHINGLE, value__in=sample)
        .values("source_id")
        .annotate(shared=Count("id"))
        .filter(shared__gte=needed)
        .order_by("-shared")[:MAX_CANDIDATES]
    )
    best = None
    for candidate in Source.objects.filter(pk__in=[row["source_id"] for row in candidates]).only(
        "slug", "title", "text"
    ):
        score = similarity(hashes, shingles(candidate.text))
        if score >= DUPLICATE_SIMILARITY and (best is None or score > best[1]):
            best = (candidate, score)
    if best is None:
        return None
    if best[1] == 1:
        return best[0], _("It has the same text.")
    return best[0], _("It has nearly the same text (%(percent)d%% alike).") % {
        "percent": int(best[1] * 100)
    }


# Making the source ------------------------------------------------------------------------

ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
FRENCH_WORDS = set(
    "le la les des du de et est une un dans pour que qui sur avec par au aux ce cette sont "
    "ete ont il elle nous vous pas plus leur".split()
)
ENGLISH_WORDS = set(
    "the and of to in is that for on with by was are were this from as at an be has have "
    "it its which will their".split()
)


def guess_language(text):
    """fr, en or ar, from the script and the commonest words; French when nothing tells."""
    letters = [char for char in text[:20000] if char.isalpha()]
    if letters and sum(1 for char in letters if ARABIC_LETTER.match(char)) > len(letters) / 3:
        return Language.ARABIC
    words = re.findall(r"\w+", fold(text[:20000]))
    french = sum(1 for word in words if word in FRENCH_WORDS)
    english = sum(1 for word in words if word in ENGLISH_WORDS)
    return Language.ENGLISH if english > french else Language.FRENCH


def parse_partial_date(value):
    """'2021-12-28', '2021-12' or '2021' → (date, precision); ValueError otherwise."""
    value = (value or "").strip()
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if not match:
        raise ValueError(value)
    year, month, day = match.groups()
    date = datetime.date(int(year), int(month or 1), int(day or 1))
    if day:
        return date, DatePrecision.DAY
    if month:
        return date, DatePrecision.MONTH
    return date, DatePrecision.YEAR


def date_format_message(value):
    return _("Give the date as YYYY-MM-DD, YYYY-MM or YYYY, not “%(value)s”.") % {"value": value}


def title_from_text(text):
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    return first_line.strip()[:300]


def create_source(
    text,
    *,
    title="",
    url="",
    outlet="",
    language="",
    published_on=None,
    published_on_precision=DatePrecision.DAY,
    notes="",
    seed_file="",
):
    """Make and return a new Source, in one transaction; refuse a duplicate or an invalid one.

    Raises DuplicateSource naming the source already there, or ValidationError by field.
    """
    title = (title or "").strip() or title_from_text(text)
    with transaction.atomic():
        duplicate = find_duplicate(text, url)
        if duplicate is not None:
            raise DuplicateSource(*duplicate)
        source = Source(
            slug=Source.objects.unique_slug(title, max_length=90),
            title=title,
            text=text,
            url=url,
            outlet=outlet,
            language=language or guess_language(text),
            published_on=published_on,
            published_on_precision=published_on_precision or DatePrecision.DAY,
            notes=notes,
            seed_file=seed_file,
        )
        source.full_clean()
        source.save()
    return source


def add_source(
    *, text="", file_name="", file_data=None, url="", title="", published_on="", language=""
):
    """A source from exactly one of pasted text, a file or an address, with overrides.

    `published_on` is '', 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'. Raises SourceRefused (by input),
    DuplicateSource or ValidationError; nothing is kept unless the source is made whole.
    """
    given = [name for name, value in (("text", text), ("file", file_data), ("url", url)) if value]
    if len(given) != 1:
        raise SourceRefused(
            _("Give exactly one of: the text, a file or an address."),
            given[1] if len(given) > 1 else "text",
        )
    overrides = {}
    if published_on:
        try:
            day, precision = parse_partial_date(published_on)
        except ValueError:
            raise SourceRefused(date_format_message(published_on), "published_on") from None
        overrides.update(published_on=day, published_on_precision=precision)
    if language and language not in Language.values:
        raise SourceRefused(
            _("The language must be one of %(choices)s.") % {"choices": ", ".join(Language.values)},
            "language",
        )
    if text:
        extracted = from_text(text)
    elif file_data is not None:
        extracted = from_file(file_name, file_data)
    else:
        check_address(url)
        duplicate = find_duplicate(url=url)
        if duplicate is not None:
            raise DuplicateSource(*duplicate)
        extracted = from_address(url)
    if title:
        extracted = replace(extracted, title=title.strip())
    if overrides:
        extracted = replace(extracted, **overrides)
    return create_source(
        extracted.text,
        title=extracted.title,
        url=extracted.url,
        outlet=extracted.outlet,
        language=language,
        published_on=extracted.published_on,
        published_on_precision=extracted.published_on_precision,
    )
