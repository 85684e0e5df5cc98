"""Stakeholder maps: organisations as nodes, agreements and organisation links as edges.

Laid out here and drawn by the templates as inline SVG, so a map needs no script and no
network. Each map issues a fixed number of queries and caps the nodes it draws, so an
organisation party to thousands of agreements still gets a readable, fast picture.
"""

import math
import textwrap
import unicodedata
from dataclasses import dataclass, field

import networkx
from django.db.models import Q

from .choices import OrganisationKind
from .models import AgreementParty, OrganisationLink

MAX_NODES = 40
MAX_AGREEMENTS = 200


@dataclass
class Edge:
    source: object
    target: object
    kind: str  # "agreement" or "link"
    labels: list = field(default_factory=list)

    @property
    def count(self):
        return len(self.labels)


@dataclass
class Graph:
    nodes: dict = field(default_factory=dict)  # pk -> Organisation
    edges: dict = field(default_factory=dict)  # (kind, low pk, high pk) -> Edge
    centre: object = None
    total_nodes: int = 0
    agreement_counts: dict = field(default_factory=dict)  # pk -> agreements drawn it is party to

    def add_node(self, organisation):
        self.nodes.setdefault(organisation.pk, organisation)

    def add_edge(self, kind, first, second, label):
        if first.pk == second.pk:
            return
        low, high = sorted((first, second), key=lambda organisation: organisation.pk)
        edge = self.edges.setdefault((kind, low.pk, high.pk), Edge(low, high, kind))
        if label not in edge.labels:
            edge.labels.append(label)

    def degrees(self):
        degree = dict.fromkeys(self.nodes, 0)
        for edge in self.edges.values():
            degree[edge.source.pk] += edge.count
            degree[edge.target.pk] += edge.count
        return degree

    def keep_best(self, limit):
        """Keep the `limit` most connected nodes (and the centre), and the edges between them."""
        self.total_nodes = len(self.nodes)
        if len(self.nodes) <= limit:
            return
        degree = self.degrees()
        ranked = sorted(
            self.nodes,
            key=lambda pk: (
                pk != getattr(self.centre, "pk", None),
                -degree[pk],
                self.nodes[pk].name,
            ),
        )
        keep = set(ranked[:limit])
        self.nodes = {pk: self.nodes[pk] for pk in ranked if pk in keep}
        self.edges = {
            key: edge for key, edge in self.edges.items() if key[1] in keep and key[2] in keep
        }

    @property
    def truncated(self):
        return self.total_nodes > len(self.nodes)


def _add_agreement_parties(graph, parties):
    by_agreement = {}
    for party in parties:
        graph.add_node(party.organisation)
        organisations = by_agreement.setdefault(party.agreement_id, (party.agreement, []))[1]
        if party.organisation not in organisations:
            organisations.append(party.organisation)
            counts = graph.agreement_counts
            counts[party.organisation_id] = counts.get(party.organisation_id, 0) + 1
    for agreement, organisations in by_agreement.values():
        for index, first in enumerate(organisations):
            for second in organisations[index + 1 :]:
                graph.add_edge("agreement", first, second, agreement)


def _add_links(graph, links):
    for link in links:
        if link.from_organisation_id in graph.nodes and link.to_organisation_id in graph.nodes:
            graph.add_edge("link", link.from_organisation, link.to_organisation, link)


def neighbourhood(organisation, limit=MAX_NODES):
    """The organisation, those linked to it either way, and its co-parties (three queries)."""
    graph = Graph(centre=organisation)
    graph.add_node(organisation)
    links = list(
        OrganisationLink.objects.filter(
            Q(from_organisation=organisation) | Q(to_organisation=organisation)
        ).select_related("from_organisation", "to_organisation")
    )
    for link in links:
        graph.add_node(link.from_organisation)
        graph.add_node(link.to_organisation)
    agreement_ids = list(
        AgreementParty.objects.filter(organisation=organisation)
        .order_by("-agreement__signed_on", "agreement_id")
        .values_list("agreement_id", flat=True)[:MAX_AGREEMENTS]
    )
    parties = AgreementParty.objects.filter(agreement_id__in=agreement_ids).select_related(
        "organisation", "agreement"
    )
    _add_agreement_parties(graph, parties)
    _add_links(graph, links)
    graph.keep_best(limit)
    return graph


def agreements_map(agreements, limit=MAX_NODES):
    """Parties of the first agreements of a filtered list, and the links among them."""
    agreement_ids = list(agreements.values_list("pk", flat=True)[:MAX_AGREEMENTS])
    graph = Graph()
    parties = AgreementParty.objects.filter(agreement_id__in=agreement_ids).select_related(
        "organisation", "agreement"
    )
    _add_agreement_parties(graph, parties)
    graph.keep_best(limit)
    if graph.nodes:
        ids = list(graph.nodes)
        links = OrganisationLink.objects.filter(
            from_organisation_id__in=ids, to_organisation_id__in=ids
        ).select_related("from_organisation", "to_organisation")
        _add_links(graph, links)
    graph.agreement_count = len(agreement_ids)
    return graph


@dataclass
class Drawing:
    width: int
    height: int
    nodes: list
    edges: list
    kinds: list = field(default_factory=list)  # (value, label) of the kinds drawn, for the legend
    sizes: list = field(default_factory=list)  # {"count", "r"} examples, for the legend


# Labels are the full names, wrapped to lines of about this many characters (11 units high
# each, tracker.css), under their node.
LABEL_LINE_CHARACTERS = 22
LABEL_LINE_HEIGHT = 12
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 80, 24, 56
# Seeded, so a map is drawn the same way every time it is shown; the iterations bound the cost
# (nodes are at most MAX_NODES, so one iteration is at most MAX_NODES² distances).
LAYOUT_SEED = 13
LAYOUT_ITERATIONS = 50


def radius(agreement_count):
    """A node's radius grows with its agreements' number, its area about in proportion."""
    return round(min(5 + 3 * math.sqrt(agreement_count), 22), 1)


def _positions(graph):
    """Where each node goes, in a square from -1 to 1 (the centre, if any, in the middle).

    A force-directed layout (networkx's Fruchterman-Reingold, seeded): linked organisations
    are drawn near each other, those with many agreements in common nearer. Each connected
    group is laid out on its own and given room in proportion to its size, the lone and the
    paired ones sharing a column, so that one distant group does not crowd the rest.
    """
    network = networkx.Graph()
    # Insertion order decides the seeded start positions: make it independent of the queries.
    network.add_nodes_from(sorted(graph.nodes))
    for edge in sorted(graph.edges.values(), key=lambda edge: (edge.source.pk, edge.target.pk)):
        first, second = edge.source.pk, edge.target.pk
        weight = network.get_edge_data(first, second, {"weight": 0})["weight"] + edge.count
        network.add_edge(first, second, weight=weight)
    centre = getattr(graph.centre, "pk", None)
    if centre in network:
        others = [pk for pk in network if pk != centre]
        if not others:
            return {centre: (0.0, 0.0)}
        positions = networkx.spring_layout(
            network,
            weight="weight",
            seed=LAYOUT_SEED,
            iterations=LAYOUT_ITERATIONS,
            pos={centre: (0.0, 0.0)},
            fixed=[centre],
        )
        # Keep the centre in the middle: scale each side by its farthest node.
        spread_x = max(abs(float(positions[pk][0])) for pk in others) or 1.0
        spread_y = max(abs(float(positions[pk][1])) for pk in others) or 1.0
        return {pk: (float(x) / spread_x, float(y) / spread_y) for pk, (x, y) in positions.items()}
    groups = sorted(
        networkx.connected_components(network), key=lambda group: (-len(group), min(group))
    )
    large = [group for group in groups if len(group) > 2]
    small = [group for group in groups if len(group) <= 2]
    columns = [(len(group), [group]) for group in large]
    if small:
        columns.append((math.sqrt(sum(len(group) for group in small)), small))
    total = sum(weight for weight, _groups in columns)
    positions, left = {}, -1.0
    for weight, column in columns:
        width = 2 * weight / total
        rows = len(column)
        for row, group in enumerate(column):
            box = (left, -1 + 2 * row / rows, width, 2 / rows)
            positions.update(_place(network.subgraph(sorted(group)), box))
        left += width
    return positions


def _place(group, box):
    """A connected group's layout, fitted into `box` (left, top, width, height) with a margin."""
    left, top, width, height = box
    if len(group) <= 2:  # one organisation in the middle, or two side by side
        ordered = sorted(group)
        unit = {pk: (float(2 * index - len(ordered) + 1), 0.0) for index, pk in enumerate(ordered)}
    else:
        unit = networkx.spring_layout(
            group, weight="weight", seed=LAYOUT_SEED, iterations=LAYOUT_ITERATIONS
        )
        xs = [float(x) for x, _y in unit.values()]
        ys = [float(y) for _x, y in unit.values()]
        mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        half_x, half_y = (max(xs) - min(xs)) / 2 or 1.0, (max(ys) - min(ys)) / 2 or 1.0
        unit = {pk: ((x - mid_x) / half_x, (y - mid_y) / half_y) for pk, (x, y) in unit.items()}
    fill = 0.8  # of the box: the rest keeps neighbouring groups' labels apart
    return {
        pk: (left + width * (1 + fill * x) / 2, top + height * (1 + fill * y) / 2)
        for pk, (x, y) in unit.items()
    }


def layout(graph, width=900, height=620):
    """Where each organisation and connection is drawn, and what the legend explains."""
    half_x = width / 2 - MARGIN_X
    half_y = (height - MARGIN_TOP - MARGIN_BOTTOM) / 2
    cx, cy = width / 2, MARGIN_TOP + half_y
    unit = _positions(graph) if graph.nodes else {}
    positions = {pk: (cx + x * half_x, cy + y * half_y) for pk, (x, y) in unit.items()}
    counts = graph.agreement_counts
    nodes = [
        _node(
            organisation, *positions[pk], counts.get(pk, 0), pk == getattr(graph.centre, "pk", None)
        )
        for pk, organisation in sorted(
            graph.nodes.items(), key=lambda item: (-counts.get(item[0], 0), item[1].name)
        )
    ]
    nodes.reverse()  # the biggest drawn last, on top
    edges = []
    for edge in graph.edges.values():
        (x1, y1), (x2, y2) = positions[edge.source.pk], positions[edge.target.pk]
        edges.append(
            {
                "edge": edge,
                "x1": round(float(x1), 1),
                "y1": round(float(y1), 1),
                "x2": round(float(x2), 1),
                "y2": round(float(y2), 1),
                "width": round(1.5 + min(edge.count, 6) * 0.75, 2),
            }
        )
    drawn = {organisation.kind for organisation in graph.nodes.values()}
    kinds = [(value, label) for value, label in OrganisationKind.choices if value in drawn]
    most = max(counts.values(), default=0)
    examples = sorted({1, max(1, most // 2), most} - {0}) if most else []
    sizes = [
        {
            "count": count,
            "r": radius(count),
            "centre": radius(count) + 2,
            "box": 2 * radius(count) + 4,
        }
        for count in examples
    ]
    return Drawing(width, height, nodes, edges, kinds, sizes)


def text_direction(text):
    """'rtl' for a text whose first letter is Arabic (or Hebrew), else 'ltr': a label keeps its
    own script's direction on a page of the other one."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _node(organisation, x, y, agreement_count, centre=False):
    r = radius(agreement_count)
    lines = textwrap.wrap(organisation.name, LABEL_LINE_CHARACTERS) or [organisation.name]
    return {
        "organisation": organisation,
        "x": round(float(x), 1),
        "y": round(float(y), 1),
        "r": r,
        "agreement_count": agreement_count,
        "lines": lines,
        "direction": text_direction(organisation.name),
        "label_x": round(float(x), 1),
        "label_y": round(float(y) + r + 11, 1),
        "centre": centre,
    }
