"""Where each skill sits in the drawn skill graph (a layered layout with few edge crossings)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from learnpath.skillgraph import SkillGraph

LAYOUT_SWEEPS = 4


def _barycentre(key: str, neighbours: Sequence[str], position: Mapping[str, float]) -> float:
    if not neighbours:
        return position[key]
    return sum(position[n] for n in neighbours) / len(neighbours)


def _place(layer: list[str], position: dict[str, float]) -> None:
    middle = (len(layer) - 1) / 2
    for index, key in enumerate(layer):
        position[key] = index - middle


def graph_layout(graph: SkillGraph, sweeps: int = LAYOUT_SWEEPS) -> dict[str, tuple[float, float]]:
    """Skill -> (x, y): x is the prerequisite level, so every edge points right; y orders each
    level by the barycentre of its neighbours (alternate forward and backward sweeps, ties by
    the current order, then key), which removes most edge crossings. Deterministic: the result
    depends only on the graph, not on the order its skills were listed in.
    """
    levels = graph.levels()
    layers: list[list[str]] = [[] for _ in range(max(levels.values(), default=-1) + 1)]
    for key in sorted(levels, key=lambda k: (graph.area_of(k), k)):
        layers[levels[key]].append(key)
    position: dict[str, float] = {}
    for layer in layers:
        _place(layer, position)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        neighbours = graph.prerequisites if forward else graph.dependents
        for layer in layers[1:] if forward else layers[-2::-1]:
            layer.sort(key=lambda k: (_barycentre(k, neighbours(k), position), position[k], k))
            _place(layer, position)
    return {key: (float(levels[key]), -position[key]) for key in levels}


