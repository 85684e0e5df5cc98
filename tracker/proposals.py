"""Names in a source that no record carries yet, proposed as possibly new organisations or people.

Three finders feed the proposals:
- acronyms (2 to 8 capitals, digits or "&"), and the long form an acronym in parentheses
  follows ("Association marocaine des groupes de santé (AMGS)");
- runs of capitalised words joined by particles ("Ministère de la Santé", "Ministry of Health",
  "Fondation Cheikh Khalifa"), or led by an organisation word ("ministère de l'Industrie");
- for French (and mixed) text, the entities spaCy's French pipeline finds (`fr_core_news_sm`,
  loaded once per process, on first use). No English pipeline is installed, so English text
  gets the first two only (`entity_recogniser_used` says which).

What is found is cached per source and data version (the slow part is spaCy); what is
proposed leaves out, at every call, spans a stored `Mention` covers (names already known),
names dismissed for the source, and repeats (one proposal per folded name, its first place).
"""

import bisect
import functools
import hashlib
import re
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.cache import cache
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import data_version
from .choices import Language
from .models import DismissedProposal, Source
from .text import fold

ORGANISATION = "organisation"
PERSON = "person"

# spaCy reads at most this much of a text (about 70 ms per 1,000 characters here); the
# other finders read it all.
ENTITY_RECOGNISER_MAX_CHARS = 50_000
# Bump when what the finders return changes, so cached results of the old ones are not used.
FINDERS_VERSION = 1
CACHE_TIMEOUT = 24 * 3600
DISMISSED_NAME_LENGTH = DismissedProposal._meta.get_field("name").max_length

LANGUAGES_WITH_RECOGNISER = {Language.FRENCH, Language.MIXED}

# Words that join the parts of a name without being capitalised themselves.
PARTICLES = {
    "de", "du", "des", "la", "le", "les", "l'", "d'", "et", "pour", "en", "sur",
    "of", "the", "and", "for", "&",
}  # fmt: skip
CONJUNCTIONS = {"et", "and"}
DETERMINERS = {"le", "la", "les", "l'", "the", "un", "une", "a", "an"}

# Capitalised words that start sentences or headings without naming anything.
STOP_WORDS = {
    "le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "ce", "cet", "cette", "ces",
    "il", "elle", "ils", "elles", "nous", "vous", "on", "je", "son", "sa", "ses", "leur",
    "dans", "mais", "et", "ou", "donc", "car", "selon", "pour", "par", "avec", "sans", "sous",
    "en", "au", "aux", "a", "apres", "avant", "d'apres", "depuis", "lors", "ainsi", "enfin",
    "the", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we",
    "in", "at", "by", "for", "with", "under", "over", "after", "before", "since", "as",
    "and", "or", "but", "so", "if", "when", "while", "indeed", "however", "also", "speaking",
    "according", "his", "her", "their", "our", "there", "here", "what", "which", "who",
}  # fmt: skip

# Dates are not names.
DATE_WORDS = {
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
    "samedi", "dimanche", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip

# Capitals that are not organisations: Roman numerals, currencies, units, page furniture.
NOT_ACRONYMS = {
    "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XX", "XXI",
    "MAD", "DH", "DHS", "USD", "EUR", "HT", "TTC", "AM", "PM", "OK", "US", "PDF", "TV",
    "DG", "PDG", "CEO",
}  # fmt: skip

# Page furniture that looks like a name.
FURNITURE = {"stock market", "contact us", "all rights reserved", "read more", "lire aussi"}

# Words that make a name an organisation's (folded, singular).
ORGANISATION_WORDS = {
    "ministere", "ministry", "cluster", "association", "fondation", "foundation", "groupe",
    "group", "universite", "university", "agence", "agency", "federation", "direction",
    "directorate", "office", "institut", "institute", "conseil", "council", "confederation",
    "chambre", "chamber", "banque", "bank", "societe", "company", "centre", "center",
    "hopital", "hospital", "clinique", "clinic", "laboratoire", "laboratory", "ecole",
    "school", "union", "syndicat", "commission", "autorite", "authority", "departement",
    "department", "caisse", "fonds", "fund", "organisation", "organization", "corporation",
    "holding", "alliance", "reseau", "network", "observatoire", "observatory",
}  # fmt: skip

# Words before or after a name that make it a person's.
TITLE_BEFORE = re.compile(r"(?:^|[\s(«\"'])(?:M|Mme|Mlle|Mr|Mrs|Ms|Dr|Pr|Me)\.?\s+$")
ROLE_WORDS = {
    "minister", "ministre", "director", "directeur", "directrice", "president", "presidente",
    "ceo", "manager", "dg", "chairman", "chairwoman", "secretary", "secretaire", "founder",
    "fondateur", "fondatrice", "governor", "gouverneur", "wali", "head", "chef", "spokesman",
    "spokeswoman", "porte-parole", "ambassador", "ambassadeur", "dr", "pr",
}  # fmt: skip

# A word (with its hyphens), an elided article, an ampersand or a number.
TOKEN = re.compile(r"[A-Za-z][’'](?=[^\W\d_])|[^\W\d_][^\W_]*(?:-[^\W_]+)*|&|\d+")
ACRONYM = re.compile(r"(?<![\w&-])[A-Z][A-Z0-9&]{0,6}[A-Z0-9](?![\w&-])")
ACRONYM_IN_PARENTHESES = re.compile(r"\(\s*([A-Z][A-Za-z0-9&]{0,6}[A-Z0-9])\s*\)")
SENTENCE_END = re.compile(r"[.!?…]+[\"»”’)]*\s+|\n+")
ABBREVIATIONS = {"m", "mme", "mlle", "mr", "mrs", "ms", "dr", "pr", "me", "st", "etc", "no", "art"}


def propose(source):
    """The names in `source.text` no record carries yet, as dicts in text order.

    Each: kind ("organisation" or "person"), text (as it appears), start and end (character
    offsets into `source.text`), and the sentence it is in: sentence, sentence_start,
    sentence_end.
    """
    known = Spans(source.mentions.values_list("start", "end"))
    dismissed = set(source.dismissed_proposals.values_list("name", flat=True))
    proposals, seen = [], set()
    for candidate in found_names(source):
        name = fold(candidate["text"])
        if name in seen or name in dismissed:
            continue
        if known.overlaps(candidate["start"], candidate["end"]):
            continue
        seen.add(name)
        proposals.append(candidate)
    return proposals


def entity_recogniser_used(source):
    return source.language in LANGUAGES_WITH_RECOGNISER


def found_names(source):
    """Every name the finders see in the source, before known and dismissed ones are left out.

    Cached per source and data version: a changed text is a new data version.
    """
    text = source.text or ""
    digest = hashlib.sha256(f"{source.language}\0{text}".encode()).hexdigest()[:16]
    key = f"tracker:proposals:{FINDERS_VERSION}:{source.pk}:{data_version.current()}:{digest}"
    names = cache.get(key)
    if names is None:
        names = find_names(text, use_recogniser=entity_recogniser_used(source))
        cache.set(key, names, CACHE_TIMEOUT)
    return names


class Spans:
    """Stretches of a text, merged where they overlap, that say whether a span meets one."""

    def __init__(self, spans=()):
        self.starts, self.ends = [], []
        for start, end in spans:
            self.add(start, end)

    def overlaps(self, start, end):
        index = bisect.bisect_left(self.starts, end)
        return index > 0 and self.ends[index - 1] > start

    def add(self, start, end):
        left = bisect.bisect_left(self.ends, start)
        right = bisect.bisect_right(self.starts, end)
        if left < right:
            start = min(start, self.starts[left])
            end = max(end, self.ends[right - 1])
        self.starts[left:right] = [start]
        self.ends[left:right] = [end]


# Finding --------------------------------------------------------------------------------


class Text:
    """A text cut into sentences and tokens, with what the finders ask of it."""

    def __init__(self, text):
        self.text = text
        self.sentences = split_sentences(text)
        self.sentence_starts = [start for start, _ in self.sentences]
        # Words seen in lower case somewhere: capitalised at a sentence's start, they are
        # common words, not names.
        self.lower_words = {
            match.group() for match in TOKEN.finditer(text) if match.group()[0].islower()
        }

    def sentence_of(self, start):
        index = bisect.bisect_right(self.sentence_starts, start) - 1
        return self.sentences[max(index, 0)]

    def starts_sentence(self, token):
        sentence_start, _ = self.sentence_of(token[1])
        return not TOKEN.search(self.text[sentence_start : token[1]])

    def common_word(self, word):
        return folded(word) in STOP_WORDS or word.lower() in self.lower_words


def find_names(text, use_recogniser):
    """The candidate names of `text`, one per place, in text order (see `propose`)."""
    if not text.strip():
        return []
    document = Text(text)
    candidates = [*acronym_long_forms(document), *capitalised_runs(document), *acronyms(document)]
    entities = list(recognised_entities(document)) if use_recogniser else []
    candidates += entities
    chosen, taken = [], Spans()
    # Long forms first, then the runs and acronyms, then spaCy's entities where nothing
    # else was found: spaCy's spans are the least reliable of the three.
    for candidate in sorted(candidates, key=lambda c: (c["rank"], c["start"], -c["end"])):
        if not taken.overlaps(candidate["start"], candidate["end"]):
            taken.add(candidate["start"], candidate["end"])
            chosen.append(candidate)
    # Where the words of a name do not say its kind, spaCy's label does.
    for candidate in chosen:
        if not candidate["sure"]:
            for entity in entities:
                if entity["start"] < candidate["end"] and entity["end"] > candidate["start"]:
                    candidate["kind"] = entity["kind"]
                    break
    names = []
    for candidate in sorted(chosen, key=lambda c: c["start"]):
        name = candidate["text"]
        if is_date(name) or fold(name) in FURNITURE:
            continue
        sentence_start, sentence_end = document.sentence_of(candidate["start"])
        names.append(
            {
                "kind": candidate["kind"],
                "text": name,
                "start": candidate["start"],
                "end": candidate["end"],
                "sentence": text[sentence_start:sentence_end],
                "sentence_start": sentence_start,
                "sentence_end": sentence_end,
            }
        )
    return names


def split_sentences(text):
    """(start, end) of each sentence, blank space trimmed; a line break always ends one."""
    sentences, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if "\n" not in match.group():
            before = TOKEN.findall(text[start : match.start()])
            last = folded(before[-1]) if before else ""
            # "M. Idder", "Dr. Alami", "J. Smith" do not end a sentence.
            if last in ABBREVIATIONS or (len(last) == 1 and before[-1].isupper()):
                continue
        add_sentence(text, start, match.end(), sentences)
        start = match.end()
    add_sentence(text, start, len(text), sentences)
    return sentences or [(0, len(text))]


def add_sentence(text, start, end, sentences):
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        offset = start + (len(piece) - len(piece.lstrip()))
        sentences.append((offset, offset + len(stripped)))


@functools.lru_cache(maxsize=65536)
def folded(word):
    return fold(word).replace("’", "'")


def is_particle(word):
    return folded(word) in PARTICLES


def is_capitalised(word):
    return word[0].isupper() and not is_particle(word)


def is_organisation_word(word):
    word = folded(word)
    return word in ORGANISATION_WORDS or (word.endswith("s") and word[:-1] in ORGANISATION_WORDS)


def is_date(name):
    return any(folded(word) in DATE_WORDS for word in TOKEN.findall(name))


def is_heading(sentence, words):
    """A heading in title case, whose words are capitalised whether or not they are names."""
    long_words = [word for word in words if len(word) > 3]
    capitalised = [word for word in long_words if word[0].isupper()]
    return (
        len(long_words) >= 3
        and len(capitalised) >= 0.75 * len(long_words)
        and not sentence.rstrip("\"'»”’) ").endswith((".", "!", "?", "…"))
    )


def tokens_of(text, start, end):
    return [
        (m.group(), start + m.start(), start + m.end()) for m in TOKEN.finditer(text[start:end])
    ]


def joined(text, left, right):
    """Whether two tokens sit side by side in one name: a space between them, or nothing."""
    return text[left[2] : right[1]] in ("", " ", "\u00a0")


def capitalised_runs(document):
    """Runs of capitalised words joined by particles, and names an organisation word leads."""
    text = document.text
    for sentence_start, sentence_end in document.sentences:
        tokens = tokens_of(text, sentence_start, sentence_end)
        if is_heading(text[sentence_start:sentence_end], [token[0] for token in tokens]):
            continue
        run = []
        for index, token in enumerate(tokens):
            word = token[0]
            next_word = tokens[index + 1][0] if index + 1 < len(tokens) else ""
            leads = is_organisation_word(word) and next_word and is_particle(next_word)
            in_name = is_capitalised(word) or is_particle(word) or leads
            if run and (not in_name or not joined(text, run[-1], token)):
                yield from names_in_run(document, run, sentence_start)
                run = []
            if in_name:
                run.append(token)
        if run:
            yield from names_in_run(document, run, sentence_start)


def names_in_run(document, run, sentence_start):
    """The names a run of name-like tokens holds: trimmed, and cut where "and" joins two.

    "and" joins two names when "the" or an organisation word follows it ("ABA Technology Group
    and the Moroccan ... Cluster"), or when a single word precedes it ("Mediot and Nextcor");
    within a name it follows particles ("Ministry of Industry and Trade").
    """
    parts, part = [], []
    for index, token in enumerate(run):
        following = run[index + 1][0] if index + 1 < len(run) else ""
        if (
            folded(token[0]) in CONJUNCTIONS
            and following
            and (
                folded(following) in DETERMINERS
                or is_organisation_word(following)
                or not any(is_particle(word) for word, _, _ in part[1:])
            )
        ):
            parts.append(part)
            part = []
            continue
        part.append(token)
    parts.append(part)
    for part in parts:
        # Leading common words ("The", "Le", a sentence's first word) and particles go.
        while part and (
            is_particle(part[0][0])
            or folded(part[0][0]) in STOP_WORDS
            or (document.starts_sentence(part[0]) and document.common_word(part[0][0]))
            # "Later the Fondation ...": a name's first word is not followed by "the".
            or (len(part) > 1 and folded(part[1][0]) in DETERMINERS)
        ):
            part = part[1:]
        while part and is_particle(part[-1][0]):
            part = part[:-1]
        names = [token for token in part if not is_particle(token[0])]
        # "Minister of Industry and Trade" is a person's role, not a name.
        if len(names) < 2 or folded(names[0][0]) in ROLE_WORDS:
            continue
        start, end = part[0][1], part[-1][2]
        kind, sure = kind_of(document, part, start, end)
        yield candidate(document, start, end, kind, rank=1, sure=sure)


def kind_of(document, part, start, end):
    """The kind of name a run is, and whether the run's words say so (else a guess)."""
    words = [token[0] for token in part]
    if any(is_organisation_word(word) for word in words):
        return ORGANISATION, True
    if looks_like_person(document, words, start, end):
        return PERSON, True
    return ORGANISATION, False


def looks_like_person(document, words, start, end):
    text = document.text
    sentence_start, sentence_end = document.sentence_of(start)
    if TITLE_BEFORE.search(text[max(sentence_start, start - 12) : start]):
        return True
    if len(words) > 4 or any(is_particle(word) or word.isupper() for word in words):
        return False
    before = [folded(word) for word in TOKEN.findall(text[max(sentence_start, start - 60) : start])]
    after = [folded(word) for word in TOKEN.findall(text[end : min(sentence_end, end + 40)])]
    return bool(ROLE_WORDS.intersection(before[-8:])) or bool(
        text[end : end + 2] == ", " and ROLE_WORDS.intersection(after[:4])
    )


def acronyms(document):
    for match in ACRONYM.finditer(document.text):
        word = match.group()
        if word in NOT_ACRONYMS or sum(char.isupper() for char in word) < 2:
            continue
        yield candidate(document, match.start(), match.end(), ORGANISATION, rank=1)


def acronym_long_forms(document):
    """The words an acronym in parentheses stands for, matched by their initials."""
    text = document.text
    for match in ACRONYM_IN_PARENTHESES.finditer(text):
        letters = [folded(char) for char in match.group(1) if char.isupper()]
        sentence_start, _ = document.sentence_of(match.start())
        tokens = tokens_of(text, sentence_start, match.start())
        if len(letters) < 2 or not tokens or text[tokens[-1][2] : match.start()].strip():
            continue
        position, skipped, start = len(letters) - 1, 0, None
        for index in range(len(tokens) - 1, -1, -1):
            word = tokens[index][0]
            if index < len(tokens) - 1 and not joined(text, tokens[index], tokens[index + 1]):
                break
            if is_particle(word):
                continue
            if folded(word)[0] == letters[position]:
                position -= 1
                if position < 0:
                    start = tokens[index][1]
                    break
            else:
                skipped += 1
                if skipped > 2:
                    break
        if start is not None:
            end = tokens[-1][2]
            yield candidate(document, start, end, ORGANISATION, rank=0)


@functools.cache
def french_pipeline():
    """spaCy's small French pipeline, its entity recogniser only; loaded once per process."""
    import spacy

    return spacy.load(
        "fr_core_news_sm", exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"]
    )


def recognised_entities(document):
    """spaCy's people and organisations, trimmed to the shape of a name."""
    text = document.text[:ENTITY_RECOGNISER_MAX_CHARS]
    for entity in french_pipeline()(text).ents:
        if "\n" in entity.text:
            continue
        tokens = tokens_of(document.text, entity.start_char, entity.end_char)
        while tokens and (is_particle(tokens[0][0]) or folded(tokens[0][0]) in STOP_WORDS):
            tokens = tokens[1:]
        if not tokens:
            continue
        # A capitalised organisation word may lead a name that goes on in lower case
        # ("Association marocaine des groupes de santé"); a lower-case one needs capitals.
        led_by_organisation_word = is_organisation_word(tokens[0][0])
        goes_on_in_lower_case = led_by_organisation_word and tokens[0][0][0].isupper()
        if entity.label_ not in ("PER", "ORG") and not led_by_organisation_word:
            continue
        # A name ends where "et l'..." joins another, or (unless it may go on in lower case)
        # at its first word that is neither capitalised nor a particle.
        for index, token in enumerate(tokens):
            following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
            joins_another = folded(token[0]) in CONJUNCTIONS and (
                folded(following) in DETERMINERS
                or is_organisation_word(following)
                or not any(is_particle(word) for word, _, _ in tokens[:index])
            )
            lower_case = not (is_capitalised(token[0]) or is_particle(token[0]))
            if index and (joins_another or (lower_case and not goes_on_in_lower_case)):
                tokens = tokens[:index]
                break
        while tokens and is_particle(tokens[-1][0]):
            tokens = tokens[:-1]
        names = [token for token in tokens if not is_particle(token[0])]
        if not names or not (names[0][0][0].isupper() or led_by_organisation_word):
            continue
        if len(names) == 1 and (
            len(names[0][0]) < 3
            or document.common_word(names[0][0])
            or names[0][0].isupper()
            or is_organisation_word(names[0][0])
        ):
            continue
        kind = PERSON if entity.label_ == "PER" and not led_by_organisation_word else ORGANISATION
        yield candidate(document, tokens[0][1], tokens[-1][2], kind, rank=2)


def candidate(document, start, end, kind, rank, sure=True):
    text = document.text[start:end]
    return {"kind": kind, "text": text, "start": start, "end": end, "rank": rank, "sure": sure}


# The "possibly new" panel and the dismiss action ------------------------------------------

PERMISSION = "tracker.add_citation"
# A page lists this many proposals at most: a long page can hold thousands of names.
PANEL_SHOWN = 100


def create_url(source, proposal):
    """The desk's form creating the proposed record, prefilled, citing its sentence."""
    query = urlencode(
        {
            "start": proposal["sentence_start"],
            "end": proposal["sentence_end"],
            "name": proposal["text"],
        }
    )
    return f"{source.get_absolute_url()}desk/new/{proposal['kind']}/?{query}"


def panel(source, user):
    """What the source page's "possibly new" panel shows `user`, or None for readers."""
    if not user.has_perm(PERMISSION):
        return None
    proposals = propose(source)
    shown = proposals[:PANEL_SHOWN]
    for proposal in shown:
        # Offered only to those who may add that kind of record; dismissing is for all editors.
        may_create = user.has_perm(f"tracker.add_{proposal['kind']}")
        proposal["create_url"] = create_url(source, proposal) if may_create else None
    return {
        "proposals": shown,
        "not_shown": len(proposals) - len(shown),
        "recogniser_used": entity_recogniser_used(source),
        "dismiss_url": reverse("tracker:proposal-dismiss", kwargs={"slug": source.slug}),
    }


class DismissForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=DISMISSED_NAME_LENGTH)

    def clean_name(self):
        name = fold(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Give the name to dismiss."))
        if len(name) > DISMISSED_NAME_LENGTH:
            raise forms.ValidationError(
                _("A name to dismiss has at most %(limit)d characters.")
                % {"limit": DISMISSED_NAME_LENGTH}
            )
        return name


class ProposalsView(PermissionRequiredMixin, View):
    """The "possibly new" panel of one source, on a page of its own.

    Finding names can take seconds the first time a process loads the language model, so the
    source page never waits for it: it links here, and its script puts this panel in place.
    """

    permission_required = PERMISSION
    raise_exception = True

    def get(self, request, slug):
        source = get_object_or_404(Source, slug=slug)
        return render(request, "tracker/source_proposals.html", {"source": source})


class DismissView(PermissionRequiredMixin, View):
    """Dismiss a proposed name for one source: it is not proposed there again."""

    permission_required = PERMISSION
    raise_exception = True

    def post(self, request, slug):
        source = get_object_or_404(Source, slug=slug)
        form = DismissForm(request.POST)
        if not form.is_valid():
            errors = " ".join(" ".join(messages) for messages in form.errors.values())
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        DismissedProposal.objects.get_or_create(
            source=source, name=form.cleaned_data["name"], defaults={"dismissed_by": request.user}
        )
        return redirect(f"{source.get_absolute_url()}#proposals")
