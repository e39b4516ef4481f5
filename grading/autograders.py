"""Grade on Gradescope or GitHub Classroom: the same ``lstm-grade``, its verdicts in the formats those services read.

    python -m grading.autograders gradescope --submission /autograder/submission \\
        --results /autograder/results/results.json [--exercises DIR] [--set 01]
    python -m grading.autograders gradescope-zip --set 01 (--course-repo URL --ref COMMIT | --include-course)
    python -m grading.autograders classroom grade [--exercises DIR] [--out .lstm-grades.json] [PATH ...]
    python -m grading.autograders classroom check --set 01 --exercise lstm_cell_forward [--grades FILE]
    python -m grading.autograders classroom workflow --course-repo OWNER/REPO --ref COMMIT [--set 01 ...]
    python -m grading.autograders classroom template --out DIR --course-repo OWNER/REPO --ref COMMIT [--set 01 ...]

Both run ``lstm-grade`` (``python -m grading``) in a subprocess and read its ``--json`` report, so that a submission
is graded exactly as an instructor grades it by hand. The files an instructor uploads or copies are in
``grading/templates/`` (see the instructor's guide, "Grading a large class on Gradescope or GitHub Classroom").

- ``gradescope`` finds the one notebook of a Gradescope submission, grades it and writes the ``results.json`` that
  Gradescope reads: one test per exercise (name, score, max_score, status, output = the hint). A submission that
  cannot be graded (no notebook, two notebooks, a file that is not a notebook) gets score 0 and an ``output`` that
  says what to submit instead; the command writes a results file in every case.
- ``classroom grade`` grades the notebooks of a student's repository once; ``classroom check`` then reads one
  exercise's verdict and exits 0 when it passed, 1 when not: the exit status GitHub Classroom's command grader turns
  into points. ``classroom workflow`` writes the workflow file, with each exercise's points read from the notebooks.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from .notebooks import exercises_of, normalise_set, released_notebooks

#: Folders a submission may carry that hold no work of the student's (editor and archive leftovers).
IGNORED_PARTS = {".ipynb_checkpoints", "__MACOSX", "__pycache__", ".git", ".course"}

#: The visibilities Gradescope accepts for the whole result and for each test.
GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

#: What a submission that could not be graded is told to do.
SUBMIT_ONE = "Submit exactly one file: the exercise notebook (.ipynb) with your answers in its answer cells."


class NotGraded(Exception):
    """A submission that ``lstm-grade`` did not grade; the message is one line, for the student."""


class ConfigurationError(Exception):
    """The autograder itself is set up wrong (no released notebooks, an unknown set); one line, for the instructor."""


# --- running lstm-grade -------------------------------------------------------------------------------------------


def find_notebooks(folder):
    """The ``.ipynb`` files under ``folder``, sorted, without checkpoints, archive leftovers or hidden files."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        parts = path.relative_to(folder).parts
        if any(part in IGNORED_PARTS or part.startswith(".") for part in parts):
            continue
        if path.is_file():
            found.append(path)
    return found


def grade_command(notebooks, exercises=None, expected_set=None, cell_timeout=60, run_as=None, python=None, jobs=1):
    """The ``lstm-grade`` command line that prints its JSON report, and only it, on standard output."""
    command = [python or sys.executable, "-m", "grading", *map(str, notebooks), "--json", "-", "-q",
               "--cell-timeout", f"{cell_timeout:g}"]
    if jobs > 1:
        command += ["--jobs", str(jobs)]
    if exercises:
        command += ["--exercises", str(exercises)]
    if expected_set:
        command += ["--set", str(expected_set)]
    if run_as:  # drop root's rights before the student's code runs (Gradescope runs the autograder as root)
        import pwd  # POSIX only, like runuser

        command = ["runuser", "-u", run_as, "--", "env", f"HOME={pwd.getpwnam(run_as).pw_dir}", *command]
    return command


def run_lstm_grade(notebooks, **options):
    """Grade ``notebooks`` with ``lstm-grade``; return its JSON report, or raise :class:`NotGraded`.

    Options are those of :func:`grade_command`, and ``timeout`` (seconds for the whole run, default: none).
    """
    timeout = options.pop("timeout", None)
    notebooks = [Path(path).resolve() for path in notebooks]  # lstm-grade runs in a folder of its own
    if options.get("exercises"):
        options["exercises"] = Path(options["exercises"]).resolve()
    with tempfile.TemporaryDirectory(prefix="lstm-autograder-") as workdir:
        if options.get("run_as"):  # a copy the other user can read, in a folder it may work in
            os.chmod(workdir, 0o755)
            copies = []
            for index, path in enumerate(notebooks):
                copy = Path(workdir) / str(index) / Path(path).name
                copy.parent.mkdir(mode=0o755)
                shutil.copyfile(path, copy)
                os.chmod(copy, 0o644)
                copies.append(copy)
            notebooks = copies
        command = grade_command(notebooks, **options)
        print("running:", " ".join(command), flush=True)  # the instructor's log (Gradescope's stdout, Actions log)
        returncode, stdout, stderr = _run_to_files(command, workdir, timeout)
    if stderr.strip():
        print(stderr.rstrip(), flush=True)
    if returncode not in (0, 1, 2):  # killed, or crashed: whatever it printed is not a report
        raise NotGraded(f"the grader stopped unexpectedly (exit status {returncode})")
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"lstm-grade stopped with exit status {returncode} and no report"
        raise NotGraded(reason.removeprefix("lstm-grade: ")) from None
    if not isinstance(report, dict) or not isinstance(report.get("notebooks"), list):
        raise NotGraded("lstm-grade's report has no list of notebooks")
    return report


def _run_to_files(command, workdir, timeout):
    """Run ``command``; return its exit status, standard output and standard error.

    The outputs go to unnamed files that only this process's user may open, not to pipes: a process the student's
    code leaves behind, running as another user, can then neither reopen them (through ``/proc``) nor keep them
    open to append to the report after the grader has written it.
    """
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        try:
            process = subprocess.Popen(command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                       start_new_session=True)
        except OSError as error:
            raise NotGraded(f"the grader could not start ({error.strerror or error})") from None
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise NotGraded(f"grading took longer than {timeout:g} s in all") from None
        out.seek(0)
        err.seek(0)
        return returncode, out.read(), err.read()


def released_exercises(exercises=None, sets=None):
    """``{set name: [(exercise name, points)]}`` of the released notebooks, for the given sets (default: all)."""
    paths = released_notebooks(exercises)
    if not paths:
        raise ConfigurationError(f"no released exercise notebooks (NN_*.ipynb) in {exercises or 'exercises/'}")
    chosen = list(paths)
    if sets:
        chosen = []
        for name in sets:
            full = normalise_set(name, paths)
            if full is None:
                raise ConfigurationError(f"no exercise set {name!r}; the sets are {', '.join(paths)}")
            chosen.append(full)
    return {name: [(e.name, e.points) for e in exercises_of(nbformat.read(paths[name], as_version=4))]
            for name in chosen}


# --- Gradescope ---------------------------------------------------------------------------------------------------


def gradescope_test(set_name, exercise, score, max_score, passed, output, visibility):
    return {"name": f"{set_name}: {exercise}", "name_format": "text", "score": score, "max_score": max_score,
            "status": "passed" if passed else "failed", "output": output, "output_format": "text",
            "visibility": visibility}


def gradescope_results(report=None, error=None, expected=None, visibility="visible", execution_time=0,
                       advice=SUBMIT_ONE):
    """The ``results.json`` document for one submission.

    ``report`` is lstm-grade's JSON report of that one notebook; ``error`` a reason it was not graded instead.
    ``expected`` (``{set: [(exercise, points)]}``) lists the exercises an ungraded submission scores 0 on, so
    that the student sees what the assignment is worth; ``advice`` follows the reason in the message.
    """
    notebook = None
    if error is None:
        notebooks = report.get("notebooks", [])
        if len(notebooks) != 1:
            error = f"expected a report of one notebook, got {len(notebooks)}"
        else:
            notebook = notebooks[0]
            error = notebook.get("error") or None
    tests = []
    if error is None:
        for exercise in notebook["exercises"]:
            passed = bool(exercise["passed"])
            output = "Passed." if passed else (exercise.get("hint") or "Failed.")
            tests.append(gradescope_test(notebook["set"], exercise["exercise"], exercise["points"],
                                         exercise["max_points"], passed, output, visibility))
        score, max_score = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
        failed = [t for t in tests if t["status"] == "failed"]
        output = (f"Exercise set {notebook['set']}: {score:g} of {max_score:g} points. "
                  + ("Every exercise passed." if not failed else
                     f"{len(failed)} exercise(s) failed: each failed test below gives the first hint the checks "
                     "gave. Run the notebook top to bottom: its check cells show the same verdicts."))
    else:
        for set_name, exercises in (expected or {}).items():
            for name, points in exercises:
                tests.append(gradescope_test(set_name, name, 0, points, False, "Not graded: see the message above.",
                                             visibility))
        score = 0
        output = f"Your submission could not be graded: {error.rstrip('.')}. {advice}".rstrip()
    return {"score": score, "execution_time": int(round(execution_time)), "output": output, "output_format": "text",
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def gradescope_problems(results):
    """Every way ``results`` breaks the Gradescope results format (an empty list when it follows it)."""
    problems = []
    if not isinstance(results, dict):
        return ["the results are not a JSON object"]

    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value

    if "score" in results and not number(results["score"]):
        problems.append("top-level score is not a number")
    if "execution_time" in results and not number(results["execution_time"]):
        problems.append("execution_time is not a number")
    for key in ("output", "output_format"):
        if key in results and not isinstance(results[key], str):
            problems.append(f"top-level {key} is not a string")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in GRADESCOPE_VISIBILITIES:
            problems.append(f"{key} is {results[key]!r}, not one of {', '.join(GRADESCOPE_VISIBILITIES)}")
    tests = results.get("tests", [])
    if not isinstance(tests, list):
        return [*problems, "tests is not a list"]
    if "score" not in results and not tests:
        problems.append("neither a top-level score nor tests")
    names = set()
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        if not isinstance(test.get("name"), str) or not test.get("name"):
            problems.append(f"{where} has no name")
        elif test["name"] in names:
            problems.append(f"{where}: the name {test['name']!r} is used twice")
        names.add(test.get("name"))
        for key in ("score", "max_score"):
            if not number(test.get(key)):
                problems.append(f"{where}: {key} is missing or not a number")
        if number(test.get("score")) and number(test.get("max_score")):
            if not 0 <= test["score"] <= test["max_score"]:
                problems.append(f"{where}: score {test['score']} is not between 0 and max_score {test['max_score']}")
            if test.get("status") == "passed" and test["score"] != test["max_score"]:
                problems.append(f"{where}: passed with {test['score']} of {test['max_score']} points")
            if test.get("status") == "failed" and test["score"] == test["max_score"] and test["max_score"] > 0:
                problems.append(f"{where}: failed with full points")
        if test.get("status") not in ("passed", "failed"):
            problems.append(f"{where}: status is {test.get('status')!r}, not 'passed' or 'failed'")
        for key in ("output", "name_format", "output_format"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"{where}: {key} is not a string")
        if "visibility" in test and test["visibility"] not in GRADESCOPE_VISIBILITIES:
            problems.append(f"{where}: visibility is {test['visibility']!r}")
    scores = [test.get("score") for test in tests if isinstance(test, dict)]
    if "score" in results and tests and all(map(number, scores)) and number(results["score"]):
        if abs(sum(scores) - results["score"]) > 1e-9:
            problems.append(f"score {results['score']} is not the sum of the tests' scores ({sum(scores)})")
    return problems


def grade_for_gradescope(submission, exercises=None, expected_set=None, cell_timeout=60, timeout=None,
                         run_as=None, visibility="visible", python=None):
    """Grade the one notebook in the folder ``submission``; return the ``results.json`` document.

    ``python`` is the interpreter that runs ``lstm-grade`` (default: this one).
    """
    started = time.monotonic()
    report, error, expected = None, None, None
    try:
        expected = released_exercises(exercises, [expected_set]) if expected_set else None
    except ConfigurationError as problem:
        print(f"the autograder is set up wrong: {problem}", flush=True)
        return gradescope_results(error="the autograder is set up wrong (your instructor has the details)",
                                  visibility=visibility, advice="")
    try:
        submission = Path(submission)
        if not submission.is_dir():
            raise NotGraded(f"there is no submission folder {submission}")
        notebooks = find_notebooks(submission)
        if not notebooks:
            others = sorted(str(p.relative_to(submission)) for p in submission.rglob("*") if p.is_file()
                            and not any(part in IGNORED_PARTS for part in p.relative_to(submission).parts))
            found = f" (it holds: {', '.join(others[:5])}{', ...' if len(others) > 5 else ''})" if others else ""
            raise NotGraded(f"no Jupyter notebook (.ipynb) in your submission{found}")
        if len(notebooks) > 1:
            names = ", ".join(str(p.relative_to(submission)) for p in notebooks)
            raise NotGraded(f"{len(notebooks)} notebooks in your submission ({names}); the grader takes exactly one")
        report = run_lstm_grade(notebooks, exercises=exercises, expected_set=expected_set, cell_timeout=cell_timeout,
                                timeout=timeout, run_as=run_as, python=python)
    except NotGraded as reason:
        error = str(reason)
    try:
        results = gradescope_results(report, error, expected, visibility, time.monotonic() - started)
        problems = gradescope_problems(results) + _unlike_the_released(results, error, exercises)
    except (KeyError, TypeError, AttributeError, ValueError, ConfigurationError) as problem:
        problems = [f"{type(problem).__name__}: {problem}"]
    if problems:  # never hand Gradescope a file it rejects: a 0 that says why, and the details in the log
        print("lstm-grade's report did not convert:", "; ".join(problems), flush=True)
        results = gradescope_results(error="the grader's report was malformed (your instructor has the details)",
                                     expected=expected, visibility=visibility,
                                     execution_time=time.monotonic() - started, advice="")
    return results


def _unlike_the_released(results, error, exercises):
    """How a graded submission's tests differ from its set's exercises and points (none when they agree)."""
    if error is not None or not results["tests"]:
        return [] if error is not None else ["lstm-grade's report lists no exercise"]
    set_name = results["tests"][0]["name"].split(": ")[0]
    released = released_exercises(exercises, [set_name])[set_name]
    tests = [(test["name"], test["max_score"]) for test in results["tests"]]
    if tests != [(f"{set_name}: {name}", points) for name, points in released]:
        return [f"the report's exercises and points {tests} are not those of the released set {released}"]
    return []


def write_json(document, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# --- GitHub Classroom ---------------------------------------------------------------------------------------------

#: Where ``classroom grade`` writes its report and ``classroom check`` reads it (relative to the repository).
CLASSROOM_GRADES = ".lstm-grades.json"


def classroom_grade(paths, out=CLASSROOM_GRADES, exercises=None, cell_timeout=60, jobs=2):
    """Grade every notebook found under ``paths`` once; write lstm-grade's report (or the reason there is none)."""
    notebooks = []
    for path in map(Path, paths):
        notebooks.extend(find_notebooks(path) if path.is_dir() else [path])
    try:
        if not notebooks:
            raise NotGraded("no Jupyter notebook (.ipynb) in the repository")
        report = run_lstm_grade(notebooks, exercises=exercises, cell_timeout=cell_timeout, jobs=jobs)
    except NotGraded as reason:
        report = {"notebooks": [], "error": str(reason)}
    write_json(report, out)
    for notebook in report["notebooks"]:
        if notebook.get("error"):
            print(f"{notebook['notebook']}: not graded: {notebook['error']}")
        else:
            print(f"{notebook['notebook']} (set {notebook['set']}): {notebook['points']} of "
                  f"{notebook['max_points']} points")
    if report.get("error"):
        print(f"not graded: {report['error']}")
    return report


def classroom_check(set_name, exercise, grades=CLASSROOM_GRADES, exercises=None):
    """Print one exercise's verdict from the report of ``classroom grade``; return 0 when it passed, else 1."""
    full = normalise_set(set_name, released_notebooks(exercises))
    if full is None:
        print(f"failed: {exercise}: the course has no exercise set {set_name!r}")
        return 1
    try:
        report = json.loads(Path(grades).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        print(f"failed: {exercise}: no grading report ({grades}); the grading step did not finish")
        return 1
    if report.get("error"):
        print(f"failed: {exercise}: not graded: {report['error']}")
        return 1
    ours = [nb for nb in report.get("notebooks", []) if nb.get("set") == full and not nb.get("error")]
    if not ours:
        print(f"failed: {exercise}: no notebook of exercise set {full} in the repository was graded")
        for notebook in report.get("notebooks", []):
            if notebook.get("error"):
                print(f"  {notebook['notebook']}: {notebook['error']}")
        return 1
    if len(ours) > 1:
        names = ", ".join(nb["notebook"] for nb in ours)
        print(f"failed: {exercise}: {len(ours)} notebooks of set {full} ({names}); keep one")
        return 1
    found = [e for e in ours[0]["exercises"] if e["exercise"] == exercise]
    if not found:
        print(f"failed: {exercise}: set {full} has no exercise of that name")
        return 1
    result = found[0]
    if result["passed"]:
        print(f"passed: {exercise} ({result['points']} of {result['max_points']} points)")
        return 0
    print(f"failed: {exercise} (0 of {result['max_points']} points): {result.get('hint') or 'failed'}")
    return 1


def runner_id(set_name, index):
    """A step id the grading reporter accepts (letters and digits only): ``s01e2`` for set 01's second exercise."""
    return f"s{set_name[:2]}e{index + 1}"


def _quoted(text):
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def classroom_workflow(course_repo, ref, expected=None, exercises=None, python_version="3.11", extras="test",
                       notebooks="."):
    """The text of ``.github/workflows/classroom.yml`` for a student's repository.

    ``course_repo`` (``owner/name`` on GitHub) and ``ref`` (a commit) pin the course whose grader and released
    notebooks grade the student's work; ``expected`` is ``{set: [(exercise, points)]}`` (default: every set).
    """
    expected = expected or released_exercises(exercises)
    lines = [
        "# GitHub Classroom autograding for the LSTM exercises. Written by:",
        "#   python -m grading.autograders classroom workflow --course-repo OWNER/REPO --ref COMMIT",
        "# Copy it to .github/workflows/classroom.yml in the assignment's template repository. Each exercise is one",
        "# test worth the notebook's points; the grader comes from the course repository at the pinned commit.",
        "name: Autograding Tests",
        "'on':",
        "- push",
        "- repository_dispatch",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    # not for Classroom's own commits, and never in the course repository itself",
        f"    if: github.actor != 'github-classroom[bot]' && github.repository != '{course_repo}'",
        "    timeout-minutes: 30",
        "    steps:",
        "    - name: Check out the student's work",
        "      uses: actions/checkout@v4",
        "    - name: Check out the course at the pinned commit",
        "      uses: actions/checkout@v4",
        "      with:",
        f"        repository: {course_repo}",
        f"        ref: {ref}",
        "        path: .course",
        "    - name: Set up Python",
        "      uses: actions/setup-python@v5",
        "      with:",
        f"        python-version: {_quoted(python_version)}",
        "    - name: Install the course's grader",
        f"      run: python -m pip install --quiet -e \".course[{extras}]\"",
        "    - name: Grade the notebooks (once; the tests below read the verdicts)",
        f"      run: python -m grading.autograders classroom grade --exercises .course/exercises {notebooks}",
    ]
    ids = []
    for set_name, exercises_of_set in expected.items():
        for index, (exercise, points) in enumerate(exercises_of_set):
            step = runner_id(set_name, index)
            ids.append(step)
            command = (f"python -m grading.autograders classroom check --exercises .course/exercises "
                       f"--set {set_name} --exercise {exercise}")
            lines += [
                f"    - name: {_quoted(f'{set_name}: {exercise}')}",
                f"      id: {step}",
                "      uses: classroom-resources/autograding-command-grader@v1",
                "      with:",
                f"        test-name: {_quoted(f'{set_name}: {exercise}')}",
                "        setup-command: ''",
                f"        command: {command}",
                "        timeout: 1",
                f"        max-score: {points}",
            ]
    lines += [
        "    - name: Autograding Reporter",
        "      uses: classroom-resources/autograding-grading-reporter@v1",
        "      env:",
        *[f"        {step.upper()}_RESULTS: \"${{{{ steps.{step}.outputs.result }}}}\"" for step in ids],
        "      with:",
        f"        runners: {','.join(ids)}",
    ]
    return "\n".join(lines) + "\n"


def classroom_template(out, course_repo, ref, sets=None, exercises=None):
    """Fill ``out`` with an assignment's template repository: the released notebooks of ``sets`` and the workflow."""
    if not re.fullmatch(r"[0-9a-f]{40}", ref):
        raise ConfigurationError(f"--ref {ref!r} is not a full commit SHA: pin a commit (git rev-parse HEAD)")
    expected = released_exercises(exercises, sets)
    out = Path(out)
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(classroom_workflow(course_repo, ref, expected), encoding="utf-8")
    paths = released_notebooks(exercises)
    for name in expected:
        shutil.copyfile(paths[name], out / paths[name].name)
    return out


#: The values the workflow template in grading/templates/classroom/ is written with: the instructor replaces them.
TEMPLATE_COURSE_REPO = "YOUR-ACCOUNT/lstm-from-scratch"
TEMPLATE_REF = "REPLACE-WITH-THE-COMMIT-TO-GRADE-WITH"


def templates_folder():
    return Path(__file__).resolve().parent / "templates"


#: The course checkout this package belongs to (installed in editable mode, as the guide's commands do).
REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


# --- the Gradescope zip --------------------------------------------------------------------------------------------


def _set_variable(script, name, value):
    """``script`` with its line ``NAME="..."`` (or ``NAME="${NAME-...}"``) giving ``value`` instead."""
    pattern = re.compile(rf'^{name}="(\$\{{{name}-)?[^"}}]*(\}})?"$', re.MULTILINE)
    match = pattern.search(script)
    if match is None:
        raise ConfigurationError(f"the template has no line {name}=\"...\"")
    line = f'{name}="${{{name}-{value}}}"' if match.group(1) else f'{name}="{value}"'
    return script[:match.start()] + line + script[match.end():]


def course_files(root=None):
    """The files of the course checkout that git tracks (what a copied checkout needs), relative to its root."""
    root = Path(root) if root else REPOSITORY_ROOT
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise ConfigurationError(f"{root} is not a git checkout: give --course-repo and --ref instead") from None
    return [name for name in listed.decode().split("\0") if name and (root / name).is_file()]


def gradescope_zip(out, expected_set, course_repo=None, ref=None, include_course=False, exercises=None):
    """Write the zip an instructor uploads to Gradescope: setup.sh and run_autograder filled in for one exercise
    set, and either a pinned repository and commit or a copy of this checkout (in ``course/``)."""
    full = list(released_exercises(exercises, [expected_set]))[0]
    folder = templates_folder() / "gradescope"
    setup = (folder / "setup.sh").read_text(encoding="utf-8")
    run = _set_variable((folder / "run_autograder").read_text(encoding="utf-8"), "EXERCISE_SET", full)
    if include_course:
        files = course_files()
    elif course_repo and ref:
        if not re.fullmatch(r"[0-9a-f]{40}", ref):
            raise ConfigurationError(f"--ref {ref!r} is not a full commit SHA: pin a commit (git rev-parse HEAD)")
        setup = _set_variable(_set_variable(setup, "COURSE_REPO", course_repo), "COURSE_COMMIT", ref)
        files = []
    else:
        raise ConfigurationError("give --course-repo and --ref (a commit), or --include-course")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", setup), ("run_autograder", run)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable: Gradescope runs both directly
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for name in files:
            archive.write(REPOSITORY_ROOT / name, f"course/{name}")
    return out


# --- command line -------------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.autograders",
                                     description="Grade LSTM exercise notebooks on Gradescope or GitHub Classroom.")
    commands = parser.add_subparsers(dest="service", required=True)

    gradescope = commands.add_parser("gradescope", help="grade a Gradescope submission, write results.json")
    gradescope.add_argument("--submission", default="/autograder/submission", type=Path,
                            help="the submission folder (default /autograder/submission)")
    gradescope.add_argument("--results", default="/autograder/results/results.json", type=Path,
                            help="the results file to write (default /autograder/results/results.json)")
    gradescope.add_argument("--exercises", help="folder of the released learner notebooks")
    gradescope.add_argument("--set", dest="expected_set", help="the exercise set of this assignment (01 or "
                            "01_cell_forward); a notebook of another set scores 0")
    gradescope.add_argument("--cell-timeout", type=float, default=60, help="seconds one cell may run (default 60)")
    gradescope.add_argument("--timeout", type=float, default=None, help="seconds the grading may take in all")
    gradescope.add_argument("--visibility", choices=GRADESCOPE_VISIBILITIES, default="visible",
                            help="when students see the results (default visible)")
    gradescope.add_argument("--run-as", metavar="USER", help="run the student's code as USER (with runuser)")

    archive = commands.add_parser("gradescope-zip", help="write the autograder zip to upload to Gradescope")
    archive.add_argument("--set", dest="expected_set", required=True, help="the assignment's exercise set (01 ...)")
    archive.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    archive.add_argument("--course-repo", help="the git URL of your course repository")
    archive.add_argument("--ref", help="the commit of it to grade with (a full SHA)")
    archive.add_argument("--include-course", action="store_true", help="put a copy of this checkout in the zip "
                         "instead")
    archive.add_argument("--exercises", help="folder of the released learner notebooks")

    classroom = commands.add_parser("classroom", help="GitHub Classroom: grade, check one exercise, or write the "
                                    "workflow")
    steps = classroom.add_subparsers(dest="step", required=True)
    grade = steps.add_parser("grade", help="grade the repository's notebooks once")
    grade.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="notebooks or folders (default .)")
    grade.add_argument("--out", default=CLASSROOM_GRADES, help=f"report to write (default {CLASSROOM_GRADES})")
    grade.add_argument("--exercises", help="folder of the released learner notebooks")
    grade.add_argument("--cell-timeout", type=float, default=60, help="seconds one cell may run (default 60)")
    grade.add_argument("-j", "--jobs", type=int, default=2, help="notebooks graded at the same time (default 2)")
    check = steps.add_parser("check", help="one exercise's verdict; exit status 0 when it passed")
    check.add_argument("--set", dest="set_name", required=True, help="the exercise set (01 or 01_cell_forward)")
    check.add_argument("--exercise", required=True, help="the exercise (the function's name)")
    check.add_argument("--grades", default=CLASSROOM_GRADES, help=f"the report (default {CLASSROOM_GRADES})")
    check.add_argument("--exercises", help="folder of the released learner notebooks")
    workflow = steps.add_parser("workflow", help="print the workflow file for the students' repositories")
    workflow.add_argument("--course-repo", default=TEMPLATE_COURSE_REPO, help="owner/name of your course "
                          "repository on GitHub")
    workflow.add_argument("--ref", default=TEMPLATE_REF, help="the commit of it to grade with (a full SHA)")
    workflow.add_argument("--set", dest="sets", action="append", help="an exercise set to grade (repeat; "
                          "default: all)")
    workflow.add_argument("--exercises", help="folder of the released learner notebooks")
    workflow.add_argument("--python", default="3.11", help="the Python version to grade with (default 3.11)")
    template = steps.add_parser("template", help="write an assignment's template repository: the released "
                                "notebooks and the workflow")
    template.add_argument("--out", required=True, type=Path, help="the folder to fill")
    template.add_argument("--course-repo", required=True, help="owner/name of your course repository on GitHub")
    template.add_argument("--ref", required=True, help="the commit of it to grade with (a full SHA)")
    template.add_argument("--set", dest="sets", action="append", help="an exercise set of the assignment "
                          "(repeat; default: all)")
    template.add_argument("--exercises", help="folder of the released learner notebooks")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ConfigurationError as problem:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return 2


def _run(args):
    if args.service == "gradescope":
        results = grade_for_gradescope(args.submission, args.exercises, args.expected_set, args.cell_timeout,
                                       args.timeout, args.run_as, args.visibility)
        write_json(results, args.results)
        print(results["output"])
        for test in results["tests"]:
            print(f"  {test['name']}: {test['score']:g}/{test['max_score']:g} {test['status']}: {test['output']}")
        return 0
    if args.service == "gradescope-zip":
        out = gradescope_zip(args.out, args.expected_set, args.course_repo, args.ref, args.include_course,
                             args.exercises)
        print(f"wrote {out}: upload it as the assignment's autograder on Gradescope")
        return 0
    if args.step == "grade":
        classroom_grade(args.paths, args.out, args.exercises, args.cell_timeout, args.jobs)
        return 0
    if args.step == "template":
        out = classroom_template(args.out, args.course_repo, args.ref, args.sets, args.exercises)
        print(f"wrote {out}: push it as the assignment's template repository")
        return 0
    if args.step == "check":
        return classroom_check(args.set_name, args.exercise, args.grades, args.exercises)
    sys.stdout.write(classroom_workflow(args.course_repo, args.ref, released_exercises(args.exercises, args.sets),
                                        python_version=args.python))
    return 0


if __name__ == "__main__":
    sys.exit(main())
