"""The course's skill graph: plain skill specs in, a validated networkx DiGraph out.

A course is described by :class:`SkillSpec` records (key, display name, prerequisite keys,
optional area). The graph has one node per skill and an edge ``prerequisite -> skill`` for each
prerequisite, so edges point in the direction of learning.

Validation
    :func:`validate_skills` reports every defect as a :class:`GraphProblem` whose ``message``
    names the offending skills by display name. Kinds, in the order they are checked:

    ``duplicate_key``
        two specs share a key; the first one is kept.
    ``missing_name``
        a spec has a blank name; its key is used instead.
    ``duplicate_name``
        distinct skills share a display name (compared after trimming and case folding); the
        first keeps it, the others are renamed ``"<name> (<key>)"``.
    ``self_loop``
        a skill lists itself as a prerequisite; the entry is dropped.
    ``duplicate_edge``
        a skill lists the same prerequisite twice; one entry is kept.
    ``unknown_skill``
        a prerequisite key names no skill; the entry is dropped.
    ``cycle``
        prerequisites form a cycle, e.g. ``cycle: Adding fractions → Fraction equivalence →
        Adding fractions``. One cycle is reported per strongly connected component at a time:
        the shortest cycle through the component's smallest key.

    Checks run as a pipeline on the progressively repaired specs, so each defect is reported
    once (a self-loop is not also reported as a cycle) and every reported cycle is a real cycle of
    the input. ``GraphProblem.repair`` says what :func:`repair_skills` does about the defect.

Cycle breaking (:func:`repair_skills`)
    A minimum set of edges whose removal makes a graph acyclic is NP-hard to find, so cycles are
    broken greedily: for the reported cycle, the edge into the cycle's skill with the most
    prerequisites is removed (that skill keeps its other prerequisites, so the least structure is
    lost); ties go to the largest ``(prerequisite key, skill key)``. This repeats until no cycle is
    left, one edge per reported cycle.

Levels and order
    ``levels()`` gives each skill the length of the longest prerequisite chain leading to it
    (0 = no prerequisites). ``topological_order()`` sorts by (level, key), which is a valid
    topological order and is stable across runs and insertion orders.

Areas
    ``area_of(key)`` is the skill's own area; when that is blank, it is the display name of its
    top-level ancestor: the root (level-0) ancestor with the most descendants, ties by key. A root
    skill with a blank area is its own area.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import networkx as nx


@dataclass(frozen=True)
class SkillSpec:
    """One skill as plain data: prerequisites are keys of other skills; ``description`` is the
    author's text about it (Markdown, shown by the site; the engine never reads it)."""

    key: str
    name: str
    prerequisites: tuple[str, ...] = ()
    area: str = ""
    description: str = ""


class ProblemKind(StrEnum):
    DUPLICATE_KEY = "duplicate_key"
    MISSING_NAME = "missing_name"
    DUPLICATE_NAME = "duplicate_name"
    SELF_LOOP = "self_loop"
    DUPLICATE_EDGE = "duplicate_edge"
    UNKNOWN_SKILL = "unknown_skill"
    CYCLE = "cycle"


@dataclass(frozen=True)
class GraphProblem:
    """A defect of a skill list; ``skills`` are the offending keys (cycles in cycle order)."""

    kind: ProblemKind
    skills: tuple[str, ...]
    message: str
    repair: str = ""


class SkillGraphError(Exception):
    """Raised by :func:`build_skill_graph` for an invalid skill list; ``problems`` lists why."""

    def __init__(self, problems: Sequence[GraphProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


def _quoted_names(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _dedupe_keys(specs: list[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    counts = Counter(spec.key for spec in specs)
    kept: dict[str, SkillSpec] = {}
    for spec in specs:
        kept.setdefault(spec.key, spec)
    problems = [
        GraphProblem(
            ProblemKind.DUPLICATE_KEY,
            (key,),
            f'duplicate key: {counts[key]} skills use the key "{key}" '
            f"({_quoted_names(spec.name for spec in specs if spec.key == key)})",
            "kept the first, dropped the others",
        )
        for key in kept
        if counts[key] > 1
    ]
    return list(kept.values()), problems


def _fill_missing_names(specs: list[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    problems = [
        GraphProblem(
            ProblemKind.MISSING_NAME,
            (spec.key,),
            f'missing name: skill "{spec.key}" has no name',
            "used the key as its name",
        )
        for spec in specs
        if not spec.name.strip()
    ]
    filled = [spec if spec.name.strip() else replace(spec, name=spec.key) for spec in specs]
    return filled, problems


def _rename_duplicate_names(specs: list[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    groups: dict[str, list[SkillSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.name.strip().casefold(), []).append(spec)
    problems: list[GraphProblem] = []
    renamed: dict[str, str] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        keys = tuple(spec.key for spec in group)
        problems.append(
            GraphProblem(
                ProblemKind.DUPLICATE_NAME,
                keys,
                f'duplicate name: "{group[0].name}" is used by {len(group)} skills '
                f"({', '.join(keys)})",
                f'renamed all but "{keys[0]}" to "<name> (<key>)"',
            )
        )
        renamed.update({spec.key: f"{spec.name} ({spec.key})" for spec in group[1:]})
    fixed = [
        replace(spec, name=renamed[spec.key]) if spec.key in renamed else spec for spec in specs
    ]
    return fixed, problems


def _clean_prerequisites(specs: list[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    names = {spec.key: spec.name for spec in specs}
    problems: list[GraphProblem] = []
    cleaned: list[SkillSpec] = []
    for spec in specs:
        kept: list[str] = []
        seen: set[str] = set()
        for prerequisite in spec.prerequisites:
            repeated = prerequisite in seen
            seen.add(prerequisite)
            if prerequisite == spec.key:
                problems.append(
                    GraphProblem(
                        ProblemKind.SELF_LOOP,
                        (spec.key,),
                        f'self-loop: "{spec.name}" lists itself as a prerequisite',
                        "dropped the entry",
                    )
                )
            elif repeated:
                problems.append(
                    GraphProblem(
                        ProblemKind.DUPLICATE_EDGE,
                        (prerequisite, spec.key),
                        f'duplicate edge: "{spec.name}" lists '
                        f'"{names.get(prerequisite, prerequisite)}" '
                        "as a prerequisite more than once",
                        "kept one entry",
                    )
                )
            elif prerequisite not in names:
                problems.append(
                    GraphProblem(
                        ProblemKind.UNKNOWN_SKILL,
                        (spec.key, prerequisite),
                        f'unknown skill: "{spec.name}" lists the unknown prerequisite '
                        f'"{prerequisite}"',
                        "dropped the entry",
                    )
                )
            else:
                kept.append(prerequisite)
        cleaned.append(replace(spec, prerequisites=tuple(kept)))
    return cleaned, problems


def _shortest_cycle_through(graph: nx.DiGraph, start: str) -> list[str]:
    """Breadth-first search with sorted successors: the shortest cycle, chosen deterministically."""
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph.successors(node)):
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return path[::-1]
            if successor not in parents:
                parents[successor] = node
                queue.append(successor)
    raise ValueError(f"{start!r} is on no cycle")


def _edge_to_remove(graph: nx.DiGraph, cycle: list[str]) -> tuple[str, str]:
    edges = [(cycle[index - 1], cycle[index]) for index in range(len(cycle))]
    return max(edges, key=lambda edge: (graph.in_degree(edge[1]), edge))


def _describe_path(graph: nx.DiGraph, path: Sequence[str]) -> str:
    return " → ".join(graph.nodes[key]["name"] for key in path)


def _break_cycles(specs: list[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    graph = _digraph(specs)
    problems: list[GraphProblem] = []
    while True:
        components = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
        if not components:
            break
        start = min(min(component) for component in components)
        cycle = _shortest_cycle_through(graph, start)
        prerequisite, skill = _edge_to_remove(graph, cycle)
        problems.append(
            GraphProblem(
                ProblemKind.CYCLE,
                tuple(cycle),
                f"cycle: {_describe_path(graph, [*cycle, cycle[0]])}",
                f"removed the edge {_describe_path(graph, [prerequisite, skill])}",
            )
        )
        graph.remove_edge(prerequisite, skill)
    fixed = [
        replace(
            spec, prerequisites=tuple(p for p in spec.prerequisites if graph.has_edge(p, spec.key))
        )
        for spec in specs
    ]
    return fixed, problems


_PIPELINE = (
    _dedupe_keys,
    _fill_missing_names,
    _rename_duplicate_names,
    _clean_prerequisites,
    _break_cycles,
)


def repair_skills(specs: Iterable[SkillSpec]) -> tuple[list[SkillSpec], list[GraphProblem]]:
    """Fix every defect as documented in the module docstring; return the specs and the defects."""
    repaired = list(specs)
    problems: list[GraphProblem] = []
    for step in _PIPELINE:
        repaired, found = step(repaired)
        problems.extend(found)
    return repaired, problems


def validate_skills(specs: Iterable[SkillSpec]) -> list[GraphProblem]:
    """Every defect of the skill list, in pipeline order; empty when the list is valid."""
    return repair_skills(specs)[1]


def _digraph(specs: Sequence[SkillSpec]) -> nx.DiGraph:
    """Nodes and edges inserted in key order, so networkx traversals are deterministic."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for spec in sorted(specs, key=lambda s: s.key):
        graph.add_node(spec.key, name=spec.name, area=spec.area)
    for spec in sorted(specs, key=lambda s: s.key):
        graph.add_edges_from(
            (prerequisite, spec.key) for prerequisite in sorted(spec.prerequisites)
        )
    return graph


class SkillGraph:
    """An acyclic skill graph; ``graph`` has edges prerequisite -> skill.

    Build it with :func:`build_skill_graph`, which validates the specs first.
    """

    def __init__(self, specs: Sequence[SkillSpec]) -> None:
        self.specs: dict[str, SkillSpec] = {spec.key: spec for spec in specs}
        self.graph: nx.DiGraph = _digraph(specs)
        self._levels = {
            key: level
            for level, generation in enumerate(nx.topological_generations(self.graph))
            for key in generation
        }
        self._order = sorted(self.graph.nodes, key=lambda key: (self._levels[key], key))
        self._root_reach = {root: len(self.descendants(root)) for root in self.roots()}
        self._areas = {key: self._derive_area(key) for key in self._order}

    def __contains__(self, key: object) -> bool:
        return key in self.specs

    def __len__(self) -> int:
        return len(self.specs)

    def name(self, key: str) -> str:
        return self.specs[key].name

    def topological_order(self) -> list[str]:
        return list(self._order)

    def levels(self) -> dict[str, int]:
        return {key: self._levels[key] for key in self._order}

    def prerequisites(self, key: str) -> list[str]:
        return sorted(self.graph.predecessors(key))

    def dependents(self, key: str) -> list[str]:
        return sorted(self.graph.successors(key))

    def ancestors(self, key: str) -> set[str]:
        return nx.ancestors(self.graph, key)

    def descendants(self, key: str) -> set[str]:
        return nx.descendants(self.graph, key)

    def roots(self) -> list[str]:
        return [key for key in self._order if self._levels[key] == 0]

    def area_of(self, key: str) -> str:
        return self._areas[key]

    def areas(self) -> list[str]:
        return sorted(set(self._areas.values()))

    def skills_in_area(self, area: str) -> list[str]:
        return [key for key in self._order if self._areas[key] == area]

    def _derive_area(self, key: str) -> str:
        if self.specs[key].area:
            return self.specs[key].area
        roots = [a for a in self.ancestors(key) if self._levels[a] == 0] or [key]
        top = min(roots, key=lambda root: (-self._root_reach[root], root))
        return self.specs[top].name


def ordered_by_prerequisites(specs: Sequence[SkillSpec]) -> list[str]:
    """The topological sort in a caller's order (the simulator's course order): prerequisites
    first and, among skills ready together, the order the specs were given in.
    (:meth:`SkillGraph.topological_order` orders by prerequisite level, then key, for display.)
    Raises ``ValueError`` on a cycle."""
    position = {spec.key: index for index, spec in enumerate(specs)}
    try:
        return list(nx.lexicographical_topological_sort(_digraph(specs), key=position.__getitem__))
    except nx.NetworkXUnfeasible:
        cyclic = sorted(key for cycle in nx.simple_cycles(_digraph(specs)) for key in cycle)
        raise ValueError(f"prerequisites form a cycle among {sorted(set(cyclic))}") from None


def build_skill_graph(specs: Iterable[SkillSpec]) -> SkillGraph:
    """Build the graph of a valid skill list; raise :class:`SkillGraphError` naming every defect."""
    spec_list = list(specs)
    problems = validate_skills(spec_list)
    if problems:
        raise SkillGraphError(problems)
    return SkillGraph(spec_list)


def cycle_if_added(
    skills: SkillGraph | nx.DiGraph | Iterable[SkillSpec], prerequisite_key: str, skill_key: str
) -> list[str] | None:
    """The cycle that adding ``prerequisite_key -> skill_key`` would close, else ``None``.

    The cycle is returned as keys ``[prerequisite_key, skill_key, ..., prerequisite_key]``
    (the shortest existing path back from the skill to the prerequisite).
    """
    if isinstance(skills, SkillGraph):
        graph = skills.graph
    elif isinstance(skills, nx.DiGraph):
        graph = skills
    else:
        graph = _digraph(list(skills))
    for key in (prerequisite_key, skill_key):
        if key not in graph:
            raise KeyError(f"unknown skill {key!r}")
    if prerequisite_key == skill_key:
        return [prerequisite_key, skill_key]
    try:
        path = nx.shortest_path(graph, skill_key, prerequisite_key)
    except nx.NetworkXNoPath:
        return None
    return [prerequisite_key, *path]


def describe_cycle(skills: SkillGraph, cycle: Sequence[str]) -> str:
    """A cycle of keys as display names, e.g. ``"cycle: A → B → A"``."""
    return f"cycle: {_describe_path(skills.graph, cycle)}"
