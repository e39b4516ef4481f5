"""Tricks and wrong answers, as a learner would type them, through the real ``lstm-grade`` (one parallel class run).

Each trick replaces the answer cell of an unsolved learner notebook; each wrong answer is a small edit of a solved
one. Every one must score 0 on its exercise with a one-line reason, while the solved notebooks in the same run score
full marks. The same rules hold at the check cell in the notebook (tested in process at the end).
"""

import io
import json
import linecache
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grading import grader
from grading.feedback import CheckFailed
from grading.grader import read_results, run_isolated, run_nbval
from grading.nbval_report import signature
from grading.notebooks import exercises_folder, is_answer

S1, S3, S4, S5, S7 = ("01_cell_forward", "03_cell_backward", "04_backprop_through_time", "05_gradient_checker",
                      "07_bidirectional_backward")
S6 = "06_gru_cell"

#: (id, set, exercise, the answer cell's whole source): ways to score without solving.
TRICKS = [
    ("globals", S3, "lstm_cell_backward",
     'lstm_cell_backward = lstm_cell_forward.__globals__["lstm_cell_backward"]\n'),
    ("redefine-check-and-show", S3, "lstm_cell_backward",
     'def check_lstm_cell_backward(function):\n    print("lstm_cell_backward: all 12 checks passed.")\n\n\n'
     'def show(label, array, digits=5):\n    print(label)\n\n\n'
     'def lstm_cell_backward(da_next, dc_next, cache):\n    return {}\n'),
    ("import-lstm", S3, "lstm_cell_backward", "import lstm\n\nlstm_cell_backward = lstm.lstm_cell_backward\n"),
    ("from-lstm", S3, "lstm_cell_backward", "from lstm import lstm_cell_backward  # the reference\n"),
    ("from-lstm-cell", S3, "lstm_cell_backward",
     "from lstm.cell import lstm_cell_backward as reference\n\n\ndef lstm_cell_backward(da_next, dc_next, cache):\n"
     "    return reference(da_next, dc_next, cache)\n"),
    ("importlib", S3, "lstm_cell_backward",
     'import importlib\n\nlstm_cell_backward = importlib.import_module("lstm").lstm_cell_backward\n'),
    ("sys-modules", S3, "lstm_cell_backward",
     'import sys\n\n\ndef lstm_cell_backward(da_next, dc_next, cache):\n'
     '    return sys.modules["lstm.cell"].lstm_cell_backward(da_next, dc_next, cache)\n'),
    ("gc", S3, "lstm_cell_backward",
     "import gc\n\nlstm_cell_backward = next(o for o in gc.get_objects() if callable(o)\n"
     '                          and getattr(o, "__qualname__", "") == "lstm_cell_backward")\n'),
    ("inspect", S3, "lstm_cell_backward",
     "import inspect\n\nlstm_cell_backward = inspect.getmodule(lstm_cell_forward).lstm_cell_backward\n"),
    ("builtins-import", S3, "lstm_cell_backward",
     'import builtins\n\nlstm_cell_backward = builtins.__import__("lstm").lstm_cell_backward\n'),
    ("open-exec", S3, "lstm_cell_backward",
     'import numpy as np\n\nexec(open("../lstm/cell.py").read())\n'),
    ("loadtxt-exec", S3, "lstm_cell_backward",
     'lines = np.loadtxt("../lstm/cell.py", dtype=str, delimiter="\\x00", comments=None)\n'
     'code = "\\n".join(lines)\n'),
    ("patch-allclose", S3, "lstm_cell_backward",
     "np.allclose = lambda *args, **kwargs: True\n\n\ndef lstm_cell_backward(da_next, dc_next, cache):\n"
     "    return {}\n"),
    ("getattr-sys", S3, "lstm_cell_backward",
     'lstm_cell_backward = getattr(np, "sy" + "s").modules["lstm"].lstm_cell_backward\n'),
    ("frame-walk", S3, "lstm_cell_backward",
     "def lstm_cell_backward(da_next, dc_next, cache):\n    g = (i for i in [0])\n"
     '    return g.gi_frame.f_back.f_globals["lstm_cell_backward"](da_next, dc_next, cache)\n'),
    ("global-rebind", S1, "softmax",
     "def softmax(z):\n    global show\n    show = print\n    e = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
     "    return e / np.sum(e, axis=0, keepdims=True)\n"),
    ("set5-lstm-module", S5, "numerical_gradient",
     "def numerical_gradient(f, x, eps=1e-6):\n    return lstm.numerical_gradient(f, x, eps)\n"),
    ("set7-lstm-deep", S7, "bidirectional_lstm_backward",
     "from lstm.deep import stacked_lstm_backward\n\n\ndef bidirectional_lstm_backward(da, caches):\n"
     "    dx, layers = stacked_lstm_backward(da, ([tuple(caches)], True))\n    return dx, layers[0]\n"),
    ("set7-given-globals", S7, "bidirectional_lstm_backward",
     "def bidirectional_lstm_backward(da, caches):\n"
     '    deep = lstm_backward.__globals__["np"]\n    return deep.zeros(1), ({}, {})\n'),
    ("set7-redefine-given", S7, "bidirectional_lstm_backward",
     "def lstm_backward(da, caches):\n    return {}\n\n\ndef bidirectional_lstm_backward(da, caches):\n"
     "    return lstm_backward(da, caches)\n"),
]

#: (id, set, exercise, old, new): wrong answers as small edits of the solved notebook's answer.
WRONG = [
    ("bidirectional-no-reversal", S7, "bidirectional_lstm_backward",
     "lstm_backward(np.flip(da_backward, axis=2), cache_backward)", "lstm_backward(da_backward, cache_backward)"),
    ("bidirectional-clip-5", S7, "bidirectional_lstm_backward", "    return dx, gradients\n",
     "    gradients = tuple({k: np.clip(g, -5, 5) for k, g in d.items()} for d in gradients)\n"
     "    return dx, gradients\n"),
    ("bptt-clip-5", S4, "lstm_backward", "    return gradients\n",
     "    for key in gradients:\n        gradients[key] = np.clip(gradients[key], -5, 5)\n    return gradients\n"),
    ("bptt-clip-10", S4, "lstm_backward", "    return gradients\n",
     "    for key in gradients:\n        np.clip(gradients[key], -10, 10, out=gradients[key])\n    return gradients\n"),
    ("bptt-global-norm", S4, "lstm_backward", "    return gradients\n",
     "    norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))\n    if norm > 5:\n"
     "        gradients = {key: g * 5 / norm for key, g in gradients.items()}\n    return gradients\n"),
    ("bptt-zeros-like", S4, "lstm_backward", "dx = np.zeros((n_x, m, T_x))", "dx = np.zeros_like(x)"),
    ("bptt-zeros-int", S4, "lstm_backward", "dx = np.zeros((n_x, m, T_x))", "dx = np.zeros((n_x, m, T_x), dtype=int)"),
    ("softmax-mean", S1, "softmax", "np.max(z, axis=0, keepdims=True)", "np.mean(z, axis=0, keepdims=True)"),
    ("softmax-no-shift", S1, "softmax", "np.exp(z - np.max(z, axis=0, keepdims=True))", "np.exp(z)"),
    ("softmax-in-place", S1, "softmax", "    e = np.exp(z - np.max(z, axis=0, keepdims=True))\n",
     "    z -= np.max(z, axis=0, keepdims=True)\n    e = np.exp(z)\n"),
    ("softmax-masked-array", S1, "softmax", "    return e / np.sum(e, axis=0, keepdims=True)\n",
     "    return np.ma.masked_array(e / np.sum(e, axis=0, keepdims=True))\n"),
    ("softmax-exits", S1, "softmax", "    return e / np.sum(e, axis=0, keepdims=True)\n", "    raise SystemExit(0)\n"),
    ("gru-clip-5", S6, "gru_cell_backward", '"dWh": dz_cand @ concat_reset.T,',
     '"dWh": np.clip(dz_cand @ concat_reset.T, -5, 5),'),
    ("gru-zeros-like", S6, "gru_cell_backward", "    dxt = Wh[:, n_a:].T @ dz_cand",
     "    dxt = np.zeros_like(xt)\n    dxt[:] = Wh[:, n_a:].T @ dz_cand"),
    ("gru-sigmoid-overflow", S6, "gru_cell_forward", 'zt = sigmoid(parameters["Wz"] @ concat + parameters["bz"])',
     'pre_z = parameters["Wz"] @ concat + parameters["bz"]\n    zt = np.exp(pre_z) / (1 + np.exp(pre_z))'),
]

SOLVED = ["01_cell_forward", "02_sequence_forward", "03_cell_backward", "04_backprop_through_time", "06_gru_cell",
          "07_bidirectional_backward"]


def _notebook(name, solved):
    folder = exercises_folder() / "solutions" if solved else exercises_folder()
    return nbformat.read(folder / f"{name}.ipynb", as_version=4)


def _answer_cell(notebook, exercise):
    return next(cell for cell in notebook.cells if is_answer(cell) and cell.get("id") == f"{exercise}-answer")


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """One `lstm-grade -j 2 --json -` run over a class of tricks, wrong answers and solved notebooks."""
    folder = tmp_path_factory.mktemp("tricks")
    for key, name, exercise, source in TRICKS:
        notebook = _notebook(name, solved=False)
        _answer_cell(notebook, exercise).source = source
        nbformat.write(notebook, folder / f"trick-{key}.ipynb")
    for key, name, exercise, old, new in WRONG:
        notebook = _notebook(name, solved=True)
        cell = _answer_cell(notebook, exercise)
        assert cell.source.count(old) == 1, key
        cell.source = cell.source.replace(old, new)
        nbformat.write(notebook, folder / f"wrong-{key}.ipynb")
    for name in SOLVED:
        nbformat.write(_notebook(name, solved=True), folder / f"solved-{name}.ipynb")
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run([sys.executable, "-m", "grading", str(folder), "-j", "2", "--json", "-", "-q"],
                               capture_output=True, text=True, env=environment, timeout=900, check=False)
    assert completed.returncode == 1, completed.stderr  # some failed, none could not be graded
    return {Path(entry["notebook"]).stem: entry for entry in json.loads(completed.stdout)["notebooks"]}


def _exercise(entry, name):
    return next(exercise for exercise in entry["exercises"] if exercise["exercise"] == name)


@pytest.mark.parametrize("key, name, exercise, source", TRICKS, ids=[t[0] for t in TRICKS])
def test_a_trick_scores_zero_with_a_one_line_reason(class_run, key, name, exercise, source):
    entry = class_run[f"trick-{key}"]
    assert not entry["error"], entry["error"]
    graded = _exercise(entry, exercise)
    assert graded["points"] == 0 and not graded["passed"]
    assert graded["hint"] and "\n" not in graded["hint"]
    assert "not written yet" not in graded["hint"] or key == "redefine-check-and-show", graded["hint"]


@pytest.mark.parametrize("key, name, exercise, old, new", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_answer_scores_zero_with_a_one_line_reason(class_run, key, name, exercise, old, new):
    entry = class_run[f"wrong-{key}"]
    graded = _exercise(entry, exercise)
    assert graded["points"] == 0 and graded["hint"] and "\n" not in graded["hint"]
    # the first two break the cell forward pass that uses softmax; the GRU's backward is checked through its forward
    if key not in ("softmax-masked-array", "softmax-exits", "gru-sigmoid-overflow"):
        for other in entry["exercises"]:
            if other["exercise"] != exercise:
                assert other["passed"], other


def test_the_hints_name_the_mistake(class_run):
    hints = {key: _exercise(class_run[f"wrong-{key}"], exercise)["hint"] for key, _, exercise, _, _ in WRONG}
    assert "clipped at ±5" in hints["bptt-clip-5"]
    assert "clipped at ±10" in hints["bptt-clip-10"]
    assert "rescal" in hints["bptt-global-norm"]
    assert "integer dtype" in hints["bptt-zeros-like"] and "integer dtype" in hints["bptt-zeros-int"]
    assert "overflows" in hints["softmax-mean"] and "overflows" in hints["softmax-no-shift"]
    assert "modified its input `z`" in hints["softmax-in-place"]
    assert "not reversed in time" in hints["bidirectional-no-reversal"]
    assert "clipped at ±5" in hints["bidirectional-clip-5"]
    assert "returned a MaskedArray" in hints["softmax-masked-array"]
    assert "SystemExit" in hints["softmax-exits"]
    assert "dWh is clipped at ±5" in hints["gru-clip-5"]
    assert "dxt has the integer dtype" in hints["gru-zeros-like"]
    assert "nan or inf" in hints["gru-sigmoid-overflow"] and "±1000" in hints["gru-sigmoid-overflow"]
    tricks = {key: _exercise(class_run[f"trick-{key}"], exercise)["hint"] for key, _, exercise, _ in TRICKS}
    assert tricks["globals"].startswith("line 1: uses `.__globals__`")
    assert "imports lstm" in tricks["import-lstm"] and "getattr" in tricks["getattr-sys"]
    assert "defines `check_lstm_cell_backward`" in tricks["redefine-check-and-show"]
    assert "assigns to an attribute" in tricks["patch-allclose"]
    assert "imports from lstm.deep" in tricks["set7-lstm-deep"]
    assert "defines `lstm_backward`" in tricks["set7-redefine-given"]


@pytest.mark.parametrize("name", SOLVED)
def test_the_solved_notebooks_in_the_same_run_score_full_marks(class_run, name):
    entry = class_run[f"solved-{name}"]
    assert entry["status"] == "passed", entry["exercises"]
    assert entry["points"] == entry["max_points"] > 0
    assert isinstance(entry["seed"], int)


# --- isolation: what the policy would let through still cannot reach the course --------------------------------------


def test_the_isolated_notebook_cannot_import_the_course_packages(tmp_path):
    """Even code that no policy checks (a harness cell) finds stubs in place of lstm and grading."""
    cells = [nbformat.v4.new_code_cell(source) for source in
             ("import lstm", "import grading", "import lstm.cell", "import numpy as np\nprint(np.ones(2).sum())")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    records, timed_out = run_isolated(notebook, tmp_path, 60, 120)
    assert not timed_out
    for number in range(3):
        assert records[number]["outcome"] == "failed"
        assert "not available to an answer" in records[number]["traceback"]
    assert records[3]["outcome"] == "passed"


# --- the same rules at the check cell ---------------------------------------------------------------------------------


def _run_cell(source, namespace, number):
    """Run ``source`` as IPython runs a cell (registered in linecache with no modification time)."""
    filename = f"/tmp/ipykernel_test/{number}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def _setup(name):
    notebook = _notebook(name, solved=True)
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        if cell.cell_type == "code" and not is_answer(cell) and "check" not in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
    return notebook, namespace


#: The check function the check cell of each set with tricks calls.
CHECKERS = {S3: "check_lstm_cell_backward", S7: "check_bidirectional_lstm_backward"}


@pytest.mark.parametrize("key", ["globals", "from-lstm", "import-lstm", "redefine-check-and-show", "sys-modules",
                                 "patch-allclose", "set7-lstm-deep", "set7-given-globals", "set7-redefine-given"])
def test_the_check_cell_fails_the_tricks_too(key, monkeypatch):
    monkeypatch.setattr(np, "allclose", np.allclose)  # undone after the test: "patch-allclose" really patches numpy
    _, name, exercise, source = next(t for t in TRICKS if t[0] == key)
    _, namespace = _setup(name)
    checker = namespace[CHECKERS[name]]
    try:
        _run_cell(source, namespace, key)
    except Exception:  # noqa: S110 (a trick that fails at once fails the cell too)
        return
    with pytest.raises(CheckFailed) as failure, redirect_stdout(io.StringIO()):
        checker(namespace[exercise])
    assert "\n" not in str(failure.value)
    assert "course's own" in str(failure.value) or "breaks a rule" in str(failure.value)


def test_the_check_cell_passes_the_solution_and_shows_a_clean_failure():
    notebook, namespace = _setup(S3)
    _run_cell(_answer_cell(notebook, "lstm_cell_backward").source, namespace, "solution")
    with redirect_stdout(io.StringIO()) as printed:
        namespace["check_lstm_cell_backward"](namespace["lstm_cell_backward"])
    assert printed.getvalue().startswith("lstm_cell_backward: all ")
    wrong = _answer_cell(notebook, "lstm_cell_backward").source.replace("keepdims=True", "keepdims=False", 1)
    _run_cell(wrong, namespace, "wrong")
    with pytest.raises(CheckFailed) as failure, redirect_stdout(io.StringIO()):
        namespace["check_lstm_cell_backward"](namespace["lstm_cell_backward"])
    lines = failure.value._render_traceback_()
    assert len(lines) == 2 and "lstm_cell_backward" in lines[0] and lines[1].startswith("  failing case: ")
    assert np.all([isinstance(line, str) for line in lines])


# --- the results file: nothing the kernel writes is graded ------------------------------------------------------------

#: An answer that finds the results file on its parent's command line and appends "passed" for every cell (with a
#: policy that let it through); it leaves the path in PROOF, so that the test knows the forgery was attempted.
FORGE = """import json, os
arguments = open(f"/proc/{os.getppid()}/cmdline", "rb").read().decode().split("\\0")
path = next(a.split("=", 1)[1] for a in arguments if a.startswith("--lstm-grade-results="))
with open(path, "a") as results:
    for cell in range(60):
        results.write(json.dumps({"cell": cell, "when": "call", "outcome": "passed", "kernel_pid": None}) + "\\n")
open(PROOF, "w").write(path)
"""

#: The same, copying a record the plugin signed (the previous cell's "passed") instead of writing one.
REPLAY = """import os
arguments = open(f"/proc/{os.getppid()}/cmdline", "rb").read().decode().split("\\0")
path = next(a.split("=", 1)[1] for a in arguments if a.startswith("--lstm-grade-results="))
signed = open(path).read().splitlines()[-1]
with open(path, "a") as results:
    results.write(signed + "\\n")
open(PROOF, "w").write(path)
"""

needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="the forgery reads /proc")


def _code_notebook(*sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def test_the_kernel_sees_no_results_file(tmp_path, monkeypatch):
    """Not in its environment (even when the grader's own environment names one), not in its working folder."""
    monkeypatch.setenv("LSTM_GRADE_RESULTS", str(tmp_path / "planted.jsonl"))
    look = ('import os\nassert not [name for name in os.environ if "LSTM_GRADE" in name]\n'
            'assert not [name for name in os.listdir(".") if name.endswith(".jsonl")]\n')
    records, timed_out = run_nbval(_code_notebook(look, "raise RuntimeError('a wrong answer')"), tmp_path, 60, 120)
    assert not timed_out
    assert [records[number]["outcome"] for number in (0, 1)] == ["passed", "failed"], records
    assert not (tmp_path / "planted.jsonl").exists()


@needs_proc
@pytest.mark.parametrize("forgery", [FORGE, REPLAY], ids=["unsigned", "replayed"])
def test_records_an_answer_writes_fail_every_cell(tmp_path, forgery):
    proof = tmp_path / "proof.txt"
    notebook = _code_notebook("x = 1", f"PROOF = {str(proof)!r}\n" + forgery, "raise RuntimeError('a wrong answer')")
    records, _ = run_nbval(notebook, tmp_path, 60, 120)
    assert proof.exists(), "the forgery did not find the results file: this test proves nothing"
    assert all(records[number]["outcome"] == "failed" for number in range(3)), records
    message = records[2]["message"]
    assert "cannot be trusted" in message and "\n" not in message


@needs_proc
def test_an_answer_that_forges_passing_records_scores_zero(tmp_path, monkeypatch):
    """Set 5 is graded from nbval's records; with the policy out of the way, forged records still score nothing."""
    monkeypatch.setattr(grader, "policy_reason", lambda source, released: None)
    proof = tmp_path / "proof.txt"
    notebook = _notebook(S5, solved=False)
    cell = _answer_cell(notebook, "numerical_gradient")
    cell.source = f"PROOF = {str(proof)!r}\n" + FORGE + cell.source
    path = tmp_path / "forged.ipynb"
    nbformat.write(notebook, path)
    grade = grader.grade_notebook(path, cell_timeout=60)
    assert proof.exists(), "the forgery did not find the results file: this test proves nothing"
    assert not grade.error, grade.error
    assert grade.points == 0 and all(not exercise.passed for exercise in grade.exercises)
    assert all("cannot be trusted" in exercise.hint and "\n" not in exercise.hint for exercise in grade.exercises)


def _signed(key, *records):
    lines = []
    for number, record in enumerate(records):
        record = {"kernel_pid": None, **record, "sequence": number}
        lines.append(json.dumps({**record, "mac": signature(key, record)}))
    return "\n".join(lines) + "\n"


def test_the_reader_refuses_a_hand_made_results_file():
    key = b"k" * 32
    honest = [{"cell": 0, "when": "call", "outcome": "passed"}, {"cell": 1, "when": "call", "outcome": "failed"}]
    records, problem = read_results(_signed(key, *honest), key, 2)
    assert problem is None and [records[n]["outcome"] for n in (0, 1)] == ["passed", "failed"]
    passed = {"cell": 1, "when": "call", "outcome": "passed"}
    lines = _signed(key, *honest).splitlines()
    for text, words in [
        (_signed(b"x" * 32, *honest), "signature"),  # signed with another key
        (_signed(key, honest[0], passed, honest[1]), "repeats the record of cell 1"),  # a second record of a cell
        (_signed(key, honest[0], {**passed, "cell": 7}), "names no cell"),
        (_signed(key, {**honest[0], "points": 9}), "not a record"),
        ("\n".join([lines[0], lines[0], lines[1]]) + "\n", "out of sequence"),  # a signed record copied
        ("\n".join([lines[1]]) + "\n", "out of sequence"),  # one removed
        ("not json\n", "not JSON"),
        (json.dumps({"cell": 0, "when": "call", "outcome": "passed", "sequence": 0}) + "\n", "signature"),
    ]:
        _, problem = read_results(text, key, 2)
        assert problem is not None and words in problem and "\n" not in problem, (words, problem)
