"""The records' fixed vocabularies (kinds, statuses, roles, languages…): each value stored
as its code, shown translated, and held by a check constraint."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")
    ARABIC = "ar", _("Arabic")
    MIXED = "mixed", _("Mixed French and English")


class DatePrecision(models.TextChoices):
    """How much of a date a source actually gives."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    PUBLIC_AGENCY = "public_agency", _("Public agency or directorate")
    CLUSTER = "cluster", _("Industry cluster")
    COMPANY = "company", _("Company")
    ASSOCIATION = "association", _("Association")
    FOUNDATION = "foundation", _("Foundation")
    CLINIC = "clinic", _("Clinic or hospital")
    UNIVERSITY = "university", _("University or school")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


class NameKind(models.TextChoices):
    ACRONYM = "acronym", _("Acronym")
    TRANSLATION = "translation", _("Translation")
    VARIANT = "variant", _("Variant or short name")
    FORMER = "former", _("Former name")


class LinkKind(models.TextChoices):
    SUBSIDIARY_OF = "subsidiary_of", _("Subsidiary of")
    UNIT_OF = "unit_of", _("Unit or agency of")
    MEMBER_OF = "member_of", _("Member of")
    PARTNER_OF = "partner_of", _("Partner of")


class AgreementKind(models.TextChoices):
    PARTNERSHIP = "partnership", _("Partnership agreement")
    MEMORANDUM = "memorandum", _("Memorandum of understanding")
    FRAMEWORK = "framework", _("Framework agreement")
    CONTRACT = "contract", _("Contract")
    OTHER = "other", _("Other")


class AgreementStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


class PartyRole(models.TextChoices):
    SIGNATORY = "signatory", _("Signatory")
    PATRON = "patron", _("Patron (under whose aegis)")
    WITNESS = "witness", _("Witness")
    IMPLEMENTER = "implementer", _("Implementer")
    BENEFICIARY = "beneficiary", _("Beneficiary")


class CommitmentCategory(models.TextChoices):
    EXPERTISE = "expertise", _("Expertise and know-how")
    SUPPORT = "support", _("Support to companies and projects")
    CERTIFICATION = "certification", _("Certification and standards")
    MARKET_AUTHORISATION = "market_authorisation", _("Market authorisation")
    PROCUREMENT = "procurement", _("Procurement and orders")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure and testing")
    FUNDING = "funding", _("Funding and investment")
    OTHER = "other", _("Other")


class CommitmentStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    PARTLY_MET = "partly_met", _("Partly met")
    NOT_MET = "not_met", _("Not met")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def open_values(cls):
        """Statuses of a commitment that can still become overdue."""
        return [cls.ANNOUNCED, cls.IN_PROGRESS, cls.UNKNOWN]


class FingerprintKind(models.TextChoices):
    """What a source fingerprint hashes (tracker/ingest.py)."""

    ADDRESS = "address", _("Address")
    SHINGLE = "shingle", _("Text shingle")


class MemberCountQualifier(models.TextChoices):
    """How exact an organisation's number of members is: sources write 'more than 40'."""

    EXACT = "exact", _("Exactly")
    MORE_THAN = "more_than", _("More than")
    ABOUT = "about", _("About")


class ClaimField(models.TextChoices):
    """The fields of a record that a citation can report a value for (tracker/claims.py
    says which belong to which kind of record)."""

    SIGNED_ON = "signed_on", _("Signing date")
    PLACE = "place", _("Place")
    STATUS = "status", _("Status")
    DUE_ON = "due_on", _("Due date")
    MET_ON = "met_on", _("Date met")
    FOUNDED_ON = "founded_on", _("Founding date")
    MEMBERS = "members", _("Number of members")
