"""The skill graph: validation messages, repair, levels, order, cycle checks and areas."""

from __future__ import annotations

import networkx as nx
import pytest

from learnpath.skillgraph import (
    GraphProblem,
    ProblemKind,
    SkillGraphError,
    SkillSpec,
    build_skill_graph,
    cycle_if_added,
    describe_cycle,
    repair_skills,
    validate_skills,
)

FRACTIONS = [
    SkillSpec("count", "Counting", area="Numbers"),
    SkillSpec("add", "Addition", ("count",), area="Numbers"),
    SkillSpec("mul", "Multiplication", ("add",), area="Numbers"),
    SkillSpec("equiv", "Fraction equivalence", ("mul",), area="Fractions"),
    SkillSpec("add_frac", "Adding fractions", ("equiv", "add"), area="Fractions"),
]


def kinds(problems: list[GraphProblem]) -> list[str]:
    return [problem.kind for problem in problems]


def test_valid_course_has_no_problems_and_builds() -> None:
    assert validate_skills(FRACTIONS) == []
    skills = build_skill_graph(FRACTIONS)
    assert sorted(skills.graph.edges) == [
        ("add", "add_frac"),
        ("add", "mul"),
        ("count", "add"),
        ("equiv", "add_frac"),
        ("mul", "equiv"),
    ]
    assert skills.graph.nodes["add_frac"]["name"] == "Adding fractions"


def test_cycle_message_names_the_skills_in_order() -> None:
    specs = [
        SkillSpec("add_frac", "Adding fractions", ("equiv",)),
        SkillSpec("equiv", "Fraction equivalence", ("add_frac",)),
    ]
    (problem,) = validate_skills(specs)
    assert problem.kind == ProblemKind.CYCLE
    assert problem.skills == ("add_frac", "equiv")
    assert problem.message == "cycle: Adding fractions → Fraction equivalence → Adding fractions"


def test_self_loop_is_reported_once_and_not_as_a_cycle() -> None:
    (problem,) = validate_skills([SkillSpec("p1", "Proportions", ("p1",))])
    assert problem.kind == ProblemKind.SELF_LOOP
    assert problem.skills == ("p1",)
    assert '"Proportions" lists itself' in problem.message


def test_unknown_prerequisite_is_named() -> None:
    (problem,) = validate_skills([SkillSpec("a", "Algebra", ("ghost",))])
    assert problem.kind == ProblemKind.UNKNOWN_SKILL
    assert problem.skills == ("a", "ghost")
    assert problem.message == 'unknown skill: "Algebra" lists the unknown prerequisite "ghost"'


def test_duplicate_names_compare_trimmed_and_case_folded() -> None:
    specs = [SkillSpec("a", "Angles"), SkillSpec("b", "angles "), SkillSpec("c", "Circles")]
    (problem,) = validate_skills(specs)
    assert problem.kind == ProblemKind.DUPLICATE_NAME
    assert problem.skills == ("a", "b")
    assert problem.message == 'duplicate name: "Angles" is used by 2 skills (a, b)'


def test_duplicate_key_missing_name_and_duplicate_edge() -> None:
    specs = [
        SkillSpec("m", "Matrices"),
        SkillSpec("m", "Matrices again"),
        SkillSpec("v", "  "),
        SkillSpec("w", "Vectors", ("m", "m")),
    ]
    problems = validate_skills(specs)
    assert kinds(problems) == ["duplicate_key", "missing_name", "duplicate_edge"]
    assert problems[0].message == (
        'duplicate key: 2 skills use the key "m" ("Matrices", "Matrices again")'
    )
    assert problems[1].message == 'missing name: skill "v" has no name'
    assert problems[2].skills == ("m", "w")
    assert '"Vectors" lists "Matrices" as a prerequisite more than once' in problems[2].message


def test_build_raises_with_every_problem() -> None:
    specs = [
        SkillSpec("a", "A", ("a", "zzz")),
        SkillSpec("b", "B", ("c",)),
        SkillSpec("c", "C", ("b",)),
    ]
    with pytest.raises(SkillGraphError) as raised:
        build_skill_graph(specs)
    assert kinds(raised.value.problems) == ["self_loop", "unknown_skill", "cycle"]
    assert "cycle: B → C → B" in str(raised.value)


def test_repair_fixes_everything_and_reports_what_it_did() -> None:
    specs = [
        SkillSpec("a", "Alpha", ("a", "ghost")),
        SkillSpec("a", "Alpha copy"),
        SkillSpec("b", "Alpha", ("a", "a")),
        SkillSpec("c", "", ("b",)),
    ]
    repaired, problems = repair_skills(specs)
    assert kinds(problems) == [
        "duplicate_key",
        "missing_name",
        "duplicate_name",
        "self_loop",
        "unknown_skill",
        "duplicate_edge",
    ]
    assert all(problem.repair for problem in problems)
    assert repaired == [
        SkillSpec("a", "Alpha"),
        SkillSpec("b", "Alpha (b)", ("a",)),
        SkillSpec("c", "c", ("b",)),
    ]
    assert validate_skills(repaired) == []


def test_repair_breaks_a_cycle_at_the_skill_with_most_prerequisites() -> None:
    specs = [
        SkillSpec("roots", "Square roots"),
        SkillSpec("simplify", "Simplifying radicals", ("roots", "muldiv")),
        SkillSpec("addsub", "Adding radicals", ("simplify",)),
        SkillSpec("muldiv", "Multiplying radicals", ("addsub",)),
    ]
    repaired, problems = repair_skills(specs)
    (problem,) = problems
    assert problem.skills == ("addsub", "muldiv", "simplify")
    assert problem.repair == "removed the edge Multiplying radicals → Simplifying radicals"
    assert build_skill_graph(repaired).levels() == {
        "roots": 0,
        "simplify": 1,
        "addsub": 2,
        "muldiv": 3,
    }


def test_repair_breaks_overlapping_cycles_until_acyclic() -> None:
    specs = [
        SkillSpec("a", "A", ("c",)),
        SkillSpec("b", "B", ("a",)),
        SkillSpec("c", "C", ("b", "a")),
        SkillSpec("d", "D", ("c", "e")),
        SkillSpec("e", "E", ("d",)),
    ]
    repaired, problems = repair_skills(specs)
    assert [problem.repair for problem in problems] == [
        "removed the edge A → C",
        "removed the edge C → A",
        "removed the edge E → D",
    ]
    assert nx.is_directed_acyclic_graph(build_skill_graph(repaired).graph)
    assert repair_skills(specs) == (repaired, problems)


def test_levels_and_stable_topological_order() -> None:
    skills = build_skill_graph(FRACTIONS)
    assert skills.levels() == {"count": 0, "add": 1, "mul": 2, "equiv": 3, "add_frac": 4}
    shuffled = build_skill_graph([*FRACTIONS[::-1], SkillSpec("b0", "Shapes")])
    assert shuffled.topological_order() == ["b0", "count", "add", "mul", "equiv", "add_frac"]
    assert shuffled.roots() == ["b0", "count"]


def test_neighbourhood_queries() -> None:
    skills = build_skill_graph(FRACTIONS)
    assert skills.prerequisites("add_frac") == ["add", "equiv"]
    assert skills.dependents("add") == ["add_frac", "mul"]
    assert skills.ancestors("equiv") == {"count", "add", "mul"}
    assert skills.descendants("mul") == {"equiv", "add_frac"}


def test_cycle_if_added_returns_the_closing_path() -> None:
    skills = build_skill_graph(FRACTIONS)
    cycle = cycle_if_added(skills, "add_frac", "add")
    assert cycle == ["add_frac", "add", "add_frac"]
    assert describe_cycle(skills, cycle) == "cycle: Adding fractions → Addition → Adding fractions"
    assert cycle_if_added(skills, "equiv", "count") == ["equiv", "count", "add", "mul", "equiv"]
    assert cycle_if_added(FRACTIONS, "count", "add_frac") is None
    assert cycle_if_added(skills.graph, "mul", "mul") == ["mul", "mul"]
    with pytest.raises(KeyError):
        cycle_if_added(skills, "ghost", "add")


def test_areas_fall_back_to_the_top_level_ancestor_name() -> None:
    specs = [
        SkillSpec("geo", "Geometry"),
        SkillSpec("num", "Numbers"),
        SkillSpec("angles", "Angles", ("geo",)),
        SkillSpec("area", "Area", ("angles", "num")),
        SkillSpec("perimeter", "Perimeter", ("geo",)),
        SkillSpec("stats", "Statistics", ("num",), area="Data"),
    ]
    skills = build_skill_graph(specs)
    assert skills.area_of("stats") == "Data"
    assert skills.area_of("geo") == "Geometry"
    assert skills.area_of("area") == "Geometry"
    assert skills.area_of("num") == "Numbers"
    assert skills.areas() == ["Data", "Geometry", "Numbers"]
    assert skills.skills_in_area("Geometry") == ["geo", "angles", "perimeter", "area"]
