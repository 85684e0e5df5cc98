"""A realistic synthetic dataset, for measuring the tracker at the size a deployment reaches.

Organisations carry French, English and Arabic-transliterated names and acronyms; agreements
bind two to six of them; commitments are made only by parties of their agreement; every
citation quotes a sentence that its source's generated text really contains (an article is
written from the sentences that cite the records it reports on, plus context sentences).

Everything is drawn from one `random.Random(seed)` (and Faker instances seeded from it) and
never from the order of a set or dict of strings, so the same seed and sizes give the same
data. Records are built with the factory-boy factories of `tracker/devtools/factories.py`
(`.build()`, no query), then written with `bulk_create` in batches with their history rows,
the way the admin would have recorded each creation.
"""

import bisect
import copy
import datetime
import itertools
import random
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from tracker import ingest, models
from tracker.choices import (
    AgreementKind,
    AgreementStatus,
    ClaimField,
    CommitmentCategory,
    CommitmentStatus,
    DatePrecision,
    Language,
    LinkKind,
    NameKind,
    OrganisationKind,
    PartyRole,
)
from tracker.claims import PartialDate
from tracker.data_version import changed_on_commit
from tracker.reports import follow_reports_in_bulk
from tracker.text import fold

# Dates are drawn inside a fixed window, not around today, so a seed means the same data on
# any day the generator runs.
FIRST_DAY = datetime.date(2008, 1, 1)
LAST_DAY = datetime.date(2025, 6, 30)

INSERT_CHUNK = 2000

REPORT_FR = {
    CommitmentStatus.ANNOUNCED: "engagement annoncé",
    CommitmentStatus.IN_PROGRESS: "travaux en cours",
    CommitmentStatus.MET: "engagement tenu",
    CommitmentStatus.PARTLY_MET: "engagement tenu en partie",
    CommitmentStatus.NOT_MET: "engagement non tenu",
    CommitmentStatus.UNKNOWN: "état inconnu",
}

CITIES = [
    "Casablanca",
    "Rabat",
    "Tanger",
    "Fès",
    "Marrakech",
    "Agadir",
    "Oujda",
    "Kénitra",
    "Meknès",
    "Tétouan",
    "El Jadida",
    "Laâyoune",
    "Dakhla",
    "Béni Mellal",
    "Settat",
    "Mohammedia",
    "Salé",
    "Safi",
    "Nador",
    "Errachidia",
    "Khouribga",
    "Berrechid",
]
REGIONS = [
    "Casablanca-Settat",
    "Rabat-Salé-Kénitra",
    "Tanger-Tétouan-Al Hoceïma",
    "Fès-Meknès",
    "Marrakech-Safi",
    "Souss-Massa",
    "l'Oriental",
    "Béni Mellal-Khénifra",
    "Drâa-Tafilalet",
    "Guelmim-Oued Noun",
    "Laâyoune-Sakia El Hamra",
    "Dakhla-Oued Ed-Dahab",
]
# (French with its article, English, Arabic transliteration)
DOMAINS = [
    ("des dispositifs médicaux", "medical devices", "al ajhiza at-tibbiya"),
    ("des industries médicales", "medical industries", "as-sinaat at-tibbiya"),
    ("de la santé numérique", "digital health", "as-siha ar-raqmiya"),
    ("du diagnostic in vitro", "in vitro diagnostics", "at-tashkhis al mukhtabari"),
    ("de l'imagerie médicale", "medical imaging", "at-taswir at-tibbi"),
    ("du génie biomédical", "biomedical engineering", "al handasa al bayulujiya at-tibbiya"),
    ("des équipements hospitaliers", "hospital equipment", "at-tajhizat al moustachfaiya"),
    ("de l'orthopédie", "orthopaedics", "jirahat al idam"),
    ("de la stérilisation", "sterilisation", "at-ta'qim"),
    ("des technologies de santé", "health technologies", "tiknulujiyat as-siha"),
    ("des consommables médicaux", "medical consumables", "al mustahlakat at-tibbiya"),
]
STEMS = [
    "Al Amal",
    "Nour",
    "Atlas",
    "Sahara",
    "Al Boraq",
    "Maghreb",
    "Al Massira",
    "Yasmine",
    "Anfa",
    "Zitoune",
    "Argane",
    "Salam",
    "Chifa",
    "Dar Essalam",
    "Al Andalous",
    "Rif",
    "Souss",
    "Tafilalet",
    "Kenz",
    "Menara",
    "Ibn Sina",
    "Al Farabi",
    "Ibn Rochd",
    "Ibn Khaldoun",
    "Al Kindy",
    "Al Azhar",
    "Ennour",
    "Al Hayat",
    "Riad",
    "Agdal",
    "Badr",
    "Al Madina",
    "Annakhil",
    "Oudayas",
    "Al Wahda",
    "Tawfiq",
    "Al Boustane",
    "Al Fajr",
    "Najma",
    "Assafa",
]
COMPANY_WORDS = [
    ("Médical", "Medical"),
    ("Biomédical", "Biomedical"),
    ("Santé", "Health"),
    ("Diagnostic", "Diagnostics"),
    ("Imagerie", "Imaging"),
    ("Orthopédie", "Orthopaedics"),
    ("Implants", "Implants"),
    ("Stérilisation", "Sterilisation"),
    ("Équipements", "Equipment"),
    ("Technologies Médicales", "Medical Technologies"),
    ("Lab", "Lab"),
    ("Pharma", "Pharma"),
]
COMPANY_SUFFIXES = ["SARL", "SA", "SARL AU", "Group", "Industries", "Maroc", "Technologies"]
ASSOCIATION_TYPES = [
    ("Association marocaine", "Moroccan Association", "Al Jamiya al Maghribiya"),
    ("Fédération nationale", "National Federation", "Al Jamiaa al Wataniya"),
    ("Union professionnelle", "Professional Union", "Al Ittihad al Mihani"),
    ("Réseau marocain", "Moroccan Network", "Ash-Shabaka al Maghribiya"),
    ("Chambre syndicale", "Trade Chamber", "Al Ghurfa an-Niqabiya"),
    ("Association des professionnels", "Association of Professionals", "Jamiyat al Mihniyin"),
]
UNIVERSITIES = [
    "Mohammed V",
    "Hassan II",
    "Cadi Ayyad",
    "Ibn Zohr",
    "Abdelmalek Essaâdi",
    "Sidi Mohamed Ben Abdellah",
    "Mohammed Premier",
    "Ibn Tofaïl",
    "Chouaïb Doukkali",
    "Moulay Ismaïl",
    "Sultan Moulay Slimane",
    "Hassan Ier",
    "Euromed",
    "Mundiapolis",
]
MINISTRIES = [
    (
        "Ministère de la Santé et de la Protection sociale",
        "Ministry of Health and Social Protection",
        "MSPS",
    ),
    ("Ministère de l'Industrie et du Commerce", "Ministry of Industry and Trade", "MIC"),
    ("Ministère de l'Économie et des Finances", "Ministry of Economy and Finance", "MEF"),
    (
        "Ministère de l'Enseignement supérieur et de la Recherche scientifique",
        "Ministry of Higher Education and Scientific Research",
        "MESRSI",
    ),
    ("Ministère de l'Investissement et de la Convergence", "Ministry of Investment", "MIC-I"),
    ("Ministère de la Transition numérique", "Ministry of Digital Transition", "MTNRA"),
    ("Ministère de l'Intérieur", "Ministry of the Interior", "MI"),
    ("Ministère des Affaires étrangères", "Ministry of Foreign Affairs", "MAECAMRE"),
]
OUTLETS = [
    "Le Matin",
    "L'Économiste",
    "Médias24",
    "Le360",
    "TelQuel",
    "La Vie éco",
    "LesEco.ma",
    "Aujourd'hui le Maroc",
    "Challenge",
    "H24info",
    "Finances News Hebdo",
    "Maroc Diplomatique",
    "Morocco World News",
    "Hespress FR",
    "Industries du Maroc",
]
FIRST_NAMES = [
    "Mohamed",
    "Ahmed",
    "Youssef",
    "Karim",
    "Hicham",
    "Rachid",
    "Omar",
    "Saïd",
    "Abdelkader",
    "Mehdi",
    "Amine",
    "Driss",
    "Hassan",
    "Khalid",
    "Nabil",
    "Anas",
    "Othmane",
    "Hamza",
    "Reda",
    "Adil",
    "Jamal",
    "Mustapha",
    "Abdellatif",
    "Taoufik",
    "Yassine",
    "Fatima Zahra",
    "Khadija",
    "Nadia",
    "Salma",
    "Meriem",
    "Samira",
    "Leïla",
    "Houda",
    "Imane",
    "Asmae",
    "Loubna",
    "Ghita",
    "Sanaa",
    "Hajar",
    "Zineb",
    "Kenza",
    "Nawal",
    "Btissam",
    "Hanane",
    "Amal",
    "Siham",
    "Latifa",
    "Rajae",
    "Wafae",
    "Ikram",
]
LAST_NAMES = [
    "Alaoui",
    "El Alami",
    "Bennani",
    "Benjelloun",
    "Tazi",
    "Berrada",
    "El Idrissi",
    "Lahlou",
    "Chraïbi",
    "Fassi-Fihri",
    "Benkirane",
    "Amrani",
    "El Mansouri",
    "Ouazzani",
    "Kettani",
    "Sefrioui",
    "Benali",
    "Cherkaoui",
    "Hajji",
    "Zniber",
    "Guessous",
    "Squalli",
    "El Fassi",
    "Bouzidi",
    "Naciri",
    "Rahmouni",
    "Belhaj",
    "Essaadi",
    "Aït Ouahmane",
    "Aït Benhaddou",
    "Amzil",
    "Boutaleb",
    "Mernissi",
    "Slaoui",
    "Sbaï",
    "Kadiri",
    "Ziani",
    "Tahiri",
    "El Ouafi",
    "Daoudi",
    "Jabri",
    "Lamrani",
    "Skalli",
    "Bennis",
    "Filali",
    "Haddaoui",
    "Mouline",
    "Tounsi",
    "Zouhair",
    "Belkadi",
]
TITLES = {
    OrganisationKind.MINISTRY: [
        ("Ministre", "Minister"),
        ("Secrétaire général", "Secretary General"),
        ("Directeur de la pharmacie", "Director of Pharmacy"),
    ],
    OrganisationKind.PUBLIC_AGENCY: [
        ("Directeur général", "Director General"),
        ("Directrice", "Director"),
    ],
    OrganisationKind.CLUSTER: [
        ("Président", "Chair"),
        ("Directrice exécutive", "Executive Director"),
    ],
    OrganisationKind.COMPANY: [
        ("Directeur général", "Chief Executive Officer"),
        ("Responsable des affaires réglementaires", "Head of Regulatory Affairs"),
        ("Présidente du directoire", "Chair of the Board"),
    ],
    OrganisationKind.ASSOCIATION: [
        ("Président", "President"),
        ("Secrétaire générale", "Secretary General"),
    ],
    OrganisationKind.FOUNDATION: [("Présidente", "President"), ("Directeur", "Director")],
    OrganisationKind.CLINIC: [
        ("Directeur médical", "Medical Director"),
        ("Directrice", "Director"),
    ],
    OrganisationKind.UNIVERSITY: [("Président", "President"), ("Doyen", "Dean")],
    OrganisationKind.MEDIA: [("Rédacteur en chef", "Editor in Chief")],
    OrganisationKind.OTHER: [("Coordinateur", "Coordinator")],
}
AGREEMENT_KINDS = {
    AgreementKind.PARTNERSHIP: ("une", "convention de partenariat", "a", "partnership agreement"),
    AgreementKind.MEMORANDUM: ("un", "mémorandum d'entente", "a", "memorandum of understanding"),
    AgreementKind.FRAMEWORK: ("un", "accord-cadre", "a", "framework agreement"),
    AgreementKind.CONTRACT: ("un", "contrat-programme", "a", "programme contract"),
    AgreementKind.OTHER: ("une", "déclaration d'intention", "a", "letter of intent"),
}
PURPOSES = [
    (
        "le développement de la filière des dispositifs médicaux",
        "developing the medical-device industry",
    ),
    ("la formation des ingénieurs biomédicaux", "training biomedical engineers"),
    ("la certification des produits fabriqués localement", "certifying locally made products"),
    ("la création d'une plateforme d'essais cliniques", "setting up a clinical-trials platform"),
    ("l'intégration industrielle locale", "local industrial integration"),
    ("la maintenance des équipements hospitaliers", "maintaining hospital equipment"),
    ("la recherche et l'innovation en santé", "health research and innovation"),
    ("l'export vers l'Afrique subsaharienne", "exports to sub-Saharan Africa"),
    ("la digitalisation du parcours de soins", "digitising the care pathway"),
    ("la production locale de consommables médicaux", "local production of medical consumables"),
    ("la souveraineté sanitaire du Royaume", "the Kingdom's health sovereignty"),
    ("l'accueil d'investissements étrangers", "attracting foreign investment"),
]
ROLES = {
    PartyRole.SIGNATORY: ("signataire", "a signatory"),
    PartyRole.PATRON: ("parrain de l'accord", "patron of the agreement"),
    PartyRole.WITNESS: ("témoin", "a witness"),
    PartyRole.IMPLEMENTER: ("partenaire de mise en œuvre", "an implementing partner"),
    PartyRole.BENEFICIARY: ("bénéficiaire", "a beneficiary"),
}
COMMITMENTS = {
    CommitmentCategory.SUPPORT: (
        "{party} s'engage à accompagner {n} entreprises {domain} dans leur mise à niveau.",
        "{party} will support {n} companies in {domain_en} in upgrading their plants.",
    ),
    CommitmentCategory.EXPERTISE: (
        "{party} mettra son expertise {domain} à la disposition des partenaires de {city}.",
        "{party} will share its expertise in {domain_en} with the partners in {city}.",
    ),
    CommitmentCategory.CERTIFICATION: (
        "{party} accompagnera la certification ISO 13485 de {n} fabricants locaux.",
        "{party} will help {n} local manufacturers obtain ISO 13485 certification.",
    ),
    CommitmentCategory.MARKET_AUTHORISATION: (
        "{party} s'engage à ramener à {n} jours le délai d'enregistrement des dispositifs "
        "fabriqués au Maroc.",
        "{party} will cut the registration time of devices made in Morocco to {n} days.",
    ),
    CommitmentCategory.PROCUREMENT: (
        "{party} réservera {n} % de ses achats {domain} aux fabricants marocains.",
        "{party} will reserve {n}% of its purchases of {domain_en} for Moroccan manufacturers.",
    ),
    CommitmentCategory.INFRASTRUCTURE: (
        "{party} financera un laboratoire d'essais {domain} à {city}.",
        "{party} will fund a testing laboratory for {domain_en} in {city}.",
    ),
    CommitmentCategory.FUNDING: (
        "{party} mobilisera {n} millions de dirhams pour {purpose}.",
        "{party} will commit MAD {n} million to {purpose_en}.",
    ),
    CommitmentCategory.OTHER: (
        "{party} organisera chaque année à {city} une journée {domain}.",
        "{party} will hold a yearly day on {domain_en} in {city}.",
    ),
}
BENEFICIARIES_IN_WORDS = [
    "les fabricants locaux",
    "les start-ups de la e-santé",
    "les hôpitaux publics de la région",
    "local manufacturers",
    "young biomedical engineers",
    "rural health centres",
]
OPINIONS = [
    (
        "cet accord marque une étape décisive pour le secteur",
        "this agreement marks a turning point for the sector",
    ),
    (
        "la production locale réduira la dépendance aux importations",
        "local production will cut the reliance on imports",
    ),
    (
        "les délais d'homologation restent le principal frein",
        "approval times remain the main obstacle",
    ),
    ("le Maroc peut devenir une plateforme régionale", "Morocco can become a regional hub"),
]
FILLERS = (
    [
        "Le secteur des dispositifs médicaux compte près de {n} entreprises au Maroc.",
        "Les importations couvrent encore {p} % des besoins du marché national.",
        "La cérémonie s'est tenue à {city} en présence de nombreux représentants du secteur.",
        "Les partenaires se réuniront à nouveau d'ici {m} mois pour faire le point.",
        "Cette initiative s'inscrit dans la stratégie nationale de souveraineté sanitaire.",
        "Le marché marocain des dispositifs médicaux est estimé à {m} milliards de dirhams.",
        "Plusieurs start-ups de la e-santé ont présenté leurs solutions à cette occasion.",
        "Un comité de suivi se réunira tous les {m} mois.",
    ],
    [
        "Morocco's medical-device sector counts some {n} companies.",
        "Imports still cover {p}% of the national market.",
        "The ceremony took place in {city} before many representatives of the sector.",
        "The partners will meet again within {m} months to take stock.",
        "The initiative is part of the national strategy for health sovereignty.",
        "The Moroccan medical-device market is worth an estimated MAD {m} billion.",
        "Several digital-health start-ups presented their products on the occasion.",
        "A steering committee will meet every {m} months.",
    ],
)
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SMALL_WORDS = {
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "l",
    "d",
    "et",
    "en",
    "pour",
    "of",
    "the",
    "and",
    "for",
    "in",
    "al",
    "an",
    "as",
    "at",
    "ar",
    "ash",
    "li",
}


@dataclass
class Sizes:
    organisations: int = 10_000
    people: int = 8_000
    agreements: int = 20_000
    commitments: int = 100_000
    citations: int = 200_000
    sources: int = 5_000
    links: int | None = None  # one per organisation unless told

    def problems(self):
        """What is wrong with these sizes, in words a user can act on."""
        found = [
            f"--{name} must be zero or more, not {value}."
            for name, value in vars(self).items()
            if value is not None and value < 0
        ]
        if found:
            return found
        if self.agreements and self.organisations < 2:
            found.append("Agreements need parties: give --organisations 2 or more.")
        if self.commitments and not self.agreements:
            found.append("Commitments belong to agreements: give --agreements 1 or more.")
        if self.citations and not self.sources:
            found.append("Citations quote sources: give --sources 1 or more.")
        if self.links and self.organisations < 2:
            found.append("Links join two organisations: give --organisations 2 or more.")
        return found


def acronym_of(name):
    words = [w for w in name.replace("'", " ").replace("-", " ").split() if w]
    letters = [w[0] for w in words if w.lower() not in SMALL_WORDS and w[0].isalpha()]
    return fold("".join(letters)).upper()[:12]


def date_fr(day, precision=DatePrecision.DAY):
    if precision == DatePrecision.YEAR:
        return f"en {day.year}"
    if precision == DatePrecision.MONTH:
        return f"en {MONTHS_FR[day.month - 1]} {day.year}"
    return f"le {day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def date_en(day, precision=DatePrecision.DAY):
    if precision == DatePrecision.YEAR:
        return f"in {day.year}"
    if precision == DatePrecision.MONTH:
        return f"in {MONTHS_EN[day.month - 1]} {day.year}"
    return f"on {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def join_names(names, conjunction):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


class SlugMaker:
    """Unique slugs per model, numbered on collision, aware of rows already stored."""

    def __init__(self, taken=()):
        self.taken = set(taken)

    def __call__(self, text, max_length):
        base = slugify(text)[: max_length - 8].strip("-") or "record"
        slug, n = base, 1
        while slug in self.taken:
            n += 1
            slug = f"{base}-{n}"
        self.taken.add(slug)
        return slug


@dataclass
class OrgFacts:
    """What the generator knows of an organisation beyond its row: used to write about it."""

    record: models.Organisation
    city: str
    english: str
    short: str
    people: list = field(default_factory=list)  # (person, title) pairs, current positions


def write_history(model, pks, date, reason="Generated synthetic data"):
    """The `+` history row of each record of `pks`, copied from its row in SQL, as
    django-simple-history's `bulk_history_create` writes it from the instance: that makes a
    Python object of each row and compiles its every value (244 s of the default size's
    generation, profiled)."""
    history = model.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in history.tracked_fields)
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', NULL FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} IN ({placeholders})",
            [connection.ops.adapt_datetimefield_value(date), reason, *pks],
        )


class Generator:
    """Builds the dataset in memory with the factories, then writes it in bulk."""

    def __init__(self, sizes, seed=0, progress=None, append=False):
        from . import factories  # the factories the tests use; see the module docstring

        self.factories = factories
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.faker_fr = Faker("fr_FR")
        self.faker_en = Faker("en_GB")
        self.faker_fr.seed_instance(seed)
        self.faker_en.seed_instance(seed + 1)
        self.progress = progress or (lambda desc, total: _NoBar())
        self.history_date = timezone.now()
        self.counts = {}
        taken = {}
        if append:
            for model in (
                models.Organisation,
                models.Person,
                models.Agreement,
                models.Commitment,
                models.Source,
            ):
                taken[model] = model.objects.values_list("slug", flat=True)
        self.slugs = {
            model: SlugMaker(taken.get(model, ()))
            for model in (
                models.Organisation,
                models.Person,
                models.Agreement,
                models.Commitment,
                models.Source,
            )
        }

    # ---- writing -----------------------------------------------------------------------

    def insert(self, model, rows, label):
        """bulk_create in chunks, each followed by the history rows of what it created."""
        bar = self.progress(label, len(rows))
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            model.objects.bulk_create(chunk)
            write_history(model, [row.pk for row in chunk], self.history_date)
            bar.update(len(chunk))
        bar.close()
        self.counts[model._meta.verbose_name_plural] = len(rows)

    # ---- the dataset -------------------------------------------------------------------

    def run(self):
        with transaction.atomic():
            self.make_sources()
            self.make_organisations()
            self.make_links()
            self.make_people()
            self.make_agreements()
            self.make_commitments()
            self.make_reports()
            self.make_citations()
            self.write_sources()
            self.insert(models.Citation, self.citations, "citations")
            # Reports were written in bulk, without the signal that makes each commitment
            # follow its latest one.
            follow_reports_in_bulk(
                models.Commitment.objects.filter(pk__in=[c.pk for _p, c in self.commitments])
            )
            # bulk_create sends no signals: the names each source mentions are found here,
            # and what is cached from the data before must go.
            self.counts[models.Mention._meta.verbose_name_plural] = self.find_mentions()
            # ...and so is each source's fingerprint, by which a source added later is
            # recognised as one already there.
            self.counts[models.SourceFingerprint._meta.verbose_name_plural] = (
                ingest.fingerprint_all()
            )
            changed_on_commit()
        return self.counts

    def find_mentions(self):
        """Store the mentions of every source (names new here may occur in older ones too)."""
        from tracker import mentions

        mentions.names_changed()
        mentions.refresh_all()
        return models.Mention.objects.count()

    def day_between(self, first, last):
        return first + datetime.timedelta(days=self.rng.randrange((last - first).days + 1))

    def make_sources(self):
        """Sources get their language now and their text once we know what they cite."""
        rng = self.rng
        self.source_plans = []
        for _ in range(self.sizes.sources):
            language = rng.choices(
                [Language.FRENCH, Language.ENGLISH, Language.MIXED], [70, 20, 10]
            )[0]
            self.source_plans.append({"language": language, "sentences": [], "agreements": []})

    def make_organisations(self):
        rng, f = self.rng, self.factories
        kinds = [
            (OrganisationKind.COMPANY, 52),
            (OrganisationKind.CLINIC, 10),
            (OrganisationKind.ASSOCIATION, 9),
            (OrganisationKind.PUBLIC_AGENCY, 8),
            (OrganisationKind.UNIVERSITY, 6),
            (OrganisationKind.FOUNDATION, 5),
            (OrganisationKind.CLUSTER, 3),
            (OrganisationKind.MEDIA, 3),
            (OrganisationKind.OTHER, 3),
            (OrganisationKind.MINISTRY, 1),
        ]
        kind_values, kind_weights = zip(*kinds, strict=False)
        used_names = set()
        self.orgs, self.other_names = [], []
        for _ in range(self.sizes.organisations):
            kind = rng.choices(kind_values, kind_weights)[0]
            for _attempt in range(6):
                kind_made, names = self.organisation_names(kind)
                if names[0] not in used_names:
                    break
                kind = OrganisationKind.COMPANY  # the small pools (ministries…) run out
            french, english, arabic, acronym, city = names
            used_names.add(french)
            organisation = f.OrganisationFactory.build(
                name=french,
                slug=self.slugs[models.Organisation](
                    acronym + " " + french if acronym else french, 100
                ),
                acronym=acronym,
                kind=kind_made,
                country="MA"
                if rng.random() < 0.93
                else rng.choice(["FR", "ES", "DE", "US", "SN", "CI"]),
                description=f"{kind_made.label} — {city}.",
                founded_on=self.day_between(datetime.date(1956, 1, 1), LAST_DAY)
                if rng.random() < 0.5
                else None,
                founded_on_precision=DatePrecision.YEAR,
            )
            if organisation.founded_on:
                organisation.founded_on = organisation.founded_on.replace(month=1, day=1)
            other = []
            if english and english != french:
                other.append((english, NameKind.TRANSLATION, Language.ENGLISH))
                english_acronym = acronym_of(english)
                if acronym and len(english_acronym) > 1 and english_acronym != acronym:
                    other.append((english_acronym, NameKind.ACRONYM, Language.ENGLISH))
            if arabic and rng.random() < 0.6:
                other.append((arabic, NameKind.VARIANT, Language.ARABIC))
            if rng.random() < 0.08:
                other.append(
                    (
                        f"{french.split(' ')[0]} {rng.choice(STEMS)}",
                        NameKind.FORMER,
                        Language.FRENCH,
                    )
                )
            seen = {french}
            for name, name_kind, language in other:
                if name in seen:
                    continue
                seen.add(name)
                self.other_names.append(
                    f.OrganisationNameFactory.build(
                        organisation=organisation,
                        name=name[:300],
                        kind=name_kind,
                        language=language,
                    )
                )
            # Sorted: a set's order of strings changes from one process to the next.
            organisation.search_text = fold(
                " | ".join(n for n in [french, acronym, *sorted(seen - {french})] if n)
            )
            self.orgs.append(OrgFacts(organisation, city, english or french, acronym or french))
        self.insert(models.Organisation, [o.record for o in self.orgs], "organisations")
        self.insert(models.OrganisationName, self.other_names, "other names")
        # Agreements gather around ministries, agencies and clusters more than companies.
        weight = {
            OrganisationKind.MINISTRY: 60,
            OrganisationKind.PUBLIC_AGENCY: 12,
            OrganisationKind.CLUSTER: 25,
            OrganisationKind.ASSOCIATION: 6,
            OrganisationKind.UNIVERSITY: 4,
            OrganisationKind.FOUNDATION: 3,
        }
        self.org_cum_weights = list(
            itertools.accumulate(weight.get(o.record.kind, 1) for o in self.orgs)
        )

    def organisation_names(self, kind):
        """(kind, (French, English, Arabic transliteration, acronym, city)) for a new body."""
        rng = self.rng
        city = rng.choice(CITIES)
        domain_fr, domain_en, domain_ar = rng.choice(DOMAINS)
        if kind == OrganisationKind.MINISTRY:
            french, english, acronym = rng.choice(MINISTRIES)
            return kind, (french, english, "Wizarat " + acronym.title(), acronym, "Rabat")
        if kind == OrganisationKind.ASSOCIATION:
            type_fr, type_en, type_ar = rng.choice(ASSOCIATION_TYPES)
            region = rng.choice(REGIONS)
            french = f"{type_fr} {domain_fr} de {region}"
            english = f"{type_en} of {domain_en.title()}, {region}"
            return kind, (french, english, f"{type_ar} li {domain_ar}", acronym_of(french), city)
        if kind == OrganisationKind.CLUSTER:
            french = f"Cluster {domain_fr} de {city}"
            english = f"{city} {domain_en.title()} Cluster"
            return kind, (
                french,
                english,
                f"Al Oumouma {domain_ar}",
                "C" + acronym_of(domain_fr + " " + city),
                city,
            )
        if kind == OrganisationKind.UNIVERSITY:
            pattern = rng.randrange(3)
            if pattern == 0:
                name = rng.choice(UNIVERSITIES)
                return kind, (
                    f"Université {name}",
                    f"{name} University",
                    f"Jamiat {name}",
                    "U" + acronym_of(name),
                    city,
                )
            if pattern == 1:
                return kind, (
                    f"Faculté de médecine et de pharmacie de {city}",
                    f"Faculty of Medicine and Pharmacy of {city}",
                    f"Kulliyat at-tib wa as-saydala bi {city}",
                    f"FMP{city[0]}",
                    city,
                )
            return kind, (
                f"École nationale des sciences appliquées de {city}",
                f"National School of Applied Sciences of {city}",
                f"Al Madrasa al Wataniya lil Ulum at-Tatbiqiya bi {city}",
                f"ENSA {city}",
                city,
            )
        if kind == OrganisationKind.CLINIC:
            stem = rng.choice(STEMS)
            place = rng.choice(
                ["Clinique", "Centre hospitalier", "Polyclinique", "Centre de dialyse"]
            )
            place_en = {
                "Clinique": "Clinic",
                "Centre hospitalier": "Hospital",
                "Polyclinique": "Polyclinic",
                "Centre de dialyse": "Dialysis Centre",
            }[place]
            return kind, (
                f"{place} {stem} {city}",
                f"{stem} {place_en}, {city}",
                f"Mustashfa {stem}",
                "",
                city,
            )
        if kind == OrganisationKind.PUBLIC_AGENCY:
            region = rng.choice(REGIONS)
            pattern = rng.randrange(4)
            if pattern == 0:
                french = f"Centre régional d'investissement de {region}"
                english = f"{region} Regional Investment Centre"
                return kind, (
                    french,
                    english,
                    f"Al Markaz al Jihawi lil Istithmar {region}",
                    "CRI " + region.split("-")[0],
                    city,
                )
            if pattern == 1:
                french = f"Direction régionale de la santé de {region}"
                return kind, (
                    french,
                    f"{region} Regional Health Directorate",
                    f"Al Mudiriya al Jihawiya lis-Siha {region}",
                    "DRS " + region.split("-")[0],
                    city,
                )
            if pattern == 2:
                french = f"Office régional {domain_fr} de {region}"
                return kind, (
                    french,
                    f"{region} Regional Office for {domain_en.title()}",
                    f"Al Maktab al Jihawi li {domain_ar}",
                    acronym_of(french),
                    city,
                )
            french = f"Centre technique {domain_fr} de {city}"
            return kind, (
                french,
                f"{city} Technical Centre for {domain_en.title()}",
                f"Al Markaz at-Tiqni li {domain_ar}",
                acronym_of(french),
                city,
            )
        if kind == OrganisationKind.FOUNDATION:
            stem = rng.choice(STEMS)
            french = f"Fondation {stem} pour la santé"
            return kind, (
                f"{french} à {city}",
                f"{stem} Health Foundation, {city}",
                f"Mouassassat {stem} lis-Siha",
                acronym_of("Fondation " + stem),
                city,
            )
        if kind == OrganisationKind.MEDIA:
            stem = rng.choice(STEMS)
            suffix = rng.choice(["Médias", "Presse", "Info", "FM", "TV", "Santé Magazine"])
            return kind, (f"{stem} {suffix}", "", "", "", city)
        # Companies, and whatever the small pools could not name.
        word_fr, word_en = rng.choice(COMPANY_WORDS)
        founder = rng.choice(LAST_NAMES) if rng.random() < 0.5 else self.faker_fr.last_name()
        stem = rng.choice([rng.choice(STEMS), founder])
        suffix = rng.choice(COMPANY_SUFFIXES)
        french = f"{stem} {word_fr} {suffix}"
        english = f"{stem} {word_en} {suffix}" if word_en != word_fr else ""
        # Company acronyms run syllables together, the way Moroccan firms' names often do.
        acronym = (
            (fold(stem.replace(" ", ""))[:5] + fold(word_fr)[:3]).upper()
            if rng.random() < 0.4
            else ""
        )
        kind = (
            kind
            if kind in (OrganisationKind.COMPANY, OrganisationKind.OTHER)
            else OrganisationKind.COMPANY
        )
        arabic = f"Sharikat {stem} {domain_ar}" if rng.random() < 0.5 else ""
        return kind, (french, english, arabic, acronym, city)

    def make_links(self):
        rng, f = self.rng, self.factories
        count = self.sizes.organisations if self.sizes.links is None else self.sizes.links
        if len(self.orgs) < 2:
            count = 0
        by_kind = {}
        for facts in self.orgs:
            by_kind.setdefault(facts.record.kind, []).append(facts)
        seen, self.links = set(), []
        attempts = 0
        while len(self.links) < count and attempts < count * 5:
            attempts += 1
            source = rng.choice(self.orgs)
            kind_of = source.record.kind
            if kind_of == OrganisationKind.COMPANY and rng.random() < 0.7:
                kind = LinkKind.MEMBER_OF
                pool = by_kind.get(OrganisationKind.ASSOCIATION, []) + by_kind.get(
                    OrganisationKind.CLUSTER, []
                )
            elif kind_of == OrganisationKind.COMPANY:
                kind, pool = LinkKind.SUBSIDIARY_OF, by_kind.get(OrganisationKind.COMPANY, [])
            elif kind_of in (OrganisationKind.PUBLIC_AGENCY, OrganisationKind.UNIVERSITY):
                kind, pool = LinkKind.UNIT_OF, by_kind.get(OrganisationKind.MINISTRY, [])
            else:
                kind, pool = LinkKind.PARTNER_OF, self.orgs
            pool = pool or self.orgs
            target = rng.choice(pool)
            key = (id(source), kind, id(target))
            if target is source or key in seen:
                continue
            seen.add(key)
            started = self.day_between(FIRST_DAY, LAST_DAY) if rng.random() < 0.6 else None
            ended = None
            if started and rng.random() < 0.15:
                ended = self.day_between(started, LAST_DAY)
            self.links.append(
                (
                    source,
                    kind,
                    target,
                    f.OrganisationLinkFactory.build(
                        from_organisation=source.record,
                        to_organisation=target.record,
                        kind=kind,
                        started_on=started,
                        ended_on=ended,
                    ),
                )
            )
        self.insert(models.OrganisationLink, [link[3] for link in self.links], "links")

    def make_people(self):
        rng, f = self.rng, self.factories
        self.people, self.positions = [], []
        for _ in range(self.sizes.people):
            if rng.random() < 0.8:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            else:
                name = (self.faker_fr if rng.random() < 0.6 else self.faker_en).name()
            person = f.PersonFactory.build(name=name, slug=self.slugs[models.Person](name, 100))
            person.search_text = person.compute_search_text()
            self.people.append(person)
        self.insert(models.Person, self.people, "people")
        if not self.orgs:
            return
        seen = set()
        for person in self.people:
            for index in range(1 if rng.random() < 0.75 else 2):
                facts = rng.choice(self.orgs)
                french, english = rng.choice(TITLES[facts.record.kind])
                if (id(person), id(facts), french) in seen:
                    continue
                seen.add((id(person), id(facts), french))
                started = self.day_between(FIRST_DAY, LAST_DAY) if rng.random() < 0.7 else None
                ended = self.day_between(started or FIRST_DAY, LAST_DAY) if index == 1 else None
                position = f.PositionFactory.build(
                    person=person,
                    organisation=facts.record,
                    title=french,
                    started_on=started,
                    ended_on=ended,
                )
                self.positions.append((facts, position, english))
                if ended is None:
                    facts.people.append((person, french, english, position))
        self.insert(models.Position, [p[1] for p in self.positions], "positions")

    def make_agreements(self):
        rng, f = self.rng, self.factories
        statuses = [
            (AgreementStatus.SIGNED, 50),
            (AgreementStatus.IN_FORCE, 20),
            (AgreementStatus.ANNOUNCED, 15),
            (AgreementStatus.COMPLETED, 10),
            (AgreementStatus.TERMINATED, 5),
        ]
        status_values, status_weights = zip(*statuses, strict=False)
        kinds = list(AGREEMENT_KINDS)
        self.agreements, self.parties = [], []
        roles = list(PartyRole)
        for _ in range(self.sizes.agreements):
            wanted = min(rng.choices([2, 3, 4, 5, 6], [45, 25, 15, 10, 5])[0], len(self.orgs))
            chosen = []
            while len(chosen) < wanted:
                facts = self.orgs[
                    bisect.bisect_left(
                        self.org_cum_weights, rng.random() * self.org_cum_weights[-1]
                    )
                ]
                if facts not in chosen:
                    chosen.append(facts)
            source = rng.randrange(self.sizes.sources) if self.sizes.sources else None
            language = (
                self.source_plans[source]["language"] if source is not None else Language.FRENCH
            )
            if language == Language.MIXED:
                language = rng.choice([Language.FRENCH, Language.ENGLISH])
            kind = rng.choice(kinds)
            status = rng.choices(status_values, status_weights)[0]
            signed_on, precision = None, DatePrecision.DAY
            if status != AgreementStatus.ANNOUNCED or rng.random() < 0.3:
                signed_on = self.day_between(FIRST_DAY, LAST_DAY)
                precision = rng.choices(list(DatePrecision), [85, 11, 4])[0]
                if precision == DatePrecision.MONTH:
                    signed_on = signed_on.replace(day=1)
                elif precision == DatePrecision.YEAR:
                    signed_on = signed_on.replace(month=1, day=1)
            purpose_fr, purpose_en = rng.choice(PURPOSES)
            article_fr, kind_fr, _article_en, kind_en = AGREEMENT_KINDS[kind]
            shorts = [c.short for c in chosen]
            if language == Language.ENGLISH:
                title = (
                    f"{kind_en.capitalize()} between {join_names(shorts, 'and')} on {purpose_en}"
                )
                summary = f"The parties agree to work together on {purpose_en}."
            else:
                title = f"{kind_fr.capitalize()} entre {join_names(shorts, 'et')} pour {purpose_fr}"
                summary = f"Les parties s'engagent à coopérer pour {purpose_fr}."
            place = rng.choice(CITIES)
            year = signed_on.year if signed_on else "annonce"
            agreement = f.AgreementFactory.build(
                title=title[:400],
                slug=self.slugs[models.Agreement](f"{kind_en} {' '.join(shorts[:3])} {year}", 100),
                kind=kind,
                status=status,
                signed_on=signed_on,
                signed_on_precision=precision,
                place=place,
                summary=summary,
            )
            agreement.search_text = agreement.compute_search_text()
            parties = []
            for index, facts in enumerate(chosen):
                role = PartyRole.SIGNATORY if index < 2 else rng.choice(roles)
                signer = None
                if role == PartyRole.SIGNATORY and facts.people and rng.random() < 0.6:
                    signer = rng.choice(facts.people)[0]
                party = f.AgreementPartyFactory.build(
                    agreement=agreement, organisation=facts.record, role=role, signed_by=signer
                )
                parties.append((facts, party))
                self.parties.append((facts, party, len(self.agreements)))
            self.agreements.append(
                {
                    "record": agreement,
                    "parties": parties,
                    "source": source,
                    "language": language,
                    "purpose": (purpose_fr, purpose_en),
                    "kind": (article_fr, kind_fr, kind_en),
                }
            )
            if source is not None:
                self.source_plans[source]["agreements"].append(len(self.agreements) - 1)
        self.insert(models.Agreement, [a["record"] for a in self.agreements], "agreements")
        self.insert(models.AgreementParty, [p[1] for p in self.parties], "parties")

    def make_commitments(self):
        rng, f = self.rng, self.factories
        statuses = [
            (CommitmentStatus.ANNOUNCED, 25),
            (CommitmentStatus.IN_PROGRESS, 25),
            (CommitmentStatus.MET, 20),
            (CommitmentStatus.PARTLY_MET, 10),
            (CommitmentStatus.NOT_MET, 10),
            (CommitmentStatus.UNKNOWN, 10),
        ]
        status_values, status_weights = zip(*statuses, strict=False)
        categories = list(COMMITMENTS)
        self.commitments = []
        counters = {}
        met_statuses = {CommitmentStatus.MET, CommitmentStatus.PARTLY_MET}
        for number in range(self.sizes.commitments):
            # Every status appears even in a small run: the first few take each in turn.
            status = (
                status_values[number]
                if number < len(status_values)
                else rng.choices(status_values, status_weights)[0]
            )
            index = rng.randrange(len(self.agreements))
            plan = self.agreements[index]
            agreement = plan["record"]
            facts, _party = rng.choice(plan["parties"])
            others = [p for p in plan["parties"] if p[0] is not facts]
            beneficiary, in_words = None, ""
            draw = rng.random()
            if draw < 0.3 and others:
                beneficiary = rng.choice(others)[0].record
            elif draw < 0.5:
                in_words = rng.choice(BENEFICIARIES_IN_WORDS)
            category = rng.choice(categories)
            domain_fr, domain_en, _ar = rng.choice(DOMAINS)
            template = COMMITMENTS[category][plan["language"] == Language.ENGLISH]
            description = template.format(
                party=facts.short,
                n=rng.choice([5, 10, 15, 20, 30, 50, 90, 120, 200]),
                domain=domain_fr,
                domain_en=domain_en,
                city=rng.choice(CITIES),
                purpose=plan["purpose"][0],
                purpose_en=plan["purpose"][1],
            )
            start = agreement.signed_on or FIRST_DAY
            due_on = (
                start + datetime.timedelta(days=rng.randrange(90, 1500))
                if rng.random() < 0.7
                else None
            )
            met_on = None
            if status in met_statuses and rng.random() < 0.85:
                met_on = self.day_between(start, max(start, LAST_DAY))
            counters[index] = counters.get(index, 0) + 1
            commitment = f.CommitmentFactory.build(
                slug=f"{agreement.slug}-{counters[index]}",
                agreement=agreement,
                party=facts.record,
                beneficiary=beneficiary,
                beneficiary_description=in_words,
                description=description,
                category=category,
                status=status,
                due_on=due_on,
                met_on=met_on,
            )
            commitment.search_text = commitment.compute_search_text()
            self.commitments.append((plan, commitment))
        self.insert(models.Commitment, [c[1] for c in self.commitments], "commitments")

    def make_reports(self):
        """One to four progress reports for most commitments, spread from the signing to the
        end of the window; the last reports the status the commitment was drawn with."""
        rng, f = self.rng, self.factories
        open_statuses = [
            CommitmentStatus.ANNOUNCED,
            CommitmentStatus.IN_PROGRESS,
            CommitmentStatus.UNKNOWN,
        ]
        self.reports = []
        for plan, commitment in self.commitments:
            if rng.random() < 0.2:
                continue
            start = commitment.agreement.signed_on or FIRST_DAY
            count = rng.randint(1, 4)
            days = sorted({self.day_between(start, max(start, LAST_DAY)) for _ in range(count)})
            english = plan["language"] == Language.ENGLISH
            for number, day in enumerate(days):
                last = number == len(days) - 1
                status = commitment.status if last else rng.choice(open_statuses)
                label = str(CommitmentStatus(status).label)
                when = date_en(day) if english else date_fr(day)
                summary = (
                    f"As of {when}, {commitment.party.name}: {label.lower()}, {commitment}"
                    if english
                    else f"Au {when}, {commitment.party.name} : {REPORT_FR[status]}, {commitment}"
                )
                self.reports.append(
                    (
                        plan,
                        f.CommitmentReportFactory.build(
                            commitment=commitment,
                            reported_on=day,
                            status=status,
                            summary=summary[:500],
                        ),
                    )
                )
        self.insert(models.CommitmentReport, [r for _p, r in self.reports], "progress reports")

    # ---- evidence ----------------------------------------------------------------------

    def sentence_for(self, kind, target, english, signed_on=None):
        """A sentence stating the fact `target` records, in French or English (an agreement
        dated `signed_on` instead of its own date, when given: a source that disagrees)."""
        rng = self.rng
        if kind == "agreement":
            plan = target
            agreement = plan["record"]
            if signed_on is not None:
                agreement = copy.copy(agreement)
                agreement.signed_on = signed_on
            names = [facts.record.name for facts, _party in plan["parties"]]
            article_fr, kind_fr, kind_en = plan["kind"]
            if english:
                when = (
                    f" {date_en(agreement.signed_on, agreement.signed_on_precision)}"
                    if agreement.signed_on
                    else ""
                )
                verb = "signed" if agreement.signed_on else "announced"
                return (
                    f"{join_names(names, 'and')} {verb} a {kind_en}{when} in {agreement.place}, "
                    f"covering {plan['purpose'][1]}."
                )
            if agreement.signed_on:
                return (
                    f"{join_names(names, 'et')} ont signé "
                    f"{date_fr(agreement.signed_on, agreement.signed_on_precision)} "
                    f"à {agreement.place} "
                    f"{article_fr} {kind_fr} portant sur {plan['purpose'][0]}."
                )
            return (
                f"{join_names(names, 'et')} ont annoncé {article_fr} {kind_fr} "
                f"portant sur {plan['purpose'][0]}."
            )
        if kind == "agreement_party":
            facts, party = target
            role_fr, role_en = ROLES[party.role]
            title = party.agreement.title[:120]
            if english:
                return f"{facts.english} takes part in the {title} as {role_en}."
            return f"{facts.record.name} participe à l'accord « {title} » en qualité de {role_fr}."
        if kind == "organisation":
            facts = target
            label = facts.english if english else facts.record.name
            acronym = f" ({facts.record.acronym})" if facts.record.acronym else ""
            return (
                f"{label}{acronym} is based in {facts.city}."
                if english
                else f"{label}{acronym} a son siège à {facts.city}."
            )
        if kind in ("position", "person"):
            facts, position, title_en = target
            opinion_fr, opinion_en = rng.choice(OPINIONS)
            if english:
                return f"{position.person.name}, {title_en} of {facts.english}, said {opinion_en}."
            return (
                f"Pour {position.person.name}, {position.title} de {facts.record.name}, "
                f"{opinion_fr}."
            )
        if kind == "organisation_link":
            source, link_kind, target_org, _link = target
            a, b = (
                (source.english, target_org.english)
                if english
                else (source.record.name, target_org.record.name)
            )
            phrases = {
                LinkKind.MEMBER_OF: ("{a} est membre de {b}.", "{a} is a member of {b}."),
                LinkKind.UNIT_OF: ("{a} relève de {b}.", "{a} is part of {b}."),
                LinkKind.SUBSIDIARY_OF: (
                    "{a} est une filiale de {b}.",
                    "{a} is a subsidiary of {b}.",
                ),
                LinkKind.PARTNER_OF: (
                    "{a} est un partenaire de longue date de {b}.",
                    "{a} is a long-standing partner of {b}.",
                ),
            }
            return phrases[link_kind][english].format(a=a, b=b)
        raise ValueError(kind)

    def make_citations(self):
        """Choose what each citation supports and in which source, writing its sentence there.

        Every agreement and its commitments are reported by the article the agreement was
        assigned to; parties next; then organisations, positions, links and people. Once
        every record has one citation, further ones repeat the round in other sources.
        """
        rng, f = self.rng, self.factories
        budget = self.sizes.citations if self.source_plans else 0
        targets = (
            [("agreement", plan, plan["record"], plan["source"]) for plan in self.agreements]
            + [("commitment", c, c, plan["source"]) for plan, c in self.commitments]
            + [
                ("agreement_party", (facts, party), party, self.agreements[index]["source"])
                for facts, party, index in self.parties
            ]
            + [("organisation", facts, facts.record, None) for facts in self.orgs]
            + [("position", p, p[1], None) for p in self.positions]
            + [("organisation_link", link, link[3], None) for link in self.links]
            + [("person", p, p[1].person, None) for p in self.positions if p[1].ended_on is None]
            + [("report", r, r, None) for _plan, r in self.reports]
        )
        self.citations = []
        seen = set()
        rounds = 0
        # A few agreements dated to the day get a second source that dates them a day
        # earlier: planted disagreements on `signed_on`, one in fifty.
        dated = [
            plan["record"]
            for plan in self.agreements
            if plan["record"].signed_on and plan["record"].signed_on_precision == DatePrecision.DAY
        ]
        planted = (
            {
                id(agreement)
                for agreement in rng.sample(dated, min(len(dated), max(1, len(dated) // 50)))
            }
            if len(self.source_plans) > 1
            else set()
        )
        while targets and len(self.citations) < budget and rounds < 50:
            for kind, target, record, home in targets:
                if len(self.citations) >= budget:
                    break
                source = (
                    home
                    if home is not None and rounds == 0
                    else rng.randrange(len(self.source_plans))
                )
                plan = self.source_plans[source]
                language = plan["language"]
                english = language == Language.ENGLISH or (
                    language == Language.MIXED and rng.random() < 0.5
                )
                if kind == "commitment":
                    quote = record.description  # the article quotes the undertaking itself
                elif kind == "report":
                    quote = record.summary
                else:
                    quote = self.sentence_for(kind, target, english)
                key = (source, quote, kind, id(record))
                if key in seen:
                    continue
                seen.add(key)
                plan["sentences"].append(quote)
                # The source row is written later, around its sentences; remember which.
                citation = f.CitationFactory.build(
                    source=None, quote=quote, **{"organisation": None, kind: record}
                )
                citation.source_index = source
                if kind == "agreement" and record.signed_on:
                    # The sentence gives the signing date: the citation claims it.
                    citation.field = ClaimField.SIGNED_ON
                    citation.value = PartialDate.write(record.signed_on, record.signed_on_precision)
                self.citations.append(citation)
                if id(record) in planted and len(self.citations) < budget:
                    planted.discard(id(record))
                    self.citations.append(self.disagreeing_citation(target, record, source))
            rounds += 1

    def disagreeing_citation(self, plan, agreement, home):
        """A citation, in a source other than `home`, dating `agreement` a day earlier."""
        rng = self.rng
        source = rng.choice([i for i in range(len(self.source_plans)) if i != home])
        other_day = agreement.signed_on - datetime.timedelta(days=1)
        english = self.source_plans[source]["language"] == Language.ENGLISH
        quote = self.sentence_for("agreement", plan, english, signed_on=other_day)
        self.source_plans[source]["sentences"].append(quote)
        citation = self.factories.CitationFactory.build(
            source=None,
            quote=quote,
            organisation=None,
            agreement=agreement,
            field=ClaimField.SIGNED_ON,
            value=other_day.isoformat(),
        )
        citation.source_index = source
        return citation

    def write_sources(self):
        """Write each source's text around the sentences it cites, then store the sources."""
        rng, f = self.rng, self.factories
        records = []
        for plan in self.source_plans:
            language = plan["language"]
            sentences = list(dict.fromkeys(plan["sentences"]))  # repeat no sentence, keep order
            english = language == Language.ENGLISH
            fillers = FILLERS[english]
            for _ in range(rng.randrange(3, 8)):
                sentences.insert(
                    rng.randrange(len(sentences) + 1),
                    rng.choice(fillers).format(
                        n=rng.randrange(80, 400),
                        p=rng.randrange(60, 95),
                        m=rng.randrange(2, 18),
                        city=rng.choice(CITIES),
                    ),
                )
            paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
            signed = [self.agreements[i]["record"].signed_on for i in plan["agreements"]]
            signed = [day for day in signed if day]
            published = (
                max(signed) + datetime.timedelta(days=rng.randrange(0, 10))
                if signed
                else self.day_between(FIRST_DAY, LAST_DAY)
            )
            first = self.agreements[plan["agreements"][0]] if plan["agreements"] else None
            if first:
                shorts = [facts.short for facts, _party in first["parties"]][:3]
            if first and english:
                title = f"{join_names(shorts, 'and')} team up on {first['purpose'][1]}"
            elif first:
                title = f"{join_names(shorts, 'et')} s'associent pour {first['purpose'][0]}"
            else:
                title = (
                    "Medical devices: the sector's road to health sovereignty"
                    if english
                    else "Dispositifs médicaux : le secteur en quête de souveraineté"
                )
            outlet = rng.choice(OUTLETS)
            source = f.SourceFactory.build(
                title=title[:300],
                slug=self.slugs[models.Source](f"{outlet} {title[:60]} {published.year}", 100),
                outlet=outlet,
                language=language,
                published_on=published,
                text="\n\n".join(paragraphs),
            )
            source.search_text = source.compute_search_text()
            records.append(source)
        self.insert(models.Source, records, "sources")
        for citation in self.citations:
            citation.source = records[citation.source_index]


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def tracker_row_counts():
    """Rows of each tracker model that the generator writes, by verbose plural name."""
    return {
        model._meta.verbose_name_plural: model.objects.count()
        for model in (
            models.Source,
            models.Organisation,
            models.OrganisationName,
            models.OrganisationLink,
            models.Person,
            models.Position,
            models.Agreement,
            models.AgreementParty,
            models.Commitment,
            models.CommitmentReport,
            models.Citation,
        )
    }


def delete_tracker_data():
    """Delete every tracker record and its history, fast (plain DELETEs, children first)."""
    ordered = [
        models.Mention,
        models.Citation,
        models.CommitmentReport,
        models.Commitment,
        models.AgreementParty,
        models.Agreement,
        models.Position,
        models.Person,
        models.OrganisationLink,
        models.OrganisationName,
        models.Organisation,
        models.Source,
        models.LoadedFixtureRecord,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model in ordered:
            tables = [model._meta.db_table]
            history = getattr(model, "history", None)
            if history is not None:
                tables.append(history.model._meta.db_table)
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        changed_on_commit()
