"""The house rules, checked on the code itself: the engine imports alone, no module imports in
a cycle, only the model lifecycle touches the sequence model, nothing imports the tasks module,
and no product module outgrows a few hundred lines."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from courses import jobs

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
ENGINE_FORBIDDEN = ("django", "celery", "kombu", "courses", "learnpath.site")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_files() -> list[Path]:
    files = [*ROOT.joinpath("learnpath").rglob("*.py"), *ROOT.joinpath("courses").rglob("*.py")]
    return sorted(path for path in files if "migrations" not in path.parts)


MODULES = {_module_name(path): path for path in _product_files()}


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            return True
    return False


def imports_of(module: str) -> set[str]:
    """Every module this one imports, at the top or inside functions (not TYPE_CHECKING)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in MODULES)
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module in MODULES:
        graph.add_node(module)
        graph.add_edges_from((module, target) for target in imports_of(module)
                             if target in MODULES and target != module)
    return graph


def test_the_engine_imports_without_django_celery_or_torch() -> None:
    code = (
        "import sys\n"
        "import learnpath.answers, learnpath.mastery, learnpath.mastery_fit, learnpath.paths\n"
        "import learnpath.seq, learnpath.sim, learnpath.skillgraph\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'celery', 'kombu', 'torch', 'courses') or m.startswith('learnpath.site')))\n"
    )
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_no_module_imports_in_a_cycle() -> None:
    cycles = [sorted(group) for group in nx.strongly_connected_components(import_graph())
              if len(group) > 1]
    assert cycles == []


def test_the_cycle_check_sees_imports_inside_functions() -> None:
    assert "courses.ml.training" in imports_of("courses.actions.attempts")
    assert "learnpath.seq" in imports_of("courses.ml.records")  # imported lazily, in a function


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("learnpath")
                                          and not m.startswith("learnpath.site")))
def test_engine_modules_import_no_django_celery_or_app(module: str) -> None:
    bad = sorted(target for target in imports_of(module)
                 if target.startswith(ENGINE_FORBIDDEN))
    assert bad == []


def test_only_the_model_lifecycle_imports_the_sequence_model() -> None:
    importers = sorted(module for module in MODULES if module.startswith("courses")
                       and any(t == "learnpath.seq" or t.startswith("learnpath.seq.")
                               for t in imports_of(module)))
    assert importers and all(module.startswith("courses.ml.") for module in importers), importers


def test_nothing_imports_the_tasks_module() -> None:
    assert [m for m in MODULES if "courses.tasks" in imports_of(m)] == []


def test_every_task_sent_by_name_is_registered() -> None:
    from learnpath.site.celery import app

    app.loader.import_default_modules()  # what the worker does: every app's tasks module
    assert set(jobs.TASK_NAMES) <= set(app.tasks)


def test_reads_never_write_and_never_reach_up() -> None:
    for module in (m for m in MODULES if m.startswith("courses.queries")):
        assert not any(t.startswith(("courses.actions", "courses.ml", "courses.recommend",
                                     "courses.dashboards")) for t in imports_of(module)), module


CHECKS = ("check_", "read_", "parse_", "validate_")
CHANGES = ("record_", "import_", "add_", "remove_", "apply_", "rebuild_", "fit_", "simulate_",
           "follow_up_", "enrol", "create_", "edit_", "extend_", "delete_")


def _public_functions(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text())
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]


def test_actions_keep_their_naming_rule() -> None:
    names = {f"{module}.{name}" for module in MODULES if module.startswith("courses.actions.")
             for name in _public_functions(module)}
    assert names
    assert sorted(n for n in names if not n.rpartition(".")[2].startswith(CHECKS + CHANGES)) == []


def test_every_policy_lives_in_the_simulators_policies_module() -> None:
    homes = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(item, ast.FunctionDef) and item.name == "choose" for item in node.body
            ):
                homes.add(module)
    assert homes == {"learnpath.sim.policies"}


@pytest.mark.parametrize("path", _product_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_product_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
