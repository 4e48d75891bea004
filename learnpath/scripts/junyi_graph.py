"""Load Junyi Academy's real prerequisite graph through the skill-graph validation and repair.

Data: ``junyi2015/junyi_Exercise_table.csv`` (see SOURCE.md there): 837 rows of math exercises
with a comma-separated ``prerequisites`` column of parent exercise names. Each row becomes a
:class:`~learnpath.skillgraph.SkillSpec`: key = the exercise name (slug), name = the Traditional
Chinese display name, area = the table's area (``N/A`` counts as no area, so such exercises take
their top-level ancestor's name).

The script validates the specs, prints every defect (counts by kind, then each one with the
offending exercises), repairs them, builds the graph from the repaired specs and prints its shape:
nodes, edges, levels, roots, leaves, components, areas, the longest prerequisite chain, timings,
and the message an admin would get for re-adding an edge that the repair removed.

Run: ``python -m learnpath.scripts.junyi_graph [--path CSV]``.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import networkx as nx

from learnpath.skillgraph import (
    GraphProblem,
    ProblemKind,
    SkillGraph,
    SkillSpec,
    build_skill_graph,
    cycle_if_added,
    describe_cycle,
    repair_skills,
    validate_skills,
)

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
DEFAULT_PATH = DATASETS / "junyi2015" / "junyi_Exercise_table.csv"


def read_exercises(path: Path) -> list[SkillSpec]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            SkillSpec(
                key=row["name"].strip(),
                name=row["pretty_display_name"].strip(),
                prerequisites=tuple(
                    p.strip() for p in row["prerequisites"].split(",") if p.strip()
                ),
                area="" if row["area"].strip() in ("", "N/A") else row["area"].strip(),
            )
            for row in csv.DictReader(handle)
        ]


def print_problems(problems: Sequence[GraphProblem]) -> None:
    counts = Counter(problem.kind for problem in problems)
    print(f"{len(problems)} defects: " + ", ".join(f"{counts[k]} {k}" for k in ProblemKind))
    for problem in problems:
        print(f"  [{problem.kind}] {problem.message}")
        print(f"      exercises: {', '.join(problem.skills)}; repair: {problem.repair}")


def print_graph_stats(skills: SkillGraph) -> None:
    graph = skills.graph
    levels = skills.levels()
    by_level = Counter(levels.values())
    leaves = [key for key in graph if graph.out_degree(key) == 0]
    components = sorted(nx.weakly_connected_components(graph), key=len, reverse=True)
    isolated = [key for key in graph if graph.degree(key) == 0]
    print(f"nodes {graph.number_of_nodes()}, edges {graph.number_of_edges()}")
    print(
        f"levels 0..{max(by_level)} (depth {max(by_level) + 1}): "
        + ", ".join(f"{level}:{by_level[level]}" for level in sorted(by_level))
    )
    print(f"roots (no prerequisites) {len(skills.roots())}, leaves (no dependents) {len(leaves)}")
    print(
        f"weakly connected components {len(components)}: largest "
        f"{[len(c) for c in components[:5]]}, isolated exercises {len(isolated)}"
    )
    areas = Counter(skills.area_of(key) for key in graph)
    print("areas: " + ", ".join(f"{area} {count}" for area, count in areas.most_common()))
    chain = nx.dag_longest_path(graph)
    print(f"longest prerequisite chain ({len(chain)} exercises): {' → '.join(chain)}")


def show_refused_edge(skills: SkillGraph, problems: Sequence[GraphProblem]) -> None:
    """What the admin is told when re-adding an edge that cycle repair removed."""
    for problem in problems:
        if problem.kind != ProblemKind.CYCLE:
            continue
        cycle = problem.skills
        for index, skill in enumerate(cycle):
            prerequisite = cycle[index - 1]
            if not skills.graph.has_edge(prerequisite, skill):
                closing = cycle_if_added(skills, prerequisite, skill)
                if closing:
                    print(
                        f"re-adding {prerequisite} → {skill} is refused: "
                        f"{describe_cycle(skills, closing)}"
                    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    specs = read_exercises(args.path)
    read_at = time.perf_counter()
    problems = validate_skills(specs)
    validated_at = time.perf_counter()
    repaired, _ = repair_skills(specs)
    repaired_at = time.perf_counter()
    skills = build_skill_graph(repaired)
    built_at = time.perf_counter()

    entries = sum(len(spec.prerequisites) for spec in specs)
    print(
        f"{args.path}: {len(specs)} rows, {len({s.key for s in specs})} distinct exercises, "
        f"{entries} prerequisite entries"
    )
    print_problems(problems)
    print(
        f"repaired: {len(repaired)} exercises, "
        f"{sum(len(s.prerequisites) for s in repaired)} prerequisite edges"
    )
    print_graph_stats(skills)
    show_refused_edge(skills, problems)
    timings = {
        "read": read_at - started,
        "validate": validated_at - read_at,
        "repair": repaired_at - validated_at,
        "build (validate + graph + levels + areas)": built_at - repaired_at,
    }
    print("timing: " + ", ".join(f"{step} {1000 * s:.1f} ms" for step, s in timings.items()))


if __name__ == "__main__":
    main()
