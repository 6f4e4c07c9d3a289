"""The layout ARCHITECTURE.md promises, checked on the source itself (parsed with ``ast``): the
library never imports the experiments or the CLI, no lecture package imports another, every
experiment file stays readable, and ``tests/`` mirrors ``src/mllab/`` file for file."""

import ast
from pathlib import Path

import pytest

import mllab
from mllab.experiments.registry import LECTURE_PACKAGES

SRC = Path(mllab.__file__).parent
TESTS = Path(__file__).parent
EXPERIMENTS = SRC / "experiments"
CROSS_CUTTING_TESTS = {
    "optim/test_parity_with_torch.py": "every optimizer of the course against torch.optim",
    "optim/test_trainer_resume.py": "every optimizer and schedule inside the Trainer",
    "report/test_report_browser.py": "the report as headless Chromium renders it",
    "test_bad_input.py": "every bad input of the command line, its folders and files, one table",
    "test_layout.py": "this file",
    "test_package.py": "the package itself: lazy subpackages, an import without torch",
}
"""Test files that belong to no single module, and why."""


def _imports(path: Path) -> set[str]:
    r"""Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
    return names


def _library_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py")
            if EXPERIMENTS not in p.parents and p.name not in ("cli.py", "__main__.py")]


def test_the_library_never_imports_the_experiments_or_the_cli():
    offenders = {str(p.relative_to(SRC)): sorted(n for n in _imports(p)
                                                 if n.startswith(("mllab.experiments",
                                                                  "mllab.cli")))
                 for p in _library_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", LECTURE_PACKAGES)
def test_no_lecture_package_imports_another(package):
    others = {f"mllab.experiments.{p}" for p in LECTURE_PACKAGES if p != package}
    for path in (EXPERIMENTS / package).glob("*.py"):
        crossing = {n for n in _imports(path) for o in others if n == o or n.startswith(o + ".")}
        assert not crossing, f"{path.relative_to(SRC)} imports {sorted(crossing)}"


def test_every_lecture_package_is_registered():
    on_disk = {p.parent.name for p in EXPERIMENTS.glob("*/__init__.py")}
    assert on_disk == set(LECTURE_PACKAGES)


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*/*.py")), ids=lambda p: p.stem)
def test_experiment_files_stay_short(path):
    assert len(path.read_text().splitlines()) <= 350, f"{path.relative_to(SRC)}: split it"


def _has_logic(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(n, ast.FunctionDef | ast.ClassDef) for n in tree.body)


def _mirror(path: Path) -> Path:
    rel = path.relative_to(SRC)
    return TESTS / rel.parent / f"test_{rel.stem.lstrip('_')}.py"


def test_every_module_with_logic_has_its_test_file():
    # A lecture's plots.py draws its experiments' figures; each experiment's quick-mode run
    # draws and checks them.
    modules = [p for p in SRC.rglob("*.py")
               if p.name not in ("__init__.py", "__main__.py", "plots.py") and _has_logic(p)]
    missing = sorted(str(_mirror(p).relative_to(TESTS)) for p in modules if not _mirror(p).exists())
    assert missing == []


def test_every_test_file_mirrors_a_module():
    expected = {_mirror(p) for p in SRC.rglob("*.py")}
    strays = sorted(str(t.relative_to(TESTS)) for t in TESTS.rglob("test_*.py")
                    if t not in expected and str(t.relative_to(TESTS)) not in CROSS_CUTTING_TESTS)
    assert strays == []
