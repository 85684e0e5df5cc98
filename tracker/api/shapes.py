"""One declaration per record: the API's shape, from which everything else is derived.

A `Shape` lists a record's output fields in order. From it come:

- the serializer class drf-spectacular reads for the OpenAPI schema (`Shape.serializer()`),
  which forbids keys the shape does not declare;
- the representation, a straight-line function compiled from the fields (the way
  `dataclasses` writes `__init__`): one dict literal per record with nested list
  comprehensions, no per-field calls or lookups;
- what the page loader reads: the columns of the records themselves (`Shape.queryset()`,
  `.only()` plus scalar subqueries for references), and one `values()` query per kind of
  nested row for the whole page, grouped by parent (`Shape.load()`), so the number of
  queries stays fixed whatever the number of records.

Records of a page are model instances (they come from the FilterSet and the paginator);
everything nested in them is a plain dict, which costs a fraction of a model instance.
"""

from collections import defaultdict
from functools import cache
from itertools import count
from urllib.parse import quote

from django.db.models import F, OuterRef, Subquery
from django.db.models.manager import BaseManager
from rest_framework import serializers

from ..choices import ClaimField
from ..links import path_template
from ..models import Citation
from ..querysets import related_count


def iso(value):
    return value.isoformat() if value is not None else None


class WebLinks:
    """Absolute addresses of records' web pages, for one request.

    `page(...)` equals `request.build_absolute_uri(record.get_absolute_url())`, with each kind
    of page's address found once (`tracker.links`) rather than once per object: on a page of
    agreements `reverse()` was otherwise the costliest step after the queries.
    """

    def __init__(self, request):
        # What `request.build_absolute_uri(path)` puts before a path.
        self.scheme_host = request.build_absolute_uri("/")[:-1] if request is not None else ""
        self.templates = {}

    def page(self, view, value):
        """The address of `view` (a (view name, URL argument) pair) for `value`."""
        template = self.templates.get(view)
        if template is None:
            before, after = path_template(*view)
            template = self.templates[view] = (self.scheme_host + before, after)
        return f"{template[0]}{quote(str(value), safe='')}{template[1]}"

    def __call__(self, record):
        return self.scheme_host + record.get_absolute_url()


class Access:
    """How generated code reads a value: an attribute of a record, or a key of a row."""

    def __init__(self, variable, rows):
        self.variable = variable
        self.rows = rows

    def __call__(self, key):
        return f"{self.variable}[{key!r}]" if self.rows else f"{self.variable}.{key}"


class Compiler:
    """Collects the objects generated code refers to, under names of its own."""

    def __init__(self):
        self.namespace = {"iso": iso}
        self.depth = count()

    def constant(self, value):
        name = f"_constant_{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def row_variable(self):
        return f"row_{next(self.depth)}"


# Fields ------------------------------------------------------------------------------------


class Field:
    name = None

    def schema_field(self):
        raise NotImplementedError

    def record_columns(self, model):
        """Columns of the record's own table that the field reads."""
        return ()

    def record_annotations(self, model):
        """Annotations of the record's queryset that the field reads."""
        return {}

    def row_values(self, source):
        """`values()` arguments of a nested row the field reads: (names, expressions)."""
        return (), {}

    def expression(self, access, compiler):
        """Python source of the field's value, reading the record or row through `access`."""
        raise NotImplementedError


class Column(Field):
    """A column of the record's table, given as it is stored (`source` names the column when
    the API calls it otherwise)."""

    def __init__(self, name, schema_field, source=None):
        self.name = name
        self.schema = schema_field
        self.source = source or name

    def schema_field(self):
        return self.schema

    def record_columns(self, model):
        return (self.source,)

    def row_values(self, source):
        if self.source == self.name:
            return (self.name,), {}
        return (), {self.name: F(self.source)}

    def expression(self, access, compiler):
        return access(self.source if not access.rows else self.name)


class Given(Field):
    """A value each source of nested rows gives its rows (see `Rows.constants`)."""

    def __init__(self, name, schema_field):
        self.name = name
        self.schema = schema_field

    def schema_field(self):
        return self.schema

    def expression(self, access, compiler):
        return access(self.name)


class Computed(Field):
    """A value the database computes for each nested row (`expression`: a query expression
    over the row's table and its relations)."""

    def __init__(self, name, schema_field, expression):
        self.name = name
        self.schema = schema_field
        self.query_expression = expression

    def schema_field(self):
        return self.schema

    def row_values(self, source):
        return (), {self.name: self.query_expression}

    def expression(self, access, compiler):
        return access(self.name)


class Date(Column):
    """A date column, as ISO 8601 (null when unknown)."""

    def __init__(self, name, help_text, source=None):
        super().__init__(name, serializers.DateField(allow_null=True, help_text=help_text), source)

    def expression(self, access, compiler):
        return f"iso({super().expression(access, compiler)})"


class Derived(Field):
    """A value computed from columns of the row: `template` is a Python expression in which
    `{column}` stands for the column's value."""

    def __init__(self, name, schema_field, template, columns):
        self.name = name
        self.schema = schema_field
        self.template = template
        self.columns = columns

    def schema_field(self):
        return self.schema

    def record_columns(self, model):
        return self.columns

    def row_values(self, source):
        return self.columns, {}

    def expression(self, access, compiler):
        return "(" + self.template.format(**{c: access(c) for c in self.columns}) + ")"


class Page(Field):
    """The absolute address of the record's web page: `view` is a (URL name, URL argument)
    pair, filled with the column `key`."""

    def __init__(self, name, view, key, help_text):
        self.name = name
        self.view = view
        self.key = key
        self.help_text = help_text

    def schema_field(self):
        return serializers.URLField(help_text=self.help_text)

    def record_columns(self, model):
        return (self.key,)

    def row_values(self, source):
        return (self.key,), {}

    def expression(self, access, compiler):
        return f"links.page({compiler.constant(self.view)}, {access(self.key)})"


class Anchor(Page):
    """The absolute address of a place on a page: the page as `Page` gives it, then
    `#<prefix><anchor>`, the anchor read from the column `anchor`."""

    def __init__(self, name, view, key, anchor, prefix, help_text):
        super().__init__(name, view, key, help_text)
        self.anchor = anchor
        self.prefix = prefix

    def record_columns(self, model):
        return (self.key, self.anchor)

    def row_values(self, source):
        return (self.key, self.anchor), {}

    def expression(self, access, compiler):
        page = super().expression(access, compiler)
        return f"{page} + {('#' + self.prefix)!r} + str({access(self.anchor)})"


REF_SERIALIZERS = {}


def ref_serializer(model, fields):
    """The serializer of a short reference to a `model` record, one class per model."""
    name = f"{model.__name__}Ref"
    serializer = REF_SERIALIZERS.get(name)
    if serializer is not None and tuple(serializer._declared_fields) != tuple(fields):
        raise ValueError(
            f"A reference to a {model.__name__} is {tuple(serializer._declared_fields)}"
        )
    if serializer is None:
        attributes = {
            field: serializers.SlugField() if field == "slug" else serializers.CharField()
            for field in fields
        }
        serializer = REF_SERIALIZERS[name] = type(
            f"{name}Serializer", (StrictSerializer,), attributes
        )
    return serializer


class Ref(Field):
    """A short reference to the record a foreign key points at, `{slug, name}` by default.

    `relation` is the foreign key; a row source may read the reference through another one
    (see `Rows.relations`). Each part is read as `<name>_<part>`: through a join in a nested
    row, through a scalar subquery on a record (no join, so the paginator's count stays a
    count of one table).
    """

    def __init__(self, name, relation=None, parts=("slug", "name"), null=False, help_text=None):
        self.name = name
        self.relation = relation or name
        self.parts = parts
        self.null = null
        self.help_text = help_text
        self.model = None

    def bind(self, model):
        self.model = model._meta.get_field(self.relation).related_model

    def schema_field(self):
        options = {"allow_null": True} if self.null else {}
        if self.help_text:
            options["help_text"] = self.help_text
        return ref_serializer(self.model, self.parts)(**options)

    def keys(self):
        return [f"{self.name}_{part}" for part in self.parts]

    def record_annotations(self, model):
        return {
            f"{self.name}_{part}": Subquery(
                self.model.objects.filter(pk=OuterRef(self.relation)).values(part)[:1]
            )
            for part in self.parts
        }

    def row_values(self, source):
        relation = source.relations.get(self.name, self.relation)
        return (), {f"{self.name}_{part}": F(f"{relation}__{part}") for part in self.parts}

    def expression(self, access, compiler):
        keys = self.keys()
        literal = (
            "{"
            + ", ".join(
                f"{part!r}: {access(key)}" for part, key in zip(self.parts, keys, strict=True)
            )
            + "}"
        )
        if self.null:
            return f"({literal} if {access(keys[0])} is not None else None)"
        return literal


class RelatedCount(Field):
    """How many `model_name` rows point at the record through `field`."""

    def __init__(self, name, model_name, field, help_text):
        self.name = name
        self.model_name = model_name
        self.field = field
        self.help_text = help_text

    def schema_field(self):
        return serializers.IntegerField(help_text=self.help_text)

    def record_annotations(self, model):
        return {self.name: related_count(self.model_name, self.field)}

    def expression(self, access, compiler):
        return access(self.name)


class Rows:
    """Where the rows of a `Many` come from: `model`'s rows whose foreign key `parent` points
    at the record, in `order` (the model's own ordering when not given), through `queryset`
    when only some rows count. `relations` reads a `Ref` through another foreign key;
    `constants` are keys every row of this source carries."""

    def __init__(self, model, parent, order=None, queryset=None, relations=None, constants=None):
        self.model = model
        self.parent = parent
        self.order = order
        self.queryset = queryset or (lambda: model.objects.all())
        self.relations = relations or {}
        self.constants = constants or {}

    def fetch(self, shape, ids, path):
        """The rows of the records `ids` (reached from these rows through `path`), grouped by
        the record they belong to, each with its own nested rows."""
        names, expressions = shape.row_values(self)
        queryset = self.queryset().filter(**{f"{self.parent}{path}__in": ids})
        if self.order is not None:
            queryset = queryset.order_by(*self.order)
        nested = shape.many_fields()
        if nested:
            names = [*names, "pk"]
        rows = list(queryset.values(*names, parent=F(self.parent), **expressions))
        for many in nested:
            # Found through the page's records (`commitment__agreement__in`), not a list of
            # these rows' keys, which can be long.
            groups = many.fetch(ids, f"__{self.parent}{path}")
            for row in rows:
                row[many.attribute] = groups.get(row["pk"], [])
        groups = defaultdict(list)
        constants = self.constants
        for row in rows:
            if constants:
                row.update(constants)
            groups[row.pop("parent")].append(row)
        return groups


class Many(Field):
    """A list of nested rows, each of shape `shape`, from one or more `Rows` sources (their
    rows follow each other in that order)."""

    def __init__(self, name, shape, *sources, help_text):
        self.name = name
        self.shape = shape
        self.sources = sources
        self.help_text = help_text
        self.attribute = f"{name}_rows"

    def schema_field(self):
        return self.shape.serializer()(many=True, help_text=self.help_text)

    def fetch(self, ids, path=""):
        if len(self.sources) == 1:
            return self.sources[0].fetch(self.shape, ids, path)
        merged = defaultdict(list)
        for source in self.sources:
            for parent, rows in source.fetch(self.shape, ids, path).items():
                merged[parent].extend(rows)
        return merged

    def expression(self, access, compiler):
        variable = compiler.row_variable()
        item = self.shape.literal(Access(variable, rows=True), compiler)
        return f"[{item} for {variable} in {access(self.attribute)}]"


@cache
def citation_shape():
    """The shape of a citation, the same wherever one is shown."""
    return Shape(
        "Citation",
        Citation,
        Ref("source", parts=("slug", "title"), help_text="The article the quote comes from."),
        Column("quote", serializers.CharField(help_text="The source's words, verbatim.")),
        Column(
            "note",
            serializers.CharField(
                allow_blank=True, help_text="What the quote establishes, if not obvious; or empty."
            ),
        ),
        # Citation.get_absolute_url(), absolute.
        Anchor(
            "url",
            ("tracker:source-detail", "slug"),
            "source__slug",
            "id",
            "citation-",
            help_text="The quote, highlighted on its source's page in the web interface.",
        ),
        Derived(
            "field",
            serializers.ChoiceField(
                choices=ClaimField.choices,
                allow_null=True,
                help_text="The field of the record whose value the quote reports; null when "
                "it backs the record as a whole.",
            ),
            "{field} or None",
            columns=("field",),
        ),
        Derived(
            "value",
            serializers.CharField(
                allow_null=True,
                help_text="The value the source reports for `field`, in a normal form: a date "
                "as 2021-12-28, 2021-12 or 2021 (as precise as the source), a status as its "
                "code, a number of members as digits after > (more than) or ~ (about); null "
                "without a field.",
            ),
            "{value} or None",
            columns=("value",),
        ),
    )


class Citations(Many):
    """The quotes that back the record, each with its source."""

    def __init__(
        self, name="citations", help_text="The quotes that back this record, each with its source."
    ):
        super().__init__(name, None, help_text=help_text)

    def bind(self, model):
        self.shape = citation_shape()
        (target,) = [
            field.name
            for field in Citation._meta.get_fields()
            if field.many_to_one and field.related_model is model
        ]
        self.sources = (Rows(Citation, target),)


class DisputedFields(Field):
    """The fields of the record whose sources report different values (one query a page)."""

    name = "disputed_fields"

    def bind(self, model):
        self.target = model.citation_target

    def schema_field(self):
        return serializers.ListField(
            child=serializers.ChoiceField(choices=ClaimField.choices),
            help_text="The fields for which the record's citations report different values "
            "(see each citation's `field` and `value`); the record's own field keeps the value "
            "staff chose. Empty when its sources agree.",
        )

    def load(self, records):
        groups = defaultdict(list)
        rows = Citation.objects.disputes(self.target).filter(
            **{f"{self.target}__in": [record.pk for record in records]}
        )
        for row in rows.order_by("field"):
            groups[row[self.target]].append(row["field"])
        for record in records:
            record.disputed_field_names = groups.get(record.pk, [])

    def expression(self, access, compiler):
        return access("disputed_field_names")


class Custom(Field):
    """A value built by hand: `represent(record, links)` after `load(records)` has loaded what
    it needs (for a record's detail page, where one record is shown)."""

    def __init__(self, name, schema_field, represent, load=None):
        self.name = name
        self.schema = schema_field
        self.represent = represent
        self.load = load

    def schema_field(self):
        return self.schema

    def expression(self, access, compiler):
        return f"{compiler.constant(self.represent)}({access.variable}, links)"


# Shapes ------------------------------------------------------------------------------------


# A serializer whose schema forbids the keys it does not declare (see schema.py). No
# docstrings on these bases: drf-spectacular would give them to every record's schema.
class StrictSerializer(serializers.Serializer):
    pass


class RecordListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        iterable = data.all() if isinstance(data, BaseManager) else data
        links = WebLinks(self.context.get("request"))
        represent = self.child.represent
        return [represent(item, links) for item in iterable]


# A read-only serializer whose representation is `represent(record, links)`.
class RecordSerializer(StrictSerializer):
    class Meta:
        list_serializer_class = RecordListSerializer

    def to_representation(self, instance):
        return self.represent(instance, WebLinks(self.context.get("request")))


class Shape:
    """A record's (or a nested row's) output fields, in order, read from `model`."""

    def __init__(self, name, model, *fields):
        self.name = name
        self.model = model
        self.fields = fields
        self._serializer = None
        for field in fields:
            if hasattr(field, "bind"):
                field.bind(model)

    def extend(self, name, *fields):
        """This shape followed by more fields."""
        return Shape(name, self.model, *self.fields, *fields)

    def without(self, name, *names):
        """This shape without the fields `names`."""
        return Shape(name, self.model, *(f for f in self.fields if f.name not in names))

    def many_fields(self):
        return [field for field in self.fields if isinstance(field, Many)]

    # What the loader reads.

    def row_values(self, source):
        names, expressions = [], {}
        for field in self.fields:
            field_names, field_expressions = field.row_values(source)
            names.extend(n for n in field_names if n not in names)
            expressions.update(field_expressions)
        return names, expressions

    def queryset(self):
        """The records with the columns the shape reads, and nothing else."""
        columns, annotations = [], {}
        for field in self.fields:
            columns.extend(c for c in field.record_columns(self.model) if c not in columns)
            annotations.update(field.record_annotations(self.model))
        queryset = self.model.objects.only(*columns)
        return queryset.annotate(**annotations) if annotations else queryset

    def load(self, records):
        """Attach to each record of a page the nested rows the shape shows."""
        ids = [record.pk for record in records]
        for field in self.fields:
            if isinstance(field, Many):
                groups = field.fetch(ids)
                for record in records:
                    setattr(record, field.attribute, groups.get(record.pk, []))
            elif isinstance(field, Custom) and field.load is not None:
                field.load(records)
            elif isinstance(field, DisputedFields):
                field.load(records)

    # The representation.

    def literal(self, access, compiler):
        return (
            "{"
            + ", ".join(
                f"{field.name!r}: {field.expression(access, compiler)}" for field in self.fields
            )
            + "}"
        )

    def compile(self):
        """`represent(record, links)`, written out for this shape."""
        compiler = Compiler()
        body = self.literal(Access("record", rows=False), compiler)
        source = f"def represent(record, links):\n    return {body}\n"
        exec(compile(source, f"<shape {self.name}>", "exec"), compiler.namespace)  # noqa: S102
        represent = compiler.namespace["represent"]
        represent.source = source
        return represent

    # The schema.

    def serializer(self, base=StrictSerializer):
        """The serializer class whose fields document the shape (made once)."""
        if self._serializer is None:
            attributes = {field.name: field.schema_field() for field in self.fields}
            if base is RecordSerializer:
                attributes["represent"] = staticmethod(self.compile())
            serializer = type(f"{self.name}Serializer", (base,), attributes)
            # DRF orders declared fields by when each was made; the shape's order is the one.
            serializer._declared_fields = {
                field.name: serializer._declared_fields[field.name] for field in self.fields
            }
            self._serializer = serializer
        return self._serializer

    def record_serializer(self):
        return self.serializer(RecordSerializer)
