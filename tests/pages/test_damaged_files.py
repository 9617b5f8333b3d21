"""Every page renders, with a quiet note, when every shipped result under data/demos/ is damaged
in one of four ways: truncated JSON, ``{}``, a JSON list, or deleted.

Runtime: each damage mode is applied to a temporary copy of ALL the shipped files at once, and
the pages fall back to live runs of the defaults. Those results are kept in ``ui.demos``'s
process-wide cache, as they would be on the server, so each default experiment is computed once
for the whole module (about 50 s of one CPU thread), not once per mode; every mode still reads,
rejects and logs every damaged file and renders every page from it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.experiments import load_all
from tests.conftest import ROOT, commit, no_exception, open_page
from ui import demos
from ui.nav import PAGES

pytestmark = pytest.mark.xdist_group("damaged_files")

MODES = ("truncated", "empty_object", "list", "deleted")
REAL = demos.DEMO_DIR


def damage(src: Path, dst: Path, mode: str) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.json")):
        text = f.read_text()
        out = dst / f.name
        if mode == "truncated":
            out.write_text(text[: len(text) // 2])
        elif mode == "empty_object":
            out.write_text("{}")
        elif mode == "list":
            out.write_text("[]")
        elif mode != "deleted":
            raise ValueError(mode)


@pytest.fixture(scope="module")
def damaged_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("demos")
    out = {}
    for mode in MODES:
        damage(REAL, base / mode, mode)
        out[mode] = base / mode
    yield out
    demos.clear()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def demo_dir(monkeypatch, damaged_dirs, request):
    mode = request.param
    monkeypatch.setattr(demos, "DEMO_DIR", damaged_dirs[mode])
    demos._load.cache_clear()  # re-read (and reject) every file; live results stay cached
    yield mode
    demos._load.cache_clear()


def uses_experiments(file: str) -> bool:
    src = (ROOT / "pages" / file).read_text()
    return "demos." in src or "runner.live(" in src


@pytest.mark.parametrize("demo_dir", MODES, indirect=True)
def test_every_damaged_file_is_refused_and_logged(demo_dir, caplog):
    with caplog.at_level("WARNING", logger="rnnlab.demos"):
        problems = {k: demos.problem(k) for k in load_all()}
    assert all(problems.values()), problems
    assert len([r for r in caplog.records if "fall back to a live run" in r.getMessage()]) \
        == len(problems)


@pytest.mark.parametrize("demo_dir", MODES, indirect=True)
@pytest.mark.parametrize("info", PAGES, ids=[p.url for p in PAGES])
def test_every_page_renders_from_damaged_files(demo_dir, info):
    at = open_page(info.file, timeout=300)
    no_exception(at)
    if uses_experiments(info.file):
        noted = any("could not be loaded" in c.value for c in at.caption)
        boxes = [r for r in at.radio if (r.key or "").startswith("predict_")]
        if not noted and boxes:  # the page runs its experiments once a prediction is committed
            commit(at, boxes[0].key.removeprefix("predict_"), boxes[0].options[0])
            no_exception(at)
            noted = any("could not be loaded" in c.value for c in at.caption)
        assert noted, info.file
