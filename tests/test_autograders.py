"""Gradescope and GitHub Classroom: the files and verdicts `grading.autograders` produces, checked against the formats
those services read, by running the same commands they run (the template scripts and the workflow's steps) on solved,
unsolved and broken submissions in temporary folders.

Grading runs nbval, so each graded notebook is graded once, in a module-scoped fixture, and the tests read its output.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from grading import autograders
from grading.autograders import gradescope_problems
from grading.notebooks import exercises_folder, exercises_of, released_notebooks, solutions_folder

REPOSITORY = exercises_folder().parent
TEMPLATES = REPOSITORY / "grading" / "templates"
RUN_AUTOGRADER = TEMPLATES / "gradescope" / "run_autograder"
SETUP_SH = TEMPLATES / "gradescope" / "setup.sh"
WORKFLOW = TEMPLATES / "classroom" / ".github" / "workflows" / "classroom.yml"


def released_points():
    """``{set: {exercise: points}}`` read from the released notebooks."""
    return {name: {e.name: e.points for e in exercises_of(nbformat.read(path, as_version=4))}
            for name, path in released_notebooks().items()}


def environment():
    """The environment the services give the scripts: this venv's Python first on PATH, one BLAS thread."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def autograder_root(root, *files):
    """A Gradescope folder layout under ``root``: ``submission/`` holding ``files`` (``(name, text or path)``)."""
    submission = root / "submission"
    submission.mkdir(parents=True)
    for name, content in files:
        target = submission / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def start_run_autograder(root, exercise_set="01", python=sys.executable):
    """Start the template ``run_autograder`` on ``root`` with the course of this checkout, as Gradescope would."""
    env = {**environment(), "AUTOGRADER_ROOT": str(root), "LSTM_COURSE_DIR": str(REPOSITORY),
           "LSTM_COURSE_PYTHON": python, "LSTM_GRADER_USER": "", "EXERCISE_SET": exercise_set}
    return subprocess.Popen(["bash", str(RUN_AUTOGRADER)], env=env, cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process, root):
    output, _ = process.communicate(timeout=600)
    path = root / "results" / "results.json"
    assert path.exists(), f"run_autograder wrote no results.json; its output:\n{output}"
    return json.loads(path.read_text(encoding="utf-8")), output


def assert_valid(results):
    problems = gradescope_problems(results)
    assert not problems, problems


@pytest.fixture(scope="module")
def gradescope_runs(tmp_path_factory):
    """run_autograder on a solved and on an unsolved notebook of set 01, graded at the same time."""
    roots = {
        "solved": autograder_root(tmp_path_factory.mktemp("solved"),
                                  ("my work/01_cell_forward.ipynb", solutions_folder() / "01_cell_forward.ipynb"),
                                  (".ipynb_checkpoints/01_cell_forward-checkpoint.ipynb", "{not json")),
        "unsolved": autograder_root(tmp_path_factory.mktemp("unsolved"),
                                    ("01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb")),
    }
    processes = {name: start_run_autograder(root) for name, root in roots.items()}
    return {name: finish(process, roots[name]) for name, process in processes.items()}


# --- the Gradescope format ----------------------------------------------------------------------------------------


def test_the_format_check_finds_each_kind_of_broken_results():
    def test(name="a", score=1, max_score=1, status="passed", **more):
        return {"name": name, "score": score, "max_score": max_score, "status": status, **more}

    good = {"score": 3, "tests": [test(), test("b", 2, 3, "failed")]}
    assert gradescope_problems(good) == []
    broken = [
        ({"score": 4, "tests": good["tests"]}, "not the sum"),
        ({"score": 2, "tests": [test(score=2, status="failed")]}, "between 0"),
        ({"score": -1, "tests": [test(score=-1, status="failed")]}, "between 0"),
        ({"score": 1, "tests": [test(status="ok")]}, "status"),
        ({"score": 0, "tests": [test(score=0)]}, "passed with"),
        ({"score": 1, "tests": [test(status="failed")]}, "failed with full"),
        ({"score": 1, "tests": [{"score": 1, "max_score": 1, "status": "passed"}]}, "no name"),
        ({"tests": [test(score="1")]}, "score is missing or not a number"),
        ({"tests": [test(max_score=None)]}, "max_score is missing or not a number"),
        ({"score": 2, "tests": [test(), test()]}, "used twice"),
        ({"score": 1, "tests": [test(output=["x"])]}, "output is not a string"),
        ({"score": 1, "tests": [test(visibility="public")]}, "visibility"),
        ({"score": 0, "tests": "all"}, "tests is not a list"),
        ({"score": 0, "visibility": "students"}, "visibility"),
        ({"score": True}, "score is not a number"),
        ({"score": 0, "execution_time": "1s"}, "execution_time"),
        ({"score": 0, "output": ["x"]}, "output is not a string"),
        ({}, "neither"),
        ([], "not a JSON object"),
    ]
    for document, words in broken:
        problems = gradescope_problems(document)
        assert any(words in problem for problem in problems), (document, problems)


def test_a_solved_notebook_scores_every_point_on_gradescope(gradescope_runs):
    results, output = gradescope_runs["solved"]
    assert_valid(results)
    points = released_points()["01_cell_forward"]
    assert {t["name"]: t["max_score"] for t in results["tests"]} == {f"01_cell_forward: {n}": p
                                                                    for n, p in points.items()}
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])
    assert results["score"] == sum(points.values()) > 0
    assert results["stdout_visibility"] == "hidden" and results["visibility"] == "visible"
    assert isinstance(results["execution_time"], int) and results["execution_time"] >= 0
    assert "Every exercise passed" in results["output"]
    assert "running:" in output  # the instructor's log names the command


def test_an_unsolved_notebook_scores_zero_with_a_hint_per_exercise(gradescope_runs):
    results, _ = gradescope_runs["unsolved"]
    assert_valid(results)
    assert results["score"] == 0
    assert len(results["tests"]) == len(released_points()["01_cell_forward"])
    for test in results["tests"]:
        assert test["status"] == "failed" and test["score"] == 0 and test["max_score"] > 0
        assert "NotImplementedError" in test["output"] or "not written" in test["output"], test["output"]
        assert "Traceback" not in test["output"]


def run_converter(root, *options):
    """The converter as run_autograder calls it; returns the results it wrote."""
    results = root / "results" / "results.json"
    completed = subprocess.run([sys.executable, "-m", "grading.autograders", "gradescope", "--submission",
                                str(root / "submission"), "--results", str(results), "--exercises",
                                str(exercises_folder()), *options], capture_output=True, text=True,
                               env=environment(), timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(results.read_text(encoding="utf-8"))


BROKEN_SUBMISSIONS = {
    "nothing": ([], "no Jupyter notebook"),
    "a script": ([("answers.py", "def softmax(z): pass\n")], "no Jupyter notebook (.ipynb) in your submission "
                                                             "(it holds: answers.py)"),
    "two notebooks": ([("01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb"),
                       ("copy/01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb")],
                      "2 notebooks in your submission"),
    "not JSON": ([("01_cell_forward.ipynb", '{"cells": [')], "not valid JSON"),
    "not a notebook": ([("01_cell_forward.ipynb", '{"answer": 42}')], "no list of cells"),
    "another set": ([("02_sequence_forward.ipynb", exercises_folder() / "02_sequence_forward.ipynb")],
                    "belongs to set 02_sequence_forward, not to set 01_cell_forward"),
}


@pytest.mark.parametrize("kind", BROKEN_SUBMISSIONS)
def test_a_submission_that_cannot_be_graded_scores_zero_and_says_why(tmp_path, kind):
    files, words = BROKEN_SUBMISSIONS[kind]
    results = run_converter(autograder_root(tmp_path, *files), "--set", "01")
    assert_valid(results)
    assert results["score"] == 0
    assert words in results["output"], results["output"]
    assert "Submit exactly one file" in results["output"]
    # the student still sees what the assignment is worth: every exercise of the set, at 0 points
    points = released_points()["01_cell_forward"]
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        (f"01_cell_forward: {name}", 0, value) for name, value in points.items()]


def test_without_a_set_an_ungradable_submission_has_no_tests_and_score_zero(tmp_path):
    results = run_converter(autograder_root(tmp_path, ("notes.txt", "hello")))
    assert_valid(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "notes.txt" in results["output"]


def test_a_missing_submission_folder_and_a_misconfigured_course_still_write_results(tmp_path):
    results = run_converter(tmp_path)  # no submission/ folder at all
    assert_valid(results)
    assert results["score"] == 0 and "no submission folder" in results["output"]
    (tmp_path / "empty").mkdir()
    root = autograder_root(tmp_path / "root", ("01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb"))
    results = run_converter(root, "--set", "01", "--exercises", str(tmp_path / "empty"))
    assert_valid(results)
    assert results["score"] == 0 and "set up wrong" in results["output"]
    assert "Submit exactly one file" not in results["output"]  # not the student's fault


def test_run_autograder_writes_a_zero_when_the_grader_cannot_start(tmp_path):
    root = autograder_root(tmp_path, ("01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb"))
    results, output = finish(start_run_autograder(root, python=str(tmp_path / "no-python")), root)
    assert_valid(results)
    assert results["score"] == 0 and "autograder failed" in results["output"]


def test_gradescope_visibility_is_passed_on(tmp_path):
    results = run_converter(autograder_root(tmp_path), "--visibility", "after_due_date")
    assert results["visibility"] == "after_due_date"
    assert_valid(results)


def test_the_student_code_runs_as_another_user_when_asked(tmp_path):
    command = autograders.grade_command(["a.ipynb"], run_as="root")
    assert command[:4] == ["runuser", "-u", "root", "--"] and "HOME=/root" in command[5]
    assert command[6:9] == [sys.executable, "-m", "grading"]
    if os.geteuid() != 0 or not shutil.which("runuser"):
        return  # runuser needs root: the command line above is what Gradescope's root runs
    # As root, the real path: a copy of the notebook in a folder the user can read, lstm-grade under runuser.
    root = autograder_root(tmp_path, ("01_cell_forward.ipynb", '{"cells": ['))
    results = run_converter(root, "--set", "01", "--run-as", "root")
    assert_valid(results)
    assert results["score"] == 0 and "not valid JSON" in results["output"]


def test_gradescope_templates_are_executable_scripts_that_pin_the_course():
    for script in (RUN_AUTOGRADER, SETUP_SH):
        assert os.access(script, os.X_OK), f"{script.name} must be executable (Gradescope runs it directly)"
        assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
        subprocess.run(["bash", "-n", str(script)], check=True)
    setup = SETUP_SH.read_text(encoding="utf-8")
    assert re.search(r'^COURSE_REPO="https://github\.com/.+\.git"$', setup, re.MULTILINE)
    assert 'checkout --quiet --detach "$COURSE_COMMIT"' in setup  # a pinned commit, not a branch
    assert "/autograder/source/course" in setup  # or a copied checkout
    assert 'pip install --quiet -e "$COURSE_DIR[$COURSE_EXTRAS]"' in setup
    extras = re.search(r'^COURSE_EXTRAS="(\w+)"$', setup, re.MULTILINE).group(1)
    pyproject = (REPOSITORY / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf"^{extras} = \[[^\]]*nbval", pyproject, re.MULTILINE | re.DOTALL), \
        f"the extra {extras!r} must install nbval, which grading runs"
    run = RUN_AUTOGRADER.read_text(encoding="utf-8")
    assert '"$PYTHON" -m grading.autograders "${args[@]}"' in run
    assert '--exercises "$COURSE_DIR/exercises"' in run


# --- GitHub Classroom ---------------------------------------------------------------------------------------------


def workflow():
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_the_workflow_template_is_what_the_generator_writes():
    written = autograders.classroom_workflow(autograders.TEMPLATE_COURSE_REPO, autograders.TEMPLATE_REF)
    assert WORKFLOW.read_text(encoding="utf-8") == written, (
        "grading/templates/classroom/.github/workflows/classroom.yml is stale: rewrite it with "
        "`python -m grading.autograders classroom workflow > grading/templates/classroom/.github/workflows/"
        "classroom.yml`")


def test_the_workflow_only_lives_under_the_templates():
    workflows = REPOSITORY / ".github" / "workflows"
    if workflows.is_dir():
        for path in workflows.iterdir():
            assert "autograding-grading-reporter" not in path.read_text(encoding="utf-8"), path


def grading_steps(document):
    steps = document["jobs"]["run-autograding-tests"]["steps"]
    return steps, [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]


def test_the_workflow_gives_each_exercise_its_notebook_points():
    document = workflow()
    assert document["on"] == ["push", "repository_dispatch"]
    assert document["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = document["jobs"]["run-autograding-tests"]
    assert "github-classroom[bot]" in job["if"] and autograders.TEMPLATE_COURSE_REPO in job["if"]
    steps, graders = grading_steps(document)
    course = next(s for s in steps if s.get("with", {}).get("path") == ".course")
    assert course["uses"] == "actions/checkout@v4" and course["with"]["ref"] == autograders.TEMPLATE_REF
    assert course["with"]["repository"] == autograders.TEMPLATE_COURSE_REPO
    runs = [s["run"] for s in steps if "run" in s]
    assert any(re.search(r'pip install .*-e "\.course\[\w+\]"', run) for run in runs)
    assert any(run.startswith("python -m grading.autograders classroom grade --exercises .course/exercises")
               for run in runs)

    points = released_points()
    seen = {}
    for step in graders:
        match = re.fullmatch(r"python -m grading\.autograders classroom check --exercises \.course/exercises "
                             r"--set (\S+) --exercise (\S+)", step["with"]["command"])
        assert match, step["with"]["command"]
        set_name, exercise = match.groups()
        assert step["with"]["max-score"] == points[set_name][exercise]
        assert step["with"]["test-name"] == f"{set_name}: {exercise}"
        assert 1 <= int(step["with"]["timeout"]) <= 360
        seen[(set_name, exercise)] = step["id"]
    assert set(seen) == {(s, e) for s, exercises in points.items() for e in exercises}, "one test per exercise"

    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    runners = reporter["with"]["runners"].split(",")
    assert runners == [step["id"] for step in graders] and len(set(runners)) == len(runners)
    for runner in runners:
        assert re.fullmatch(r"[a-zA-Z0-9]+", runner)  # the reporter's accepted runner names
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{runner}.outputs.result }}}}"


def test_a_workflow_for_one_set_with_a_pinned_course(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "grading.autograders", "classroom", "workflow",
                                "--course-repo", "someone/lstm-course", "--ref", "a" * 40, "--set", "3"],
                               capture_output=True, text=True, check=True, env=environment())
    document = yaml.safe_load(completed.stdout)
    steps, graders = grading_steps(document)
    assert [s["with"]["test-name"] for s in graders] == ["03_cell_backward: lstm_cell_backward"]
    assert graders[0]["with"]["max-score"] == released_points()["03_cell_backward"]["lstm_cell_backward"]
    assert any(s.get("with", {}).get("ref") == "a" * 40 for s in steps)
    wrong = subprocess.run([sys.executable, "-m", "grading.autograders", "classroom", "workflow", "--set", "9"],
                           capture_output=True, text=True, env=environment())
    assert wrong.returncode == 2 and "no exercise set '9'" in wrong.stderr


@pytest.fixture(scope="module")
def classroom_repository(tmp_path_factory):
    """A student's repository, graded by the workflow's own grading step: set 01 with only its first exercise
    written (the others as released), set 02 not started, a scratch notebook; the course checked out at `.course`
    as the workflow does."""
    repository = tmp_path_factory.mktemp("student-repo")
    (repository / ".course").symlink_to(REPOSITORY, target_is_directory=True)
    (repository / "exercises").mkdir()
    partly = nbformat.read(solutions_folder() / "01_cell_forward.ipynb", as_version=4)
    released = nbformat.read(exercises_folder() / "01_cell_forward.ipynb", as_version=4)
    stubs = {cell.get("id"): cell.source for cell in released.cells if "answer" in cell.metadata.get("tags", [])}
    assert len(stubs) >= 2, "set 01 should have two exercises or more"
    for cell in partly.cells:
        if cell.get("id") in list(stubs)[1:]:
            cell.source = stubs[cell.get("id")]
    nbformat.write(partly, repository / "exercises" / "01_cell_forward.ipynb")
    shutil.copyfile(exercises_folder() / "02_sequence_forward.ipynb", repository / "02_sequence_forward.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), repository / "scratch.ipynb")
    (repository / ".lstm-grades.json").write_text('{"notebooks": [{"set": "02_sequence_forward", "exercises": '
                                                  '[{"exercise": "lstm_forward", "passed": true}]}]}')  # a forgery
    steps, _ = grading_steps(workflow())
    grade = next(s["run"] for s in steps if "classroom grade" in s.get("run", ""))
    completed = subprocess.run(["bash", "-c", grade], cwd=repository, capture_output=True, text=True,
                               env=environment(), timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return repository, completed.stdout


def test_the_workflow_commands_give_points_where_the_grader_does(classroom_repository):
    repository, log = classroom_repository
    first, first_points = next(iter(released_points()["01_cell_forward"].items()))
    total = sum(released_points()["01_cell_forward"].values())
    assert f"01_cell_forward.ipynb (set 01_cell_forward): {first_points} of {total} points" in log
    assert "scratch.ipynb: not graded" in log
    _, graders = grading_steps(workflow())
    points = released_points()
    earned = {}
    running = [(step, subprocess.Popen(["bash", "-c", step["with"]["command"]], cwd=repository, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment()))
               for step in graders]
    for step, process in running:
        stdout, stderr = process.communicate(timeout=120)
        completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        set_name = re.search(r"--set (\S+)", step["with"]["command"]).group(1)
        exercise = step["with"]["test-name"].split(": ")[1]
        earned[(set_name, exercise)] = step["with"]["max-score"] if completed.returncode == 0 else 0
        assert completed.returncode in (0, 1), completed.stderr
        if (set_name, exercise) == ("01_cell_forward", first):
            assert completed.returncode == 0
            assert completed.stdout.startswith(f"passed: {first} ({first_points} of {first_points} points)")
        elif set_name in ("01_cell_forward", "02_sequence_forward"):  # graded, not written; 02's forgery overwritten
            assert completed.returncode == 1 and "not written yet" in completed.stdout, completed.stdout
            assert completed.stdout.startswith(f"failed: {exercise} (0 of {points[set_name][exercise]} points)")
        else:
            assert completed.returncode == 1 and f"no notebook of exercise set {set_name}" in completed.stdout
    assert sum(earned.values()) == first_points > 0


def test_a_check_fails_with_a_reason_when_the_report_is_missing_or_ambiguous(tmp_path):
    def check(*args):
        return subprocess.run([sys.executable, "-m", "grading.autograders", "classroom", "check", *args],
                              cwd=tmp_path, capture_output=True, text=True, env=environment())

    missing = check("--set", "01", "--exercise", "softmax")
    assert missing.returncode == 1 and "no grading report" in missing.stdout
    notebook = {"notebook": "a.ipynb", "set": "01_cell_forward", "error": "",
                "exercises": [{"exercise": "softmax", "points": 1, "max_points": 1, "passed": True, "hint": ""}]}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"notebooks": [notebook, {**notebook, "notebook": "b.ipynb"}]}))
    twice = check("--set", "01", "--exercise", "softmax", "--grades", str(report))
    assert twice.returncode == 1 and "2 notebooks of set 01_cell_forward (a.ipynb, b.ipynb)" in twice.stdout
    report.write_text(json.dumps({"notebooks": [notebook]}))
    assert check("--set", "01_cell_forward", "--exercise", "softmax", "--grades", str(report)).returncode == 0
    unknown = check("--set", "01", "--exercise", "tanh", "--grades", str(report))
    assert unknown.returncode == 1 and "no exercise of that name" in unknown.stdout
    no_set = check("--set", "9", "--exercise", "softmax", "--grades", str(report))
    assert no_set.returncode == 1 and "no exercise set '9'" in no_set.stdout


def test_classroom_grade_with_no_notebook_writes_a_report_that_fails_every_check(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "grading.autograders", "classroom", "grade", "--exercises",
                                str(exercises_folder())], cwd=tmp_path, capture_output=True, text=True,
                               env=environment())
    assert completed.returncode == 0 and "no Jupyter notebook" in completed.stdout
    check = subprocess.run([sys.executable, "-m", "grading.autograders", "classroom", "check", "--set", "01",
                            "--exercise", "softmax"], cwd=tmp_path, capture_output=True, text=True, env=environment())
    assert check.returncode == 1 and "not graded: no Jupyter notebook" in check.stdout


# --- the zip uploaded to Gradescope -------------------------------------------------------------------------------


def make_zip(tmp_path, *options):
    out = tmp_path / "autograder.zip"
    completed = subprocess.run([sys.executable, "-m", "grading.autograders", "gradescope-zip", "--out", str(out),
                                *options], capture_output=True, text=True, env=environment())
    return out, completed


def test_the_gradescope_zip_pins_the_course_and_its_run_autograder_works(tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    out, completed = make_zip(tmp_path, "--set", "2", "--course-repo", "https://example.org/me/course.git",
                              "--ref", commit)
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["run_autograder", "setup.sh"]  # at the root, as Gradescope wants
        for info in archive.infolist():
            assert (info.external_attr >> 16) & 0o111, f"{info.filename} is not executable"
        archive.extractall(tmp_path / "source")
    setup = (tmp_path / "source" / "setup.sh").read_text(encoding="utf-8")
    assert 'COURSE_REPO="https://example.org/me/course.git"' in setup and f'COURSE_COMMIT="{commit}"' in setup
    run = tmp_path / "source" / "run_autograder"
    assert 'EXERCISE_SET="${EXERCISE_SET-02_sequence_forward}"' in run.read_text(encoding="utf-8")
    # the extracted script, unchanged but for the paths, on a submission of two notebooks: set 02's tests at 0
    root = autograder_root(tmp_path / "autograder", ("a.ipynb", "{}"), ("b.ipynb", "{}"))
    env = {**environment(), "AUTOGRADER_ROOT": str(root), "LSTM_COURSE_DIR": str(REPOSITORY),
           "LSTM_COURSE_PYTHON": sys.executable, "LSTM_GRADER_USER": ""}
    env.pop("EXERCISE_SET", None)
    subprocess.run(["bash", str(run)], env=env, cwd=root, capture_output=True, check=True, timeout=120)
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_valid(results)
    assert "2 notebooks in your submission" in results["output"]
    assert [t["name"] for t in results["tests"]] == ["02_sequence_forward: lstm_forward"]


def test_the_gradescope_zip_can_carry_a_copy_of_the_course(tmp_path):
    out, completed = make_zip(tmp_path, "--set", "01", "--include-course")
    if not (REPOSITORY / ".git").exists():
        assert completed.returncode == 2 and "not a git checkout" in completed.stderr
        return
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    for needed in ("setup.sh", "run_autograder", "course/pyproject.toml", "course/grading/autograders.py",
                   "course/grading/cli.py", "course/lstm/__init__.py", "course/exercises/01_cell_forward.ipynb"):
        assert needed in names, needed
    assert not any(name.startswith(("course/.venv/", "course/.git/", "course/_build/")) for name in names)


def test_the_gradescope_zip_refuses_an_unpinned_course(tmp_path):
    for options, words in ((["--set", "01", "--course-repo", "https://example.org/c.git", "--ref", "main"],
                            "not a full commit SHA"),
                           (["--set", "01"], "give --course-repo and --ref"),
                           (["--set", "9", "--include-course"], "no exercise set '9'")):
        out, completed = make_zip(tmp_path, *options)
        assert completed.returncode == 2 and words in completed.stderr, completed.stderr
        assert not out.exists()


def test_classroom_template_holds_the_released_notebooks_and_a_pinned_workflow(tmp_path):
    commit = "89abcdef0123456789abcdef0123456789abcdef"
    command = [sys.executable, "-m", "grading.autograders", "classroom", "template", "--out", str(tmp_path / "t"),
               "--course-repo", "me/course", "--ref", commit, "--set", "01", "--set", "06"]
    subprocess.run(command, check=True, capture_output=True, env=environment())
    files = sorted(str(p.relative_to(tmp_path / "t")) for p in (tmp_path / "t").rglob("*") if p.is_file())
    assert files == [".github/workflows/classroom.yml", "01_cell_forward.ipynb", "06_gru_cell.ipynb"]
    for name in ("01_cell_forward.ipynb", "06_gru_cell.ipynb"):
        assert (tmp_path / "t" / name).read_bytes() == (exercises_folder() / name).read_bytes()
    expected = autograders.released_exercises(None, ["01", "06"])
    written = (tmp_path / "t" / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8")
    assert written == autograders.classroom_workflow("me/course", commit, expected)
    unpinned = subprocess.run([*command[:-4], "--ref", "main"], capture_output=True, text=True, env=environment())
    assert unpinned.returncode == 2 and "not a full commit SHA" in unpinned.stderr


def fake_grader(tmp_path, body):
    """A stand-in for the course's Python that runs ``body`` (bash) whatever it is asked."""
    script = tmp_path / "fake-python"
    script.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_a_report_from_a_grader_that_was_killed_or_ran_too_long_is_not_believed(tmp_path):
    notebook = tmp_path / "01_cell_forward.ipynb"
    shutil.copyfile(exercises_folder() / "01_cell_forward.ipynb", notebook)
    forged = json.dumps({"notebooks": [{"notebook": "x", "set": "01_cell_forward", "error": "", "exercises": [
        {"exercise": "softmax", "points": 1, "max_points": 1, "passed": True, "hint": ""}]}]})
    killed = fake_grader(tmp_path, f"echo '{forged}'; kill -KILL $$")
    with pytest.raises(autograders.NotGraded, match="stopped unexpectedly"):
        autograders.run_lstm_grade([notebook], python=killed)
    slow = fake_grader(tmp_path, "sleep 30")
    with pytest.raises(autograders.NotGraded, match="longer than 0.5 s"):
        autograders.run_lstm_grade([notebook], python=slow, timeout=0.5)
    honest = fake_grader(tmp_path, f"echo '{forged}'; exit 0")  # the same text from a grader that finished is read
    assert autograders.run_lstm_grade([notebook], python=honest)["notebooks"][0]["set"] == "01_cell_forward"


@pytest.mark.parametrize("exercises", [
    [{"exercise": "softmax", "points": 1, "max_points": 1, "passed": True}],  # lstm_cell_forward left out
    [{"exercise": "softmax", "points": 9, "max_points": 9, "passed": True},
     {"exercise": "lstm_cell_forward", "points": 3, "max_points": 3, "passed": True}],  # not the notebook's points
    [{"exercise": "softmax", "score": 1}],  # fields this converter does not know
    "everything",
])
def test_a_report_unlike_the_released_set_gives_zero_not_a_crash(tmp_path, exercises):
    report = json.dumps({"notebooks": [{"notebook": "x", "set": "01_cell_forward", "error": "",
                                        "exercises": exercises}]})
    grader = fake_grader(tmp_path, f"echo '{report}'")
    root = autograder_root(tmp_path / "root", ("01_cell_forward.ipynb", exercises_folder() / "01_cell_forward.ipynb"))
    results = autograders.grade_for_gradescope(root / "submission", exercises_folder(), "01", python=grader)
    assert_valid(results)
    assert results["score"] == 0 and "report was malformed" in results["output"]
