"""Stakeholder maps: organisations as nodes, agreements and organisation links as edges.

Laid out here and drawn by the templates as inline SVG, so a map needs no script and no
network. Each map issues a fixed number of queries and caps the nodes it draws, so an
organisation party to thousands of agreements still gets a readable, fast picture.
"""

import math
from dataclasses import dataclass, field

from django.db.models import Q

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
        by_agreement.setdefault(party.agreement_id, (party.agreement, []))[1].append(
            party.organisation
        )
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


def short_label(organisation, length=28):
    label = organisation.acronym or organisation.name
    return label if len(label) <= length else label[: length - 1] + "…"


def layout(graph, width=760, height=520):
    """Nodes on a circle (the centre, if any, in the middle), labels pointing outwards."""
    cx, cy = width / 2, height / 2
    radius = min(width, height) / 2 - 70
    ring = [
        organisation
        for pk, organisation in graph.nodes.items()
        if pk != getattr(graph.centre, "pk", None)
    ]
    ring.sort(key=lambda organisation: (organisation.kind, organisation.name))
    positions, nodes = {}, []
    if graph.centre is not None:
        positions[graph.centre.pk] = (cx, cy)
        nodes.append(_node(graph.centre, cx, cy, 0.0, centre=True))
    count = len(ring)
    for index, organisation in enumerate(ring):
        angle = 2 * math.pi * index / max(count, 1) - math.pi / 2
        if count == 1 and graph.centre is None:
            angle = 0.0
        x = cx + radius * math.cos(angle) if count > 1 or graph.centre else cx
        y = cy + radius * math.sin(angle) if count > 1 or graph.centre else cy
        positions[organisation.pk] = (x, y)
        nodes.append(_node(organisation, x, y, angle))
    edges = []
    for edge in graph.edges.values():
        (x1, y1), (x2, y2) = positions[edge.source.pk], positions[edge.target.pk]
        edges.append(
            {
                "edge": edge,
                "x1": round(x1, 1),
                "y1": round(y1, 1),
                "x2": round(x2, 1),
                "y2": round(y2, 1),
                "width": round(1.5 + min(edge.count, 6) * 0.75, 2),
            }
        )
    return Drawing(width, height, nodes, edges)


def _node(organisation, x, y, angle, centre=False):
    cos = math.cos(angle)
    if centre:
        anchor, lx, ly = "middle", x, y - 16
    else:
        anchor = "start" if cos > 0.2 else "end" if cos < -0.2 else "middle"
        lx = x + 12 * cos
        ly = y + 14 * math.sin(angle) + 4
    return {
        "organisation": organisation,
        "x": round(x, 1),
        "y": round(y, 1),
        "r": 10 if centre else 7,
        "label": short_label(organisation),
        "label_x": round(lx, 1),
        "label_y": round(ly, 1),
        "anchor": anchor,
        "centre": centre,
    }
