"""House rules that keep the code base in shape: dependency direction, registration, pins."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from ui.nav import PAGES, SECTIONS

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
    assert {p.section for p in PAGES} <= set(SECTIONS)


def test_navigation_is_built_from_the_one_page_list():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    # every page of ui/nav.py can be switched to through the entrypoint's navigation
    for p in PAGES:
        if p.file in ("home.py", "glossary.py", "class_summary.py"):
            at.switch_page(f"pages/{p.file}")
            at.run()
            assert not at.exception, p.file


def test_entrypoint_and_home_do_not_import_torch():
    code = ("import sys; import ui.nav, ui.layout, ui.state, ui.charts.axes, "
            "ui.charts.heatmaps; "
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


# -- serving a class: no traceback for visitors, nothing fetched from outside ----------------
def test_visitors_see_no_traceback_and_the_server_log_keeps_it(monkeypatch, capfd):
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    toml = (ROOT / ".streamlit" / "config.toml").read_text()
    client = toml[toml.index("[client]"):].split("\n[", 1)[0]
    assert re.search(r'^showErrorDetails = "none"', client, re.M)
    # `streamlit run` reads .streamlit/config.toml from the working directory (the repository
    # root, where app.py is and where Community Cloud starts it); `config show` uses the same
    # loader and must report our value as set in that file
    out = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    block = out[out.index("[client]"):]
    assert str(ROOT / ".streamlit" / "config.toml") in block.split("showErrorDetails =")[0]
    assert re.search(r'^showErrorDetails = "none"', block, re.M)
    # nothing in the app switches it back on
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        assert "showErrorDetails" not in path.read_text(), path
    # what a visitor gets from an uncaught error: the generic message only
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    at = AppTest.from_string("raise ValueError('secret detail 4242')").run()
    (el,) = at.exception
    assert "secret detail" not in el.message and "ValueError" not in el.message
    assert not el.stack_trace and not el.proto.type
    logged = capfd.readouterr()
    assert "secret detail 4242" in logged.err + logged.out  # the server log has it all


def test_the_favicon_ships_with_the_app(monkeypatch):
    """A ":material/...:" page icon becomes a favicon the browser fetches from Google's font
    CDN (streamlit 1.67's frontend builds that URL); icons inside the page use the bundled
    font. So the app's own icon is a file in the repository, set before st.navigation (the
    frontend uses the current page's icon as favicon only while no page_icon is set)."""
    import streamlit as st
    from streamlit.commands.page_config import _get_favicon_string
    from streamlit.testing.v1 import AppTest

    calls: list[tuple[str, object]] = []
    real_config, real_nav = st.set_page_config, st.navigation

    def set_page_config(*args, **kwargs):
        calls.append(("config", kwargs.get("page_icon")))
        calls.append(("favicon", _get_favicon_string(kwargs["page_icon"])))
        return real_config(*args, **kwargs)

    def navigation(*args, **kwargs):
        calls.append(("navigation", None))
        return real_nav(*args, **kwargs)

    monkeypatch.setattr(st, "set_page_config", set_page_config)
    monkeypatch.setattr(st, "navigation", navigation)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    kinds = [k for k, _ in calls]
    assert kinds.index("config") < kinds.index("navigation")
    icon = Path(dict(calls)["config"])
    assert icon.is_file() and ROOT in icon.resolve().parents
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    favicon = dict(calls)["favicon"]
    # served by the app itself: a path on this server ("/media/<hash>.png"; AppTest's mock
    # media store prefixes "/mock"), never a ":material/...:" name or an outside address
    assert favicon.startswith("/") and "/media/" in favicon, favicon
    # and no page_icon anywhere is a material icon or an outside address
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "page_icon" and \
                    isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                assert not node.value.value.startswith((":material", "http")), path


# -- public torch API only --------------------------------------------------------------------
def test_core_uses_public_torch_ops_only():
    for path in (ROOT / "core").rglob("*.py"):
        assert "_VF" not in path.read_text(), f"{path}: use torch.lstm / torch.gru / ..."


def test_the_fused_kernels_still_mean_what_nn_rnn_means():
    """core.models.RecurrentNet.fused_hidden and the downloadable scripts call torch.rnn_tanh,
    torch.rnn_relu, torch.lstm and torch.gru with nn.RNN's positional arguments. If a torch
    upgrade renames or changes them, this says so before any page shows a wrong number."""
    import torch

    from core.models import build_model

    for name in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        assert name in torch.__all__, f"torch.{name} is no longer public in torch {torch.__version__}"
    x = torch.randn(3, 7, 4, generator=torch.Generator().manual_seed(0))
    modules = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
    for cell, nonlin in (("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")):
        model = build_model(cell, 4, 5, 1, nonlinearity=nonlin, seed=1)
        kw = {"nonlinearity": nonlin} if cell == "rnn" else {}
        ref = modules[cell](4, 5, batch_first=True, **kw)
        with torch.no_grad():
            for mine, theirs in zip(model.cell.parameters(), ref.parameters()):
                theirs.copy_(mine)
            got, want = model.fused_hidden(x), ref(x)[0]
        assert torch.allclose(got, want, atol=1e-6), (
            f"torch.{cell if cell != 'rnn' else 'rnn_' + nonlin} no longer matches "
            f"nn.{cell.upper()} in torch {torch.__version__}: check its arguments")
