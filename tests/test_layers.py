"""The architecture's rules, read from the code's own imports (no module is run):

- Streamlit is imported only in mbcore/ui/ (and by the app and the pages);
- TensorFlow and Keras are imported at module level only in mbcore/training/;
- the Streamlit server's modules never load TensorFlow, even indirectly;
- mbcore's modules import each other without cycles, and an in-function import
  of another mbcore module is allowed only where TensorFlow must load late, with
  a comment that says so.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

MBCORE = ROOT / "mbcore"
MODULES = sorted(MBCORE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(name imported, at module level?, line) for every import in a file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    top |= {id(n) for stmt in tree.body if isinstance(stmt, ast.If) for n in stmt.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [(n, id(node) in top, node.lineno) for n in [node.module, *names]]
    return found


def is_module(name: str) -> bool:
    return name in {module_name(p) for p in MODULES}


def test_streamlit_is_imported_only_by_the_ui_package():
    offenders = [module_name(p) for p in MODULES for name, _, _ in imports(p)
                 if name.split(".")[0] == "streamlit" and "ui" not in p.relative_to(MBCORE).parts]
    assert offenders == []


@pytest.mark.parametrize("heavy", ["tensorflow", "keras"])
def test_tensorflow_loads_at_module_level_only_in_training(heavy):
    offenders = [module_name(p) for p in MODULES for name, top, _ in imports(p)
                 if top and name.split(".")[0] == heavy
                 and p.relative_to(MBCORE).parts[0] != "training"]
    assert offenders == []


def test_internal_imports_inside_functions_only_load_tensorflow_late_and_say_so():
    late = []
    for path in MODULES:
        lines = path.read_text().splitlines()
        for name, top, line in imports(path):
            if not top and name.startswith("mbcore.") and is_module(name):
                late.append((module_name(path), name, "TensorFlow" in lines[line - 1]))
    assert [x for x in late if not x[2]] == []
    assert {x[1].split(".")[1] for x in late} <= {"training"}


def test_mbcore_modules_import_each_other_without_cycles():
    graph = {module_name(p): {n for n, top, _ in imports(p) if top and n.startswith("mbcore")
                              and is_module(n) and n != module_name(p)} for p in MODULES}
    # a package's __init__ that only re-exports its own modules is not an edge back up
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_server_side_never_imports_tensorflow():
    """What a Streamlit server imports to draw every page and watch trainings."""
    code = ("import sys, runpy; import mbcore.ui, mbcore.engine.watch, mbcore.views.export, "
            "mbcore.cli.main; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
