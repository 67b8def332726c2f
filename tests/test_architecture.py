"""The package's shape: stages in pipeline order, each importing only the stages before it
and the shared vocabulary; no import circle; no import hidden in a function to dodge one.

Imports are read from the source with `ast` (every import statement, at any depth), so an
import inside a function counts like one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

# Pipeline order. "shared" is the vocabulary and the helpers every stage may use.
STAGES = ["shared", "plan", "forms", "intake", "ledger", "consolidate", "render", "mail",
          "collect", "signoff", "demo", "web", "cli"]
SHARED = {"__init__", "vocab", "errors", "text", "cells", "findings", "model", "excel",
          "office", "workspace"}
# The command line loads each command's stage when that command runs (pandas, matplotlib
# and docxtpl take 2 s to import, which `baocao --help` should not pay); only there may an
# import sit inside a function.
LAZY_IMPORTS_ALLOWED = {"cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "shared"
    head = parts[1]
    if head in SHARED:
        return "shared"
    assert head in STAGES, f"{module}: not in a stage package; add it to STAGES or SHARED"
    return head


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, module: str, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for every import of a generator module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    found.append((candidate if candidate in known else base, child.lineno,
                                  in_function))
            visit(child, nested)

    visit(tree, False)
    return [(name, line, inner) for name, line, inner in found
            if name == "generator" or name.startswith("generator.")]


def graph() -> dict[str, list[tuple[str, int, bool]]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, name, known) for name, path in mods.items()}


def upward_imports(imports) -> list[str]:
    found = []
    for module, targets in imports.items():
        mine = STAGES.index(stage_of(module))
        for target, line, _inner in targets:
            if STAGES.index(stage_of(target)) > mine:
                found.append(f"{module}:{line} imports {target} ({stage_of(target)} comes "
                             f"after {stage_of(module)})")
    return found


def circles(imports) -> list[str]:
    known = set(imports)
    edges = {m: sorted({t for t, _line, _inner in ts if t != m and t in known})
             for m, ts in imports.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                found.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            walk(node)
    return found


def hidden_imports(imports) -> list[str]:
    return [f"{module}:{line} imports {target} inside a function"
            for module, targets in imports.items() for target, line, inner in targets
            if inner and stage_of(module) not in LAZY_IMPORTS_ALLOWED]


def test_every_module_belongs_to_a_stage():
    for name in modules():
        assert stage_of(name) in STAGES


def test_no_stage_imports_a_later_stage():
    assert upward_imports(graph()) == []


def test_no_import_circle():
    assert circles(graph()) == []


def test_imports_inside_functions_only_in_the_command_line():
    assert hidden_imports(graph()) == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Each rule reports a planted fault: an upward import, a circle, a hidden import."""
    fake = tmp_path / "generator" / "plan" / "oops.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from generator.render import workbook\n")
    planted = {"generator.plan.oops": imports_of(fake, "generator.plan.oops",
                                                 {"generator.render.workbook"})}
    assert planted["generator.plan.oops"] == [("generator.render.workbook", 2, True)]
    assert upward_imports(planted) == [
        "generator.plan.oops:2 imports generator.render.workbook (render comes after plan)"]
    assert hidden_imports(planted) == [
        "generator.plan.oops:2 imports generator.render.workbook inside a function"]
    loop = {"generator.intake.a": [("generator.intake.b", 1, False)],
            "generator.intake.b": [("generator.intake.a", 1, False)]}
    assert circles(loop) == ["generator.intake.a -> generator.intake.b -> generator.intake.a"]
