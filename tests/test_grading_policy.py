"""The rules of answers (grading/policy.py): every solved answer follows them; each trick breaks one, on its line."""

import nbformat
import numpy as np
import pytest

import lstm
from grading import givens
from grading.cases import cell_cases, sequence_cases
from grading.grader import protected_names
from grading.notebooks import exercises_folder, exercises_of, is_answer, solution_paths
from grading.policy import first_violation, violations

PROTECTED = {"np", "show", "check_lstm_cell_backward", "lstm_cell_forward", "example_cell_inputs", "sigmoid"}
ALLOWED = {"lstm_cell_backward", "softmax"}


@pytest.mark.parametrize("path", solution_paths(), ids=lambda p: p.stem)
def test_every_solved_answer_follows_the_rules(path):
    notebook = nbformat.read(path, as_version=4)
    allowed = {exercise.name for exercise in exercises_of(notebook)}
    for cell in notebook.cells:
        if is_answer(cell):
            assert violations(cell.source, protected_names(notebook), allowed) == [], cell.get("id")


def test_the_protected_names_come_from_the_other_cells():
    notebook = nbformat.read(exercises_folder() / "03_cell_backward.ipynb", as_version=4)
    names = protected_names(notebook)
    assert {"np", "lstm_cell_forward", "check_lstm_cell_backward", "show", "example_cell_inputs", "lstm"} <= names
    assert "gradients" not in names and "cache" not in names  # a check cell's variables


ALLOWED_SOURCES = [
    "import numpy as np\nimport math\nfrom numpy import tanh, exp as e\n",
    "def softmax(z):\n    shifted = z - np.max(z, axis=0, keepdims=True)\n    for _ in range(1):\n        pass\n"
    "    return np.exp(shifted) / np.sum(np.exp(shifted), axis=0, keepdims=True)\n",
    "def lstm_cell_backward(da_next, dc_next, cache):\n    cache = list(cache)\n    show = 3\n    return {}\n",
    "import numpy.linalg\nx = np.zeros((2, 3)).astype(np.float64).T.shape\n",
]


@pytest.mark.parametrize("source", ALLOWED_SOURCES)
def test_ordinary_answers_are_allowed(source):
    assert violations(source, PROTECTED, ALLOWED) == []


REFUSED = [
    ('lstm_cell_backward = lstm_cell_forward.__globals__["lstm_cell_backward"]', 1, "__globals__"),
    ("import lstm", 1, "imports lstm"),
    ("x = 1\nfrom lstm.cell import lstm_cell_backward", 2, "imports from lstm.cell"),
    ("import importlib", 1, "imports importlib"),
    ("import sys", 1, "imports sys"),
    ("import gc", 1, "imports gc"),
    ("import inspect", 1, "imports inspect"),
    ("import builtins", 1, "imports builtins"),
    ("__import__('lstm')", 1, "__import__"),
    ("exec(open('lstm/cell.py').read())", 1, "exec"),
    ("x = np.loadtxt('lstm/cell.py', dtype=str)", 1, ".loadtxt"),
    ("x = np.load('a.npy')", 1, ".load"),
    ("x = np.fromfile('lstm/cell.py', dtype=np.uint8)", 1, ".fromfile"),
    ("x = np.genfromtxt('lstm/cell.py')", 1, ".genfromtxt"),
    ("x = np.memmap('lstm/cell.py')", 1, ".memmap"),
    ("x = np.lib.npyio", 1, ".npyio"),
    ("x = np.DataSource()", 1, ".DataSource"),
    ("x = np.lib._datasource.open('x')", 1, "._datasource"),
    ("np.allclose = lambda *a, **k: True", 1, "assigns to an attribute"),
    ("def f():\n    m = np\n    m.allclose = abs", 3, "assigns to an attribute"),
    ('x = getattr(np, "sy" + "s")', 1, "getattr"),
    ("x = np.testing", 1, ".testing"),
    ("x = np.ctypeslib", 1, ".ctypeslib"),
    ("x = np.zeros(2).ctypes", 1, ".ctypes"),
    ("def show(label, array):\n    pass", 1, "defines `show`"),
    ("def check_lstm_cell_backward(f):\n    print('ok')", 1, "defines `check_lstm_cell_backward`"),
    ("show = print", 1, "assigns `show`"),
    ("import numpy as show", 1, "imports as `show`"),
    ("from numpy import exp as sigmoid", 1, "imports as `sigmoid`"),
    ("del example_cell_inputs", 1, "deletes `example_cell_inputs`"),
    ("for np in [1]:\n    pass", 1, "assigns `np`"),
    ("if True:\n    lstm_cell_forward = abs", 2, "assigns `lstm_cell_forward`"),
    ("(np := 3)", 1, "assigns `np`"),
    ("def f():\n    global show\n    show = 1", 2, "global show"),
    ("x = eval('1')", 1, "eval"),
    ("x = vars(np)", 1, "vars"),
    ("x = globals()", 1, "globals"),
    ("g = (i for i in [0])\nx = g.gi_frame.f_back", 2, ".gi_frame"),
    ("x = type(np)", 1, "type"),
    ("x = get_ipython()", 1, "get_ipython"),
    ("x = Out", 1, "Out"),
    ("x = lstm.lstm_cell_backward", 1, "course's `lstm` package"),
    ("class A:\n    def __eq__(self, other):\n        return True", 2, "__eq__"),
    ("match lstm_cell_forward:\n    case np.ufunc(__globals__=g):\n        pass", 2, "__globals__"),
    ("%time x = 1", 1, "not valid Python"),
    ("x = np.zeros(2)\nnp.zeros(2).tofile('x')", 2, ".tofile"),
    ("x = np.save", 1, ".save"),
    ('f = np.ma.core.operator.attrgetter("__glo" + "bals__")', 1, ".operator"),
]


@pytest.mark.parametrize("source, line, words", REFUSED, ids=[r[2] + "-" + str(i) for i, r in enumerate(REFUSED)])
def test_a_trick_breaks_a_rule_on_its_line(source, line, words):
    reason = first_violation(source, PROTECTED, ALLOWED)
    assert reason is not None and reason.startswith(f"line {line}: "), reason
    assert words in reason and "\n" not in reason


def test_the_given_functions_pasted_into_the_isolated_notebook_agree_with_lstm():
    namespace = {}
    exec("import numpy as np\n" + givens.source_of(["sigmoid", "lstm_cell_forward", "lstm_cell_backward",
                                                   "lstm_forward"]), namespace)
    assert "lstm_backward" not in namespace and "softmax" not in namespace
    for case in cell_cases(4, hidden=True):
        v = case.values
        ours = namespace["lstm_cell_forward"](v["xt"], v["a_prev"], v["c_prev"], v["parameters"])
        theirs = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])
        for a, b in zip(ours[:3], theirs[:3], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
            assert a.dtype == b.dtype
        gradients = namespace["lstm_cell_backward"](v["da_next"], v["dc_next"], theirs[3])
        for key, value in lstm.lstm_cell_backward(v["da_next"], v["dc_next"], theirs[3]).items():
            np.testing.assert_allclose(gradients[key], value, rtol=1e-5, atol=1e-5)
    for case in sequence_cases(4, hidden=True):
        v = case.values
        for a, b in zip(namespace["lstm_forward"](v["x"], v["a0"], v["parameters"])[:3],
                        lstm.lstm_forward(v["x"], v["a0"], v["parameters"])[:3], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
            assert a.dtype == b.dtype


def test_the_given_lstm_backward_pasted_into_the_isolated_notebook_agrees_with_lstm():
    """Set 7 gives lstm_backward: the grader pastes it (with the cell's backward pass it needs) as plain numpy."""
    from grading.cases import bidirectional_cases

    namespace = {}
    exec("import numpy as np\n" + givens.source_of(["lstm_backward"]), namespace)
    assert {"lstm_backward", "lstm_cell_backward"} <= set(namespace) and "lstm_forward" not in namespace
    for case in bidirectional_cases(4, hidden=True):
        v = case.values
        _, (layer_caches, _) = lstm.stacked_lstm_forward(v["x"], [v["layer"]], bidirectional=True)
        n_a = v["da"].shape[0] // 2
        for da, cache in ((v["da"][:n_a], layer_caches[0][0]), (v["da"][n_a:, :, ::-1], layer_caches[0][1])):
            ours, theirs = namespace["lstm_backward"](da, cache), lstm.lstm_backward(da, cache)
            assert ours.keys() == theirs.keys()
            for key, value in theirs.items():
                np.testing.assert_allclose(ours[key], value, rtol=1e-10, atol=1e-12)
                assert ours[key].dtype == value.dtype and ours[key].shape == value.shape
