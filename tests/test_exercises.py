"""The exercise notebooks: generated from the solved ones, stubs that really fail, and wrong answers that fail the
right exercise with the right hint.

The solved notebooks themselves are run by nbval as part of the suite (``exercises/solutions`` is a test path).
Tests marked "nbval" here go through the real grader (a ``python -m pytest --nbval`` subprocess per notebook); they
share one parallel run, made once per session by the ``graded`` fixture.
"""

import copy
import re
from pathlib import Path

import nbformat
import pytest
from exercise_mistakes import MISTAKES, apply, run_in_process

from grading.generate import generated_text
from grading.grader import grade_many, grade_notebook
from grading.notebooks import (
    BEGIN,
    END,
    exercises_folder,
    exercises_of,
    is_answer,
    is_check,
    set_name,
    solution_paths,
)

SETS = ["01_cell_forward", "02_sequence_forward", "03_cell_backward", "04_backprop_through_time",
        "05_gradient_checker", "06_gru_cell", "07_bidirectional_backward"]
JOBS = 2


def solved(name):
    return nbformat.read(exercises_folder() / "solutions" / f"{name}.ipynb", as_version=4)


def test_the_seven_sets_exist_with_their_solutions():
    assert [path.stem for path in solution_paths()] == SETS
    for name in SETS:
        assert (exercises_folder() / f"{name}.ipynb").exists()


@pytest.mark.parametrize("name", SETS)
def test_learner_notebook_is_generated_from_the_solved_one(name):
    """A learner notebook that differs from what `make exercises` would write is out of date."""
    current = (exercises_folder() / f"{name}.ipynb").read_text(encoding="utf-8")
    assert current == generated_text(exercises_folder() / "solutions" / f"{name}.ipynb"), (
        f"exercises/{name}.ipynb is out of date: run `make exercises` (python -m grading.generate)")


@pytest.mark.parametrize("name", SETS)
def test_solved_notebook_follows_the_conventions(name):
    notebook = solved(name)
    assert set_name(notebook) == name
    ids = [cell.get("id") for cell in notebook.cells]
    assert len(ids) == len(set(ids)) and all(ids), "cell ids must be present and unique"
    exercises = exercises_of(notebook)
    assert exercises, "a set needs at least one exercise"
    for exercise in exercises:
        answer = notebook.cells[exercise.answer_index]
        assert answer.source.count(BEGIN) == 1 and answer.source.count(END) == 1
        assert answer.metadata["lstm_exercises"]["points"] > 0
        assert re.search(rf"^def {re.escape(exercise.name)}\(", answer.source, re.M), (
            "the exercise is named after the function the learner writes")
        assert exercise.check_indices, f"{exercise.name} has no check cell"
        calls = [notebook.cells[i].source for i in exercise.check_indices]
        assert any(re.search(r"\bcheck_\w+\(", source) for source in calls), "a check cell calls grading"
        for index in exercise.check_indices:
            cell = notebook.cells[index]
            assert cell.execution_count is not None and cell.outputs, "check cells are stored executed"
            if "check_" not in cell.source:
                assert "nbval-check-output" in cell.metadata.get("tags", []), "a cell printing values is tagged"
    for cell in notebook.cells:
        if cell.cell_type == "code" and not is_answer(cell) and not is_check(cell):
            assert "import" in cell.source, "the only other code cells are the setup"


def _markdown(name):
    notebook = nbformat.read(exercises_folder() / f"{name}.ipynb", as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("name", SETS)
def test_exercises_label_no_equation(name):
    """An exercise page shows the chapters' equations unnumbered (``equation*`` with the chapter's number as its
    ``\\tag``): a labelled or numbered equation would shift the book-wide numbers of every later chapter."""
    text = _markdown(name)
    assert not re.search(r"\$\$\s*\(", text) and ":label:" not in text and "{math}" not in text
    assert r"\label" not in text
    for environment in re.findall(r"\\begin\{(\w+\*?)\}", text):
        assert environment.endswith("*") or environment == "aligned", environment


def test_index_page_says_grading_runs_code():
    text = (exercises_folder() / "index.md").read_text(encoding="utf-8")
    assert "lstm-grade" in text and "sandbox" in text and "runs" in text.lower()


# --- the wrong answers, in process (every one) ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def solved_notebooks():
    return {name: solved(name) for name in SETS}


def _judge(grade, mistake):
    names = [exercise.exercise for exercise in grade.exercises]
    assert not grade.error, grade.error
    by_name = {exercise.exercise: exercise for exercise in grade.exercises}
    target = by_name[mistake.exercise]
    assert not target.passed, f"{mistake.id}: the wrong answer passed"
    assert mistake.hint in target.hint, f"{mistake.id}: hint was {target.hint!r}"
    for name in names[: names.index(mistake.exercise)]:
        assert by_name[name].passed, f"{mistake.id}: the earlier exercise {name} failed too: {by_name[name].hint}"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_wrong_answer_fails_the_right_exercise_with_the_right_hint(mistake, solved_notebooks, tmp_path):
    path = tmp_path / "submission.ipynb"
    nbformat.write(apply(mistake, solved_notebooks[mistake.set]), path)
    _judge(grade_notebook(path, runner=run_in_process, cell_timeout=30), mistake)


def test_there_are_enough_wrong_answers():
    assert len(MISTAKES) >= 40
    assert {m.set for m in MISTAKES} == set(SETS)


# --- through the real grader (nbval), in one parallel run -------------------------------------------------------


def _sample():
    """One wrong answer per exercise (the first listed), for the end-to-end run through nbval."""
    seen, sample = set(), []
    for mistake in MISTAKES:
        if (mistake.set, mistake.exercise) not in seen:
            seen.add((mistake.set, mistake.exercise))
            sample.append(mistake)
    return sample


@pytest.fixture(scope="session")
def graded(tmp_path_factory, solved_notebooks):
    """Grade, with nbval and two at a time: every solved notebook, every untouched learner notebook, a sample of
    wrong answers, and a learner notebook whose wrong answer hides behind a check cell edited to `pass`."""
    folder = tmp_path_factory.mktemp("submissions")
    jobs = {}
    for name in SETS:
        jobs[("solved", name)] = exercises_folder() / "solutions" / f"{name}.ipynb"
        jobs[("learner", name)] = exercises_folder() / f"{name}.ipynb"
    for mistake in _sample():
        path = folder / f"{mistake.id.replace('/', '_')}.ipynb"
        nbformat.write(apply(mistake, solved_notebooks[mistake.set]), path)
        jobs[("mistake", mistake)] = path
    tampered = copy.deepcopy(solved_notebooks["01_cell_forward"])
    for cell in tampered.cells:
        if cell.get("id") == "softmax-answer":
            cell.source = cell.source.replace("axis=0", "axis=1")
        if is_check(cell):  # every check cell now does nothing and "prints" what success prints
            cell.source = "pass"
    path = folder / "tampered.ipynb"
    nbformat.write(tampered, path)
    jobs[("tampered", None)] = path
    grades = grade_many([(str(key), path) for key, path in jobs.items()], jobs=JOBS, cell_timeout=60)
    return dict(zip(jobs, grades, strict=True))


@pytest.mark.parametrize("name", SETS)
def test_lstm_grade_gives_full_marks_to_the_solved_notebook(graded, name):
    grade = graded[("solved", name)]
    assert not grade.error, grade.error
    assert grade.status == "passed", [(e.exercise, e.hint) for e in grade.exercises]
    assert grade.points == grade.max_points > 0


@pytest.mark.parametrize("name", SETS)
def test_untouched_learner_notebook_fails_every_graded_cell(graded, name):
    grade = graded[("learner", name)]
    released = nbformat.read(exercises_folder() / f"{name}.ipynb", as_version=4)
    assert not grade.error, grade.error
    for exercise in exercises_of(released):
        for index in exercise.check_indices:
            cell_id = released.cells[index].id
            assert grade.cell_outcomes[cell_id] == "failed", f"{cell_id} passed with the stub in place"
    assert all(not e.passed and e.points == 0 for e in grade.exercises)
    assert "not written yet" in grade.exercises[0].hint


@pytest.mark.parametrize("mistake", _sample(), ids=[m.id for m in _sample()])
def test_lstm_grade_fails_a_wrong_answer_with_its_hint(graded, mistake):
    _judge(graded[("mistake", mistake)], mistake)


def test_a_check_cell_edited_to_pass_does_not_raise_the_grade(graded):
    grade = graded[("tampered", None)]
    softmax = grade.exercises[0]
    assert softmax.exercise == "softmax" and not softmax.passed
    assert "axis 1" in softmax.hint
    assert grade.points == 0


def test_in_process_runner_agrees_with_nbval_on_the_sample(graded, tmp_path):
    """The fast runner used for the full list gives the same verdicts and hints as nbval on the sample."""
    for mistake in _sample():
        slow = graded[("mistake", mistake)]
        fast = grade_notebook(Path(slow.path), runner=run_in_process, cell_timeout=30, seed=slow.seed)
        assert [(e.exercise, e.passed, e.hint) for e in fast.exercises] == \
               [(e.exercise, e.passed, e.hint) for e in slow.exercises], mistake.id
