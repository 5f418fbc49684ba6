"""Figures of issue 15 (the redesign) for a checkout: longest functions, sklearn-private imports, duplicates.

    python benchmarks/architecture_metrics.py [CHECKOUT]   # default: this repository

Prints the ten longest functions of ``synthloop/`` (lines with their decorators, docstrings left out), the imports of
scikit-learn's private modules (a module or name starting with ``_`` after ``sklearn.``) by file, and, when the
workplace's ``duplicates`` command is on the PATH, its count of pairs of places in ``synthloop/`` that
share six or more lines.
"""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
package = root / "synthloop"
functions, private = [], {}
for path in sorted(package.rglob("*.py")):
    rel = path.relative_to(root).as_posix()
    source = path.read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = node.end_lineno - start + 1
            body = node.body[0]
            if isinstance(body, ast.Expr) and isinstance(getattr(body, "value", None), ast.Constant) \
                    and isinstance(body.value.value, str):
                lines -= body.end_lineno - body.lineno + 1  # the docstring is not code
            functions.append((lines, f"{rel}:{node.lineno} {node.name}"))
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
            # a private module, or a private name from a public one (sklearn.base._fit_context)
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if re.match(r"sklearn(\.\w+)*\._", name):
                private.setdefault(rel, []).append(name)
print("ten longest functions (lines of code, docstrings left out):")
for lines, where in sorted(functions, reverse=True)[:10]:
    print(f"  {lines:4d}  {where}")
print(f"sklearn-private imports: {len(private)} files, {len({n for v in private.values() for n in v})} "
      f"distinct private names, {sum(map(len, private.values()))} imports of them")
for rel, names in private.items():
    print(f"  {rel}: {', '.join(sorted(set(names)))}")
if shutil.which("duplicates"):
    out = subprocess.run(["duplicates", "--repo", str(package), "--most", "200", "--seconds", "120"],
                         capture_output=True, text=True).stdout
    print("duplicates (pairs sharing six or more lines in synthloop/):", out.splitlines()[0] if out else "?")
