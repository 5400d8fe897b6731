"""The domain core stays pure: no adapter library, no system clock."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import actiontrack.domain

DOMAIN_DIR = Path(actiontrack.domain.__file__).parent
PACKAGE_DIR = DOMAIN_DIR.parent
DOMAIN_FILES = sorted(DOMAIN_DIR.rglob("*.py"))

#: Libraries that belong in adapters, never in the domain (top-level module names).
ADAPTER_LIBRARIES = frozenset(
    {"tinydb", "sqlalchemy", "openpyxl", "python_calamine", "click", "rich", "cattrs"}
)
#: Calls that read the system clock; the domain takes the day as an argument instead.
CLOCK_CALLS = frozenset({"today", "now", "utcnow"})


def _imported_modules(tree: ast.AST) -> set[str]:
    """Top-level names of every module a source imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _clock_calls(tree: ast.AST) -> list[str]:
    """Calls such as date.today() or datetime.datetime.now(), as source text."""
    return [
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
    ]


def test_the_checks_see_what_they_look_for() -> None:
    """The AST checks find an adapter import and a clock call in a sample source."""
    sample = ast.parse(
        "import tinydb.storages\n"
        "from cattrs import Converter\n"
        "import datetime\n"
        "def f():\n"
        "    return datetime.date.today(), datetime.datetime.now()\n"
    )
    assert _imported_modules(sample) & ADAPTER_LIBRARIES == {"tinydb", "cattrs"}
    assert _clock_calls(sample) == ["datetime.date.today", "datetime.datetime.now"]


def test_domain_has_source_files() -> None:
    """The checks below look at the real domain modules."""
    names = {path.name for path in DOMAIN_FILES}
    assert {"models.py", "lifecycle.py", "rag.py", "clocks.py", "plan.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_module_imports_no_adapter_library(path: Path) -> None:
    """No domain module imports a storage, spreadsheet, command-line or conversion library."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert _imported_modules(tree) & ADAPTER_LIBRARIES == set()


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_module_imports_only_the_domain_and_errors(path: Path) -> None:
    """Inside actiontrack, the domain imports only itself and the errors module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    internal = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.partition(".")[0] == "actiontrack"
    }
    outside = {
        module
        for module in internal
        if module != "actiontrack.errors" and not module.startswith("actiontrack.domain")
    }
    assert outside == set()


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda path: path.name)
def test_domain_module_never_reads_the_clock(path: Path) -> None:
    """No domain module calls date.today(), datetime.now() or datetime.utcnow()."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert _clock_calls(tree) == []


# Loading the domain in a fresh interpreter. actiontrack/__init__.py re-exports
# the whole public API (converter and stores included), so a plain
# "import actiontrack.domain" would load cattrs and tinydb through the parent
# package. The child therefore registers a bare "actiontrack" package pointing
# at the source folder, so only what the domain itself imports is loaded.
_CHILD = """
import json, sys, types
package = types.ModuleType("actiontrack")
package.__path__ = [sys.argv[1]]
sys.modules["actiontrack"] = package
import actiontrack.domain
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_the_domain_loads_no_adapter_library() -> None:
    """A fresh interpreter importing actiontrack.domain has no adapter library in sys.modules."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(PACKAGE_DIR)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(result.stdout))
    assert "actiontrack.domain.clocks" in loaded
    assert {name.partition(".")[0] for name in loaded} & ADAPTER_LIBRARIES == set()
    assert not any(name.startswith(("actiontrack.store", "actiontrack.convert")) for name in loaded)


def test_the_public_api_loads_each_name_from_the_module_it_names() -> None:
    """Each name of __all__ loads lazily from the module the type checker is told it comes from."""
    source = (PACKAGE_DIR / "__init__.py").read_text()
    tree = ast.parse(source)
    checked = next(node for node in tree.body if isinstance(node, ast.If))
    told = {alias.asname or alias.name: node.module for node in checked.body
            if isinstance(node, ast.ImportFrom) for alias in node.names}
    import actiontrack

    assert told == actiontrack._WHERE
    assert set(actiontrack.__all__) == set(told) | {"__version__"}
    for name in actiontrack.__all__:
        assert getattr(actiontrack, name) is not None


#: The packages that hold features; they work through the Store port and the domain.
FEATURES = ["excel", "report", "auditing", "chasing", "adopt", "service.py", "generate.py"]
#: What a feature never imports: a backend, or the logic the backends share.
BEHIND_THE_PORT = ("actiontrack.store.core", "actiontrack.store.memory",
                   "actiontrack.store.tinydb", "actiontrack.store.sql",
                   "actiontrack.store.copy")


def _feature_files() -> list[Path]:
    files: list[Path] = []
    for name in FEATURES:
        path = PACKAGE_DIR / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _full_imports(tree: ast.AST) -> set[str]:
    """Every module a source imports, in full (anywhere in it, functions included)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", _feature_files(), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_features_work_through_the_store_port(path: Path) -> None:
    """Feature packages (excel, adopt, report...) import no backend, nor store/core."""
    imported = _full_imports(ast.parse(path.read_text()))
    assert not {name for name in imported if name.startswith(BEHIND_THE_PORT)}


def test_the_port_check_sees_a_reach_around_it() -> None:
    """The check above finds a backend imported inside a function, as a feature might."""
    source = "def f():\n    from actiontrack.store.core import replay\n"
    assert _full_imports(ast.parse(source)) & {"actiontrack.store.core"}
