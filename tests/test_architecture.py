"""House rules that a reviewer would otherwise have to remember."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


# Packages above geo/ and layers/ (they import geo); nothing in the lower floors may reach them.
UPPER = {"streamlit", "streamlit_folium", "ui", "cli", "pages", "serve", "access", "streamlit_app"}


def dynamic_imports(path: Path) -> set[str]:
    """Top-level names given as string literals to importlib.import_module / __import__."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                names.add(node.args[0].value.split(".")[0])
    return names


def test_geo_and_layers_never_import_streamlit_or_ui():
    """No exemption: every module of geo/ and layers/, lazy imports inside functions included."""
    for folder in ("geo", "layers"):
        for path in (ROOT / folder).rglob("*.py"):
            found = (imports(path) | dynamic_imports(path)) & UPPER
            assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_the_floor_check_sees_lazy_and_dynamic_imports(tmp_path):
    """The check above is not blind to an import inside a function or through importlib."""
    probe = tmp_path / "probe.py"
    probe.write_text("import importlib\n\ndef f():\n    from ui import text\n    importlib.import_module('cli.ingest')\n",
                     encoding="utf-8")
    assert (imports(probe) | dynamic_imports(probe)) & UPPER == {"ui", "cli"}


def test_geo_never_imports_layers():
    for path in (ROOT / "geo").rglob("*.py"):
        assert "layers" not in imports(path), path


def test_entry_points_live_above_geo_and_layers():
    """Command lines are in cli/ (they may use ui/'s pure text modules, never Streamlit)."""
    assert not (ROOT / "geo" / "ingest" / "__main__.py").exists()
    for folder in ("geo", "layers", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "argparse" not in imports(path), f"{path.relative_to(ROOT)}: entry points belong in cli/"
    for path in (ROOT / "cli").rglob("*.py"):
        assert not imports(path) & {"streamlit", "streamlit_folium", "pages"}, path


def _strings(path: Path):
    """String constants of a module, docstrings excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_chinese_ui_text_only_in_ui_text():
    """Pages, ui glue and builders take their Chinese from ui/text.py (comments and docstrings
    may quote the domain's words)."""
    files = [ROOT / "streamlit_app.py"]
    for folder in ("pages", "ui", "layers", "cli"):
        files += [p for p in (ROOT / folder).rglob("*.py") if not p.name.startswith("text")]
    for path in files:
        for line, value in _strings(path):
            assert not CJK.search(value), f"{path.relative_to(ROOT)}:{line} {value!r}"


def test_every_text_key_used_exists():
    from ui.text import TEXT
    pattern = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")
    for path in list((ROOT / "pages").rglob("*.py")) + list((ROOT / "ui").rglob("*.py")) + \
            list((ROOT / "cli").rglob("*.py")) + [ROOT / "streamlit_app.py"]:
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            assert key in TEXT, f"{path.name}: missing text key {key}"


# The region is whatever dataset is loaded (geo/identity.py): no place, code prefix or projection
# of the bundled demo may be compiled in. data/ (the demo and the names table) and tests/ may.
REGION_LITERALS = re.compile(r"达州|5117|108E|EPSG:4545|dazhou", re.IGNORECASE)
CODE_SUFFIXES = {".py", ".toml", ".js", ".css", ".sh", ".cfg", ".ini", ".txt"}
SKIP_DIRS = {"data", "tests", ".venv", ".git", "artifacts", "var", "node_modules", "__pycache__"}


def test_no_region_of_the_demo_is_compiled_in():
    found = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP_DIRS or any(p in SKIP_DIRS for p in relative.parts):
            continue
        if not path.is_file() or path.suffix not in CODE_SUFFIXES or path.name.endswith(".min.js"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if REGION_LITERALS.search(line):
                found.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)
