"""Loading the article fixtures: validated, recorded in history, all or nothing, never twice."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from .data_version import pending_change
from .models import LoadedFixtureRecord

CHANGE_REASON = "Loaded from the article fixtures"


class FixtureError(Exception):
    """A fixture record that cannot be loaded; the message names it."""


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    already_loaded: int = 0
    # The data version change the commit makes (None when nothing was written).
    version_change: object = None


def describe(fixture_name, index, entry):
    fields = entry.get("fields", {}) if isinstance(entry, dict) else {}
    model = entry.get("model", "?") if isinstance(entry, dict) else "?"
    key = (
        fields.get("slug")
        or fields.get("name")
        or fields.get("title")
        or (fields.get("quote") or "")[:60]
        or ""
    )
    return f"{fixture_name}, record {index + 1} ({model} {key!r})"


def read_fixture(path):
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise FixtureError(f"{path.name}: not valid JSON: {error}") from error
    if not isinstance(entries, list):
        raise FixtureError(f"{path.name}: a fixture is a JSON list of records.")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "model" not in entry or "fields" not in entry:
            raise FixtureError(f"{describe(path.name, index, entry)}: needs 'model' and 'fields'.")
        if "pk" in entry:
            label = describe(path.name, index, entry)
            raise FixtureError(f"{label}: has a primary key; fixtures use natural keys.")
    return entries


def digest(entry):
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_fixtures(paths):
    """Load fixture files in order, in one transaction.

    A record the loader has handled before is skipped, even if staff have since edited,
    renamed or deleted what it created; a record whose natural key already exists is kept
    as it is. Every new record is validated (`full_clean`) and saved through the model, so
    it gets its history row and its search text. Any error rolls the whole load back.
    """
    report = LoadReport()
    with transaction.atomic():
        for path in paths:
            path = Path(path)
            for index, entry in enumerate(read_fixture(path)):
                label = describe(path.name, index, entry)
                entry_digest = digest(entry)
                loaded = LoadedFixtureRecord.objects.filter(fixture=path.name, digest=entry_digest)
                if loaded.exists():
                    report.already_loaded += 1
                    continue
                instance = build(entry, label)
                if instance.pk is None:
                    save(instance, label)
                    report.created.append(label)
                else:
                    report.kept.append(label)
                LoadedFixtureRecord.objects.create(
                    fixture=path.name, digest=entry_digest, label=label[:300]
                )
        report.version_change = pending_change()
    return report


def build(entry, label):
    try:
        (deserialized,) = serializers.deserialize("python", [entry])
    except (DeserializationError, ObjectDoesNotExist, LookupError, ValueError, TypeError) as error:
        cause = error.__cause__ or error
        raise FixtureError(f"{label}: {cause}") from error
    return deserialized.object


def save(instance, label):
    try:
        instance.full_clean()
    except ValidationError as error:
        details = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
        raise FixtureError(f"{label}: {details}") from error
    instance._change_reason = CHANGE_REASON
    try:
        with transaction.atomic():
            instance.save()
    except DatabaseError as error:
        raise FixtureError(f"{label}: {error}") from error
