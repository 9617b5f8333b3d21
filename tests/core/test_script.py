"""core.script: the generated file runs on its own and reproduces core.training's final loss."""

import ast
import json
import math
import subprocess
import sys

import pytest

from core import script


def _imports(text: str) -> set[str]:
    """The top-level packages a Python source imports."""
    tree = ast.parse(text)
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += ["." * n.level + (n.module or "") for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom)]
    return {name.split(".")[0] for name in names}


def _run_script(text: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "run.py"
    path.write_text(text)
    # a clean working directory and no PYTHONPATH: the script cannot see this repository
    return subprocess.run([sys.executable, "-I", str(path), *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)


CASES = [
    # fused kernels, every task, every optimiser and clip mode
    dict(task="adding", seq_len=20, cell="rnn", hidden_size=16, optimizer="sgd", lr=0.05,
         clip="norm", clip_threshold=0.5, steps=25, seed=3),
    dict(task="copy", seq_len=5, cell="lstm", hidden_size=16, init="xavier", forget_bias=1.0,
         optimizer="rmsprop", lr=3e-3, clip="value", clip_threshold=0.05, steps=12, seed=1),
    dict(task="order", seq_len=20, cell="gru", hidden_size=16, init="orthogonal",
         optimizer="momentum", lr=0.05, clip="none", steps=12, seed=7),
    # the explicit step loop (normalisation inside the cell)
    dict(task="adding", seq_len=12, cell="lstm", hidden_size=12, norm="layer", steps=10,
         optimizer="adam", lr=1e-2, clip="norm", clip_threshold=0.1, seed=2),
    dict(task="adding", seq_len=12, cell="rnn", nonlinearity="relu", init="identity",
         hidden_size=12, norm="batch", steps=10, optimizer="adam", lr=1e-2, seed=4),
    # the time-series task: recall the value T steps back
    dict(task="series", seq_len=8, cell="gru", hidden_size=12, steps=10, optimizer="adam",
         lr=1e-2, clip="norm", clip_threshold=1.0, seed=5),
    # recurrent batch norm in an LSTM: the cell state's norm has a learned shift (Cooijmans)
    dict(task="adding", seq_len=10, cell="lstm", hidden_size=12, norm="batch", steps=10,
         optimizer="adam", lr=1e-2, clip="norm", clip_threshold=1.0, seed=3),
]


DRIVER = """
import contextlib, io, json, runpy, sys
out = {}
for name, path, args in json.loads(sys.argv[1]):
    sys.argv = [path, *args]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(path, run_name="__main__")
    out[name] = buf.getvalue()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every case's script, run by one isolated interpreter (one torch import, not five):
    ``python -I`` in an empty folder, so nothing from this repository can be imported."""
    tmp = tmp_path_factory.mktemp("scripts")
    jobs = []
    for i, cfg in enumerate(CASES):
        text = script.training_script(cfg, title="test")
        assert _imports(text) <= {"__future__", "argparse", "csv", "math", "time", "torch"}
        path = tmp / f"case{i}.py"
        path.write_text(text)
        jobs.append((str(i), str(path), []))
    jobs.append(("steps6", str(tmp / "case0.py"), ["--steps", "6"]))  # the --steps flag
    (tmp / "driver.py").write_text(DRIVER)
    proc = subprocess.run([sys.executable, "-I", str(tmp / "driver.py"), json.dumps(jobs)],
                          capture_output=True, text=True, cwd=tmp, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("i", range(len(CASES)), ids=lambda i: "{cell}-{task}-{n}-{c}".format(
    n=CASES[i].get("norm", "none"), c=CASES[i].get("clip", "none"), **CASES[i]))
def test_script_reproduces_the_final_loss(i, outputs):
    cfg = CASES[i]
    got = script.parse_final_loss(outputs[str(i)])
    hist = script.reference_run(cfg)
    assert len(hist.records) == cfg["steps"]
    want = hist.final_loss()
    assert math.isfinite(want)
    assert got == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_an_exploding_run_blows_up_at_the_same_step(tmp_path):
    cfg = dict(task="adding", seq_len=30, cell="rnn", nonlinearity="relu", init="orthogonal",
               gain=2.0, hidden_size=16, optimizer="sgd", lr=0.5, clip="none", steps=40,
               seed=1)
    hist = script.reference_run(cfg)
    assert hist.first_nonfinite is not None  # the setting really does blow up
    proc = _run_script(script.training_script(cfg), tmp_path, "--csv", "rec.csv")
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "rec.csv").read_text().splitlines()
    assert len(lines) - 1 == len(hist.records)  # stopped at the same step
    first_bad = next(i for i, ln in enumerate(lines[1:]) if ln.split(",")[4] == "True")
    assert first_bad == hist.first_nonfinite["step"]
    got = script.parse_final_loss(proc.stdout)
    assert got == pytest.approx(hist.final_loss(), rel=1e-6)


def test_steps_flag_shortens_the_same_run(outputs):
    want = script.reference_run({**CASES[0], "steps": 6}).final_loss()
    assert script.parse_final_loss(outputs["steps6"]) == pytest.approx(want, rel=1e-6)
    assert "6 steps in" in outputs["steps6"]


def test_parse_final_loss():
    assert script.parse_final_loss(f"step 1\n{script.FINAL_LOSS_PREFIX} 0.25\n") == 0.25
    assert math.isnan(script.parse_final_loss("no loss here"))


def test_unsupported_settings_are_named_not_raised():
    assert script.unsupported({"task": "chars"}).startswith("task")
    assert "learning rate" in script.unsupported({"lr": -1})
    assert "at least 10" in script.unsupported({"task": "order", "seq_len": 5})
    assert script.unsupported({"lr": "abc"}) is not None
    with pytest.raises(ValueError, match="cannot write a script"):
        script.training_script({"cell": "transformer"})
    # unknown keys (a page's whole parameter dict) are ignored; gated cells drop relu
    cfg = script.normalise({"cell": "gru", "nonlinearity": "relu", "report": None})
    assert cfg["nonlinearity"] == "tanh" and "report" not in cfg
    assert cfg["model_seed"] == cfg["seed"] == 0


def _namespace(cfg: dict) -> dict:
    """The generated file's definitions, run in this process (not as __main__: nothing trains)."""
    ns = {"__name__": "generated"}
    exec(compile(script.training_script(cfg), "generated.py", "exec"), ns)
    return ns


@pytest.mark.parametrize("name", ["adding", "copy", "order", "series"])
def test_the_task_and_model_are_the_live_source(name):
    """The script holds core's own code, not a copy kept by hand: every function and class it
    takes is inspect.getsource of the live object."""
    import inspect

    from core import models, tasks, training

    task = tasks.make_task(name, 12)
    text = script.training_script({"task": name, "seq_len": 12})
    sampler, chance, *_ = script._TASK_CODE[name]
    objs = [getattr(tasks, sampler), getattr(tasks, chance), tasks._check_len, task.loss]
    objs += [task.accuracy] if task.accuracy is not None else []
    objs += [models.SeqBatchNorm, models.RecurrentNet, models.init_recurrent, models.build_model,
             training.make_optimizer, training._first_nonfinite]
    for obj in objs:
        assert inspect.getsource(obj) in text, obj.__qualname__
    assert "# from core/tasks.py, as the app runs it" in text
    assert "# from core/models.py, as the app runs it" in text


@pytest.mark.parametrize("name", ["adding", "copy", "order", "series"])
def test_the_script_samples_and_builds_what_core_does(name):
    import torch

    from core.models import build_model
    from core.tasks import make_task

    cfg = script.normalise({"task": name, "seq_len": 12, "cell": "lstm", "hidden_size": 5,
                            "init": "orthogonal", "forget_bias": 1.0, "seed": 3})
    ns = _namespace(cfg)
    task = make_task(name, 12)
    x, y = ns["sample"](4, torch.Generator().manual_seed(1))
    want_x, want_y = task.sample(4, torch.Generator().manual_seed(1))
    assert torch.equal(x, want_x) and torch.equal(y, want_y)
    assert (ns["INPUT_SIZE"], ns["OUTPUT_SIZE"]) == (task.input_size, task.output_size)
    assert (ns["CHANCE"], ns["LOSS_NAME"]) == (task.chance, task.loss_name)
    assert ns["loss_fn"](torch.zeros(4, x.shape[1], task.output_size), y) == task.loss(
        torch.zeros(4, x.shape[1], task.output_size), y)
    got = ns["build_model"]("lstm", task.input_size, 5, task.output_size, init="orthogonal",
                            forget_bias=1.0, seed=3).state_dict()
    want = build_model("lstm", task.input_size, 5, task.output_size, init="orthogonal",
                       forget_bias=1.0, seed=3).state_dict()
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k]) for k in want)


def test_definitions_copies_the_source_in_module_order():
    from core import tasks

    text = script._definitions(tasks, ["temporal_order", "N_DISTRACTORS", "_check_len"])
    assert text.splitlines()[0] == "# from core/tasks.py, as the app runs it"
    assert "N_DISTRACTORS = 4  # symbols a, b, c, d" in text  # constants keep their comment
    assert (text.index("def _check_len") < text.index("N_DISTRACTORS = 4")
            < text.index("def temporal_order"))
    with pytest.raises(LookupError, match="no not_there"):
        script._definitions(tasks, ["adding_problem", "not_there"])
