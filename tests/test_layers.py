"""The layer rules of DESIGN.md as a check that fails: import-linter contracts
in pyproject.toml (no Qt outside app.views, core imports nothing of the app,
nothing imports views but the CLI's one launch function)."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def test_import_linter_contracts_hold():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_qt_import_outside_views_by_source_scan():
    """Belt and braces for import-linter: also catches imports hidden in strings passed to
    importlib, which static analysis of `import` statements would miss."""
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("app/views/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.split(".")[0] in QT_MODULES else []
            offenders += [f"{rel}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []
