"""The core imports only the standard library and attrs, anywhere in its code."""

import ast
import sys
from pathlib import Path

import pytest

import jobraker_core

ALLOWED = {"attrs", "jobraker_core"}
CORE = Path(jobraker_core.__file__).parent
MODULES = sorted(CORE.rglob("*.py"))


def imported_packages(source: str) -> set[str]:
    """Return the top-level package of every absolute import in ``source``, at any depth."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.partition(".")[0])
    return packages


def test_the_checker_sees_every_kind_of_import():
    """Imports inside functions and TYPE_CHECKING blocks count too; relative ones are ours."""
    source = (
        "import os.path\nfrom typing import TYPE_CHECKING\nfrom . import model\n"
        "if TYPE_CHECKING:\n    import httpx\n"
        "def f():\n    from psycopg import sql\n"
    )
    assert imported_packages(source) == {"os", "typing", "httpx", "psycopg"}


def test_the_core_has_modules_to_check():
    """The walk finds the core's modules (a wrong path would make the next test vacuous)."""
    names = {path.relative_to(CORE).as_posix() for path in MODULES}
    assert {"errors.py", "jobs/model.py", "jobs/use_cases.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_module_imports_only_stdlib_and_attrs(path):
    """Every import in the core names the standard library, attrs or the core itself."""
    foreign = {
        name
        for name in imported_packages(path.read_text(encoding="utf-8"))
        if name not in sys.stdlib_module_names and name not in ALLOWED
    }
    assert foreign == set()
