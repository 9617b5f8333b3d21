"""House rules that keep the code base in shape: dependency direction, registration, pins."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from ui.nav import PAGES

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_core_never_imports_streamlit_or_ui():
    for path in (ROOT / "core").rglob("*.py"):
        assert not imports(path) & {"streamlit", "ui", "pages", "altair"}, path


def test_ui_never_imports_pages():
    for path in (ROOT / "ui").rglob("*.py"):
        assert "pages" not in imports(path), path


def test_every_page_file_is_registered_and_every_registered_page_exists():
    files = {p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_")}
    assert files == {p.file for p in PAGES}
    assert len({p.url for p in PAGES}) == len(PAGES)
    # app.py names every page, in the lesson order and groups ui/nav.py gives them
    registered = re.findall(r'page\("([\w.]+)"\)', (ROOT / "app.py").read_text())
    assert registered == [p.file for p in PAGES]


def test_entrypoint_and_home_do_not_import_torch():
    code = ("import sys; import ui.nav, ui.layout, ui.state, ui.charts; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert "torch" not in imports(ROOT / "app.py")


def test_torch_is_pinned_to_a_cpu_build_and_streamlit_is_pinned():
    req = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0", req, re.M)
    assert "download.pytorch.org/whl/cpu" in req
    assert re.search(r"^streamlit==1\.67\.0", req, re.M)


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && streamlit run app.py" in readme
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
