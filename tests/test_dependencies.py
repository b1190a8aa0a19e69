"""Dependencies between feature packages flow one way.

Every module of ``trainhub/`` is parsed (nothing is imported) and every import of a
``trainhub.<feature>`` package is collected, at module level and inside functions alike (an
import inside a function does not dodge a cycle, it hides one); imports under
``if TYPE_CHECKING:`` are left out, as they never run. A feature may import only the features
to its left in :data:`ORDER`, plus the cross-cutting modules ``trainhub/*.py`` and the root
package (the composition root: ``create_app``). The cross-cutting modules import no feature,
except ``trainhub/__init__.py`` and ``trainhub/cli.py``, which compose the application.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "trainhub"

#: The features from the bottom up; a tuple holds features of the same rank, which must not
#: import each other.
ORDER: tuple[str | tuple[str, ...], ...] = (
    "audit", "jobs", "geo", "orgs", "accounts", "learners", "courses", "schedule", "attendance",
    "certificates", ("reports", "dashboard"), "imports", "demo",
)
RANK = {
    feature: rank
    for rank, entry in enumerate(ORDER)
    for feature in (entry if isinstance(entry, tuple) else (entry,))
}
_ORDER_TEXT = " → ".join(e if isinstance(e, str) else " / ".join(e) for e in ORDER)
#: Cross-cutting modules that compose the application out of the features.
COMPOSERS = {"__init__", "cli"}


@dataclass(frozen=True)
class FeatureImport:
    importer: str  #: dotted name of the importing module
    line: int
    feature: str  #: the imported feature package

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports trainhub.{self.feature}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Dotted names an import statement brings in, relative imports resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    # ``from trainhub import orgs`` names a feature in its alias
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _feature_of(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "trainhub" and parts[1] in RANK:
        return parts[1]
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: list[FeatureImport] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the ``else`` of TYPE_CHECKING runs
                self.visit(child)
            return
        self.generic_visit(node)

    def _add(self, node: ast.Import | ast.ImportFrom) -> None:
        features = {
            feature
            for name in _imported_names(node, self.module, self.is_package)
            if (feature := _feature_of(name))
        }
        self.found.extend(FeatureImport(self.module, node.lineno, f) for f in sorted(features))

    def visit_Import(self, node: ast.Import) -> None:
        self._add(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._add(node)


def feature_imports(source: str, module: str, *, is_package: bool = False) -> list[FeatureImport]:
    """Every import of a feature package in ``source``, wherever it stands, but for those
    under ``if TYPE_CHECKING:``."""
    collector = _Collector(module, is_package)
    collector.visit(ast.parse(source))
    return collector.found


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found.append((".".join(parts), path))
    return found


def _all_imports() -> list[FeatureImport]:
    found = []
    for module, path in _modules():
        found.extend(feature_imports(path.read_text(encoding="utf-8"), module,
                                     is_package=path.name == "__init__.py"))
    return found


def wrong_way(imports: list[FeatureImport]) -> list[str]:
    """The imports that go against :data:`ORDER`, or from a cross-cutting module to a
    feature."""
    wrong = []
    for found in imports:
        parts = found.importer.split(".")
        importer = _feature_of(found.importer)
        if importer is None:
            if (len(parts) == 2 and parts[1] in COMPOSERS) or parts == ["trainhub"]:
                continue
            wrong.append(f"{found}: a cross-cutting module imports no feature")
        elif importer != found.feature and RANK[found.feature] >= RANK[importer]:
            wrong.append(f"{found}: {importer} may import only features to its left of "
                         f"{_ORDER_TEXT}")
    return wrong


def cycles(imports: list[FeatureImport]) -> list[list[str]]:
    """The cycles of the graph of feature packages (each named once, from its smallest
    member)."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        importer = _feature_of(found.importer)
        if importer is not None and importer != found.feature:
            graph.setdefault(importer, set()).add(found.feature)
    result: set[tuple[str, ...]] = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                result.add(tuple(path))
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return [[*cycle, cycle[0]] for cycle in sorted(result)]


def test_every_feature_is_in_the_order():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages - {"data"} == set(RANK)


def test_features_import_only_to_their_left():
    wrong = wrong_way(_all_imports())
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_features():
    found = cycles(_all_imports())
    assert not found, "\n".join(" → ".join(cycle) for cycle in found)


# The checker itself: each rule fails on the shape it is there to catch.

def test_an_import_inside_a_function_counts():
    source = "def f():\n    from trainhub.courses.queries import course_by_code\n"
    found = feature_imports(source, "trainhub.learners.views")
    assert [str(f) for f in found] == [
        "trainhub.learners.views (line 2) imports trainhub.courses"]
    assert len(wrong_way(found)) == 1


def test_type_checking_imports_do_not_count_but_their_else_does():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from trainhub.accounts.models import User\n"
        "else:\n    import trainhub.learners.models\n"
    )
    found = feature_imports(source, "trainhub.jobs.models")
    assert [(f.line, f.feature) for f in found] == [(5, "learners")]


@pytest.mark.parametrize(("source", "module", "is_package", "feature"), [
    ("from trainhub import orgs\n", "trainhub.geo.views", False, "orgs"),
    ("from ..orgs import queries\n", "trainhub.geo.views", False, "orgs"),
    ("from .orgs import queries\n", "trainhub.templating", False, "orgs"),
    ("from ..courses import x\n", "trainhub.learners", True, "courses"),
    ("from . import orgs\n", "trainhub", True, "orgs"),
    ("from trainhub import create_app\n", "trainhub.jobs.queue", False, None),
    ("import trainhub.orgs.models as m\n", "trainhub.geo.views", False, "orgs"),
])
def test_every_spelling_of_an_import_is_seen(source, module, is_package, feature):
    found = feature_imports(source, module, is_package=is_package)
    assert [f.feature for f in found] == ([feature] if feature else [])


def test_the_rules_name_what_is_wrong():
    found = [
        FeatureImport("trainhub.geo.views", 3, "orgs"),  # upwards
        FeatureImport("trainhub.orgs.queries", 4, "audit"),  # downwards: fine
        FeatureImport("trainhub.reports.views", 5, "dashboard"),  # same rank
        FeatureImport("trainhub.templating", 6, "learners"),  # cross-cutting
        FeatureImport("trainhub.cli", 7, "courses"),  # composition
        FeatureImport("trainhub.imports.api", 8, "imports"),  # itself
    ]
    wrong = wrong_way(found)
    assert [w.split(":")[0] for w in wrong] == [
        "trainhub.geo.views (line 3) imports trainhub.orgs",
        "trainhub.reports.views (line 5) imports trainhub.dashboard",
        "trainhub.templating (line 6) imports trainhub.learners",
    ]
    assert cycles(found) == []
    assert cycles([*found, FeatureImport("trainhub.dashboard.queries", 9, "reports")]) == [
        ["dashboard", "reports", "dashboard"]]
