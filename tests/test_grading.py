"""The grading tooling: the checks' strength (every known mistake named, every automatic mutant caught), the
generator, the one-line errors of `lstm-grade`, the time limits, and grading a class in parallel."""

import csv
import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout

import nbformat
import numpy as np
import pytest
from exercise_mistakes import _time_limit
from mutation import mutants, probe, same_results

import lstm
from grading import checks, gru, mistakes
from grading.cases import cell_cases, gru_cases, sequence_cases
from grading.checks_bidirectional import (
    BIDIRECTIONAL_MISTAKES,
    bidirectional_backward_with,
    reference_bidirectional_lstm_backward,
    verify_bidirectional_lstm_backward,
)
from grading.checks_gradient_checker import (
    NUMERICAL_GRADIENT_MISTAKES,
    RELATIVE_ERROR_MISTAKES,
    numerical_gradient_with,
    relative_error_with,
    verify_gradient_check,
    verify_numerical_gradient,
    verify_relative_error,
)
from grading.checks_gru import verify_gru_cell_backward, verify_gru_cell_forward
from grading.feedback import CheckFailed
from grading.notebooks import exercises_folder, exercises_of, learner_notebook, strip_solution

SOLUTIONS = exercises_folder() / "solutions"


def test_import_lstm_does_not_import_the_grading_tools():
    code = ("import sys, lstm; "
            "assert not [m for m in sys.modules if m.startswith('grading') or m == 'grading']")
    subprocess.run([sys.executable, "-c", code], check=True)


def _float64(cases):
    """The cases in float64 (the mistaken references recognise mistakes there; float32 cases come last)."""
    return [case for case in cases if case.values["parameters"]["Wf"].dtype == np.float64]


def test_mistaken_references_without_a_mistake_are_the_package():
    for case in _float64(cell_cases(1, hidden=True)):
        v = case.values
        a, c, y, cache = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])
        for ours, theirs in zip(mistakes.cell_forward_with(v["xt"], v["a_prev"], v["c_prev"], v["parameters"]),
                                (a, c, y), strict=True):
            np.testing.assert_array_equal(ours, theirs)
        expected = lstm.lstm_cell_backward(v["da_next"], v["dc_next"], cache)
        ours = mistakes.cell_backward_with(v["da_next"], v["dc_next"], cache)
        for key in expected:
            np.testing.assert_allclose(ours[key], expected[key], rtol=1e-12, atol=1e-14)
    for case in _float64(sequence_cases(2, hidden=True)):
        v = case.values
        a, y, c, caches = lstm.lstm_forward(v["x"], v["a0"], v["parameters"])
        ours = mistakes.sequence_forward_with(v["x"], v["a0"], v["parameters"])
        for key, value in (("a", a), ("y", y), ("c", c)):
            np.testing.assert_array_equal(ours[key], value)
        expected = lstm.lstm_backward(v["da"], caches)
        ours = mistakes.sequence_backward_with(v["da"], caches)
        for key in expected:
            np.testing.assert_allclose(ours[key], expected[key], rtol=1e-12, atol=1e-14)
    z = np.random.default_rng(3).normal(size=(4, 3))
    np.testing.assert_array_equal(mistakes.softmax_with(z), lstm.softmax(z))


def test_reference_gru_backward_agrees_with_finite_differences():
    for case in gru_cases(4):
        v = case.values
        a_next, cache = gru.gru_cell_forward(v["xt"], v["a_prev"], v["parameters"])
        np.testing.assert_array_equal(a_next, gru.gru_forward_with(v["xt"], v["a_prev"], v["parameters"]))
        grads = gru.gru_cell_backward(v["da_next"], cache)
        inputs = {"xt": v["xt"], "a_prev": v["a_prev"], **v["parameters"]}

        def loss(values, v=v):
            params = {key: values[key] for key in gru.GRU_PARAMETER_KEYS}
            return np.sum(v["da_next"] * gru.gru_cell_forward(values["xt"], values["a_prev"], params)[0])

        for key, value in inputs.items():
            numerical = lstm.numerical_gradient(lambda x, key=key, inputs=inputs: loss({**inputs, key: x}), value)
            np.testing.assert_allclose(grads["d" + key], numerical, rtol=1e-6, atol=1e-8, err_msg=key)


def _learner_cell_forward(key):
    def forward(xt, a_prev, c_prev, parameters):
        cache = lstm.lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]
        return (*mistakes.cell_forward_with(xt, a_prev, c_prev, parameters, key), cache)
    return forward


def _learner_forward(key):
    def forward(x, a0, parameters):
        out = mistakes.sequence_forward_with(x, a0, parameters, key)
        return out["a"], out["y"], out["c"], lstm.lstm_forward(x, a0, parameters)[3]
    return forward


KNOWN = (
    [(checks.verify_softmax, lambda k: lambda z: mistakes.softmax_with(z, k), k, h)
     for k, h in mistakes.SOFTMAX_MISTAKES.items()]
    + [(checks.verify_lstm_cell_forward, _learner_cell_forward, k, h)
       for k, h in mistakes.CELL_FORWARD_MISTAKES.items()]
    + [(checks.verify_lstm_cell_backward,
        lambda k: lambda da, dc, cache: mistakes.cell_backward_with(da, dc, cache, k),
        k, h) for k, h in mistakes.CELL_BACKWARD_MISTAKES.items()]
    + [(checks.verify_lstm_forward, _learner_forward, k, h) for k, h in mistakes.SEQUENCE_FORWARD_MISTAKES.items()]
    + [(checks.verify_lstm_backward, lambda k: lambda da, caches: mistakes.sequence_backward_with(da, caches, k), k, h)
       for k, h in mistakes.SEQUENCE_BACKWARD_MISTAKES.items()]
    + [(verify_gru_cell_forward, lambda k: lambda xt, a, p: (gru.gru_forward_with(xt, a, p, k), None), k, h)
       for k, h in gru.GRU_FORWARD_MISTAKES.items()]
    + [(verify_numerical_gradient, lambda k: lambda f, x, eps=1e-6: numerical_gradient_with(f, x, eps, k), k, h)
       for k, h in NUMERICAL_GRADIENT_MISTAKES.items()]
    + [(verify_relative_error, lambda k: lambda a, n: relative_error_with(a, n, k), k, h)
       for k, h in RELATIVE_ERROR_MISTAKES.items()]
    + [(verify_bidirectional_lstm_backward, lambda k: lambda da, caches: bidirectional_backward_with(da, caches, k),
        k, h) for k, h in BIDIRECTIONAL_MISTAKES.items()]
)


@pytest.mark.parametrize("check, make, key, hint", KNOWN, ids=[f"{c.__name__}-{k}" for c, _, k, _ in KNOWN])
def test_every_known_mistake_is_named_by_its_check(check, make, key, hint):
    with pytest.raises(AssertionError) as failure, redirect_stdout(io.StringIO()):
        check(make(key))
    assert hint in str(failure.value)
    assert "\n" not in str(failure.value), "hints are one line"


def test_checks_pass_the_reference(capsys):
    """The verdicts pass the course's own functions (the check functions refuse them: see the next test)."""
    for name in ("softmax", "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward"):
        assert getattr(checks, f"verify_{name}")(getattr(lstm, name)) >= 10
        assert getattr(checks, f"verify_{name}")(getattr(lstm, name), seed=5, hidden=True) > 15
    verify_numerical_gradient(lstm.numerical_gradient)
    verify_relative_error(lstm.relative_error)
    verify_gradient_check(lstm.gradient_check)
    verify_gru_cell_forward(gru.gru_cell_forward)
    verify_gru_cell_backward(gru.gru_cell_backward, gru.gru_cell_forward)
    assert verify_bidirectional_lstm_backward(reference_bidirectional_lstm_backward) >= 10
    assert verify_bidirectional_lstm_backward(reference_bidirectional_lstm_backward, seed=5, hidden=True) > 15
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.endswith("checks passed.") for line in lines)


@pytest.mark.parametrize("name", ["softmax", "lstm_cell_forward", "lstm_forward", "lstm_cell_backward",
                                  "lstm_backward"])
def test_a_check_refuses_the_course_own_function(name):
    with pytest.raises(CheckFailed, match=f"this is the course's own {name}: write your own"):
        getattr(checks, f"check_{name}")(getattr(lstm, name))


def test_a_check_names_a_function_that_modifies_its_input():
    def sloppy_softmax(z):
        z -= np.max(z, axis=0, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=0, keepdims=True)

    with pytest.raises(CheckFailed, match="modified its input `z`"):
        checks.verify_softmax(sloppy_softmax)


def test_a_float32_answer_fails_on_its_dtype():
    with pytest.raises(CheckFailed, match="dtype float32"):
        checks.verify_softmax(lambda z: lstm.softmax(z).astype(np.float32))


# --- mutation testing ---------------------------------------------------------------------------------------------


def _check_cells_print(notebook, exercise, namespace):
    """What the exercise's check cells print, run in ``namespace``; None when one of them fails."""
    printed = io.StringIO()
    for index in exercise.check_indices:
        try:
            with redirect_stdout(printed), _time_limit(30):
                exec(notebook.cells[index].source, namespace)
        except Exception:
            return None
    return printed.getvalue()


def test_every_automatic_mutant_that_changes_the_answer_fails_its_check():
    """Small automatic edits of every solved answer: each one that computes something different must fail.

    The kill rate is printed (run with -s to see it)."""
    total = equivalent = killed = 0
    survivors = []
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        exercises = exercises_of(notebook)
        setup = [cell.source for cell in notebook.cells[: exercises[0].answer_index] if cell.cell_type == "code"]

        def namespace(name=None, source=None, notebook=notebook, exercises=exercises, setup=setup):
            space = {"__name__": "__main__"}
            for code in setup:
                exec(code, space)
            for exercise in exercises:
                code = source if exercise.name == name else notebook.cells[exercise.answer_index].source
                exec(compile(code, f"<{exercise.name}>", "exec"), space)
            return space

        for exercise in exercises:
            space = namespace()
            # The solution's own run is the reference (the stored outputs are the notebook's business).
            expected = _check_cells_print(notebook, exercise, space)
            assert expected is not None, f"the solution of {exercise.name} must pass"
            baseline = probe(exercise.name, space)
            for description, source in mutants(notebook.cells[exercise.answer_index].source):
                total += 1
                try:
                    with _time_limit(20):
                        space = namespace(exercise.name, source)
                        behaviour = probe(exercise.name, space)
                except Exception:  # the mutant does not even define its function, or loops: it cannot pass
                    killed += 1
                    continue
                if same_results(baseline, behaviour):
                    equivalent += 1
                elif _check_cells_print(notebook, exercise, space) == expected:
                    survivors.append(f"{path.stem} {exercise.name}: {description}")
                else:
                    killed += 1
    different = total - equivalent
    print(f"\nmutants: {total}, equivalent: {equivalent}, different: {different}, killed: {killed} "
          f"({killed / different:.1%})")
    assert total > 500
    assert not survivors, "mutants that compute something else but pass:\n" + "\n".join(survivors)


# --- the generator ------------------------------------------------------------------------------------------------


def test_strip_solution_keeps_the_indentation_and_the_rest():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    assert strip_solution(source) == ('def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n'
                                      '    raise NotImplementedError()\n')
    for broken in ("### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n",
                   "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n"):
        with pytest.raises(ValueError):
            strip_solution(broken)


def test_learner_notebook_keeps_ids_and_check_outputs():
    solved = nbformat.read(SOLUTIONS / "03_cell_backward.ipynb", as_version=4)
    learner = learner_notebook(solved)
    assert [c.id for c in learner.cells] == [c.id for c in solved.cells]
    for ours, theirs in zip(learner.cells, solved.cells, strict=True):
        if "answer" in ours.metadata.get("tags", []):
            assert "raise NotImplementedError()" in ours.source and "### BEGIN" not in ours.source
            assert ours.source.startswith("def lstm_cell_backward(") and not ours.outputs
        else:
            assert ours == theirs


def test_generate_check_reports_a_stale_notebook(tmp_path):
    from grading.generate import main

    assert main(["--check"]) == 0
    assert main(["--out", str(tmp_path)]) == 0 and len(list(tmp_path.glob("*.ipynb"))) == 7
    (tmp_path / "01_cell_forward.ipynb").write_text("{}", encoding="utf-8")
    assert main(["--check", "--out", str(tmp_path)]) == 1


# --- one-line errors ------------------------------------------------------------------------------------------------


def _grade_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "grading", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def bad_files(tmp_path):
    files = {}
    files["garbage.ipynb"] = "this is { not json"
    files["array.ipynb"] = "[1, 2, 3]"
    files["essay.txt"] = "my answers are in my head"
    lost = nbformat.read(SOLUTIONS / "01_cell_forward.ipynb", as_version=4)
    for cell in lost.cells:
        cell.metadata.pop("tags", None)
        cell.id = "x" + cell.id
    files["lost.ipynb"] = nbformat.writes(lost)
    alien = nbformat.read(SOLUTIONS / "01_cell_forward.ipynb", as_version=4)
    alien.metadata["lstm_exercises"]["set"] = "99_transformers"
    files["alien.ipynb"] = nbformat.writes(alien)
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / name
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.mark.parametrize("name, words", [("garbage.ipynb", "not valid JSON"), ("array.ipynb", "no list of cells"),
                                         ("essay.txt", "not a Jupyter notebook"), ("lost.ipynb", "lost its answer"),
                                         ("alien.ipynb", "does not have")])
def test_a_file_that_cannot_be_graded_gives_one_line(bad_files, name, words):
    result = _grade_cli(bad_files[name])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_notebook_of_another_set_is_refused_with_one_line(tmp_path):
    result = _grade_cli(SOLUTIONS / "02_sequence_forward.ipynb", "--set", "01")
    assert result.returncode == 2
    assert "belongs to set 02_sequence_forward, not to set 01_cell_forward" in result.stderr
    assert result.stderr.count("\n") == 1
    result = _grade_cli(SOLUTIONS / "02_sequence_forward.ipynb", "--set", "42")
    assert result.returncode == 2 and "unknown exercise set" in result.stderr


def test_a_missing_file_gives_one_line(tmp_path):
    result = _grade_cli(tmp_path / "nowhere.ipynb")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no such file" in result.stderr


# --- time limits and a class --------------------------------------------------------------------------------------


def _with_answer(set_name, exercise, old, new):
    notebook = nbformat.read(SOLUTIONS / f"{set_name}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("id") == f"{exercise}-answer":
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
    return nbformat.writes(notebook)


ENDLESS = ("concat = np.concatenate([a_prev, xt], axis=0)",
           "concat = np.concatenate([a_prev, xt], axis=0)\n    while True:\n        pass")


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """A mixed class folder, graded by `lstm-grade -j 2`: every kind of submission an instructor meets."""
    root = tmp_path_factory.mktemp("class")
    folder = root / "submissions"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(
        (SOLUTIONS / "01_cell_forward.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bob.ipynb").write_text(_with_answer("01_cell_forward", "lstm_cell_forward", "c_next = ft * c_prev",
                                                   "c_next = ft * a_prev"), encoding="utf-8")
    (folder / "carol.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "dave.ipynb").write_text(_with_answer("01_cell_forward", "lstm_cell_forward", *ENDLESS),
                                       encoding="utf-8")
    (folder / "erin.pdf").write_bytes(b"%PDF-1.4 \xff\xfe")
    (folder / "frank").mkdir()
    (folder / "frank" / "set2.ipynb").write_text(
        (SOLUTIONS / "02_sequence_forward.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "frank" / "set3.ipynb").write_text(
        (exercises_folder() / "03_cell_backward.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "gina").mkdir()
    out = root / "out"
    started = time.monotonic()
    result = _grade_cli(folder, "-j", "2", "--cell-timeout", "5", "--out", out, "--csv", root / "class.csv",
                        "--json", root / "class.json", timeout=300)
    return result, out, root, time.monotonic() - started


EXPECTED_ROWS = [
    ("alice", "softmax", 1, "passed", ""), ("alice", "lstm_cell_forward", 3, "passed", ""),
    ("bob", "softmax", 1, "passed", ""), ("bob", "lstm_cell_forward", 0, "failed", "uses a_prev where c_prev belongs"),
    ("carol", "", 0, "error", "not valid JSON"),
    ("dave", "softmax", 1, "passed", ""), ("dave", "lstm_cell_forward", 0, "failed", "timed out"),
    ("erin", "", 0, "error", "not a Jupyter notebook"),
    ("frank", "lstm_forward", 3, "passed", ""), ("frank", "lstm_cell_backward", 0, "failed", "not written yet"),
    ("gina", "", 0, "error", "no notebook"),
]


def test_class_grading_writes_a_row_for_every_student_and_exercise(class_run):
    result, out, root, _ = class_run
    assert result.returncode == 2, result.stderr  # some files could not be graded
    assert "Traceback" not in result.stderr + result.stdout
    for path in (out / "grades.csv", root / "class.csv"):
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        got = [(r["student"], r["exercise"], int(r["points"]), r["status"], r["hint"]) for r in rows]
        assert len(got) == len(EXPECTED_ROWS), got
        for row, (student, exercise, points, status, words) in zip(got, EXPECTED_ROWS, strict=True):
            assert row[:4] == (student, exercise, points, status), row
            assert words in row[4], row
    for path in (out / "grades.json", root / "class.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        got = [(r["student"], r["exercise"], r["points"], r["status"], r["hint"]) for r in report["rows"]]
        assert [g[:4] for g in got] == [e[:4] for e in EXPECTED_ROWS]
        by_student = {}
        for notebook in report["notebooks"]:
            by_student.setdefault(notebook["student"], []).append(notebook)
        assert by_student["alice"][0]["points"] == 4 == by_student["alice"][0]["max_points"]
        assert [n["set"] for n in by_student["frank"]] == ["02_sequence_forward", "03_cell_backward"]
        counts = {(m["exercise"], m["hint"].split(": ", 1)[-1][:20]): m["count"] for m in report["mistakes"]}
        assert sum(counts.values()) == 3
    with open(out / "mistakes.csv", encoding="utf-8") as handle:
        mistakes_rows = list(csv.DictReader(handle))
    assert {(row["exercise"], row["students"]) for row in mistakes_rows} == {
        ("lstm_cell_forward", "bob"), ("lstm_cell_forward", "dave"), ("lstm_cell_backward", "frank")}


def test_class_grading_runs_in_parallel_and_an_endless_loop_does_not_hang_it(class_run):
    result, _, _, seconds = class_run
    assert "most common mistakes" in result.stdout
    assert seconds < 120


def test_the_total_time_limit_kills_an_endless_notebook(tmp_path):
    from grading.grader import grade_notebook

    path = tmp_path / "endless.ipynb"
    path.write_text(_with_answer("01_cell_forward", "lstm_cell_forward", *ENDLESS), encoding="utf-8")
    started = time.monotonic()
    grade = grade_notebook(path, cell_timeout=60, total_timeout=15)
    assert time.monotonic() - started < 45
    softmax, forward = grade.exercises
    assert softmax.passed and not forward.passed
    assert "total time limit" in forward.hint


def test_grading_one_notebook_prints_the_table_and_json(tmp_path):
    env = {**os.environ}
    result = subprocess.run([sys.executable, "-m", "grading", str(SOLUTIONS / "06_gru_cell.ipynb"), "--json",
                             str(tmp_path / "one.json")], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gru_cell_backward" in result.stdout and "6/6" in result.stdout
    report = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert report["notebooks"][0]["points"] == 6 and report["mistakes"] == []


@pytest.mark.parametrize("answer", [
    "from lstm import lstm_cell_backward  # noqa: F401\n",
    "import lstm\nlstm_cell_backward = lstm.lstm_cell_backward\n",
    "import lstm.cell as c\n\ndef lstm_cell_backward(da_next, dc_next, cache):\n"
    "    return c.lstm_cell_backward(da_next, dc_next, cache)\n",
])
def test_an_answer_that_takes_the_course_package_fails(tmp_path, answer):
    """Importing the reference is not an answer: the grader fails the exercise and says why."""
    notebook = nbformat.read(exercises_folder() / "03_cell_backward.ipynb", as_version=4)
    for cell in notebook.cells:
        if "answer" in cell.metadata.get("tags", []):
            cell.source = answer
    path = tmp_path / "taker.ipynb"
    nbformat.write(notebook, path)
    result = _grade_cli(path, "--json", "-")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [row["status"] for row in rows] == ["failed"]
    assert rows[0]["hint"].startswith("line 1: imports ") and "lstm" in rows[0]["hint"], rows[0]["hint"]
    assert "only numpy and math" in rows[0]["hint"]


def test_json_and_csv_on_standard_output_are_data_alone(tmp_path):
    """`--json -` and `--csv -` print only the data on standard output (the table goes to standard error)."""
    solved = exercises_folder() / "solutions" / "01_cell_forward.ipynb"
    as_json = _grade_cli(solved, "--json", "-")
    assert as_json.returncode == 0 and "exercise" in as_json.stderr
    assert [row["status"] for row in json.loads(as_json.stdout)["rows"]] == ["passed", "passed"]
    as_csv = _grade_cli(solved, "--csv", "-")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert as_csv.returncode == 0 and [row["status"] for row in rows] == ["passed", "passed"]


# --- set 7: the reference is the package's own, and its mistakes are not it --------------------------------------


def test_bidirectional_reference_is_the_package_and_each_mistake_differs():
    """The set's reference is lstm.stacked_lstm_backward on one layer, the mistaken references without a mistake equal
    it, and each mistake changes the result on the visible cases (a mistake that computed the same would name
    nothing)."""
    from grading.cases import bidirectional_cases

    cases = bidirectional_cases(3, hidden=True)
    differs = dict.fromkeys(BIDIRECTIONAL_MISTAKES, False)
    for case in cases:
        v = case.values
        a, caches = lstm.stacked_lstm_forward(v["x"], [v["layer"]], bidirectional=True)
        dx, layer_gradients = lstm.stacked_lstm_backward(v["da"], caches)
        ours_dx, ours = reference_bidirectional_lstm_backward(v["da"], caches[0][0])
        np.testing.assert_array_equal(ours_dx, dx)
        assert ours is layer_gradients[0] or all(
            np.array_equal(ours[d][key], layer_gradients[0][d][key]) for d in (0, 1) for key in ours[d])
        plain_dx, plain = bidirectional_backward_with(v["da"], caches[0][0])
        np.testing.assert_array_equal(plain_dx, dx)
        for key, value in plain[1].items():
            np.testing.assert_array_equal(value, layer_gradients[0][1][key])
        for mistake in BIDIRECTIONAL_MISTAKES:
            try:
                wrong_dx, wrong = bidirectional_backward_with(v["da"], caches[0][0], mistake)
            except ValueError:
                differs[mistake] = True
                continue
            if wrong_dx.shape != dx.shape or not np.allclose(wrong_dx, dx) or not all(
                    np.allclose(wrong[d][key], layer_gradients[0][d][key]) for d in (0, 1) for key in wrong[d]):
                differs[mistake] = True
    assert all(differs.values()), [key for key, value in differs.items() if not value]
