"""Grade exercise notebooks: one learner's, or a whole class's in parallel.

How one notebook is graded:

1. The submission is read (a file that is not a notebook gives a one-line :class:`SubmissionError`) and its exercise
   set identified, from its metadata and from the ids of its answer cells.
2. Only its ``answer`` cells are taken, matched to the released learner notebook's answer cells by cell id, then by
   order, and put into a fresh copy of the released notebook. Everything else the learner changed, check cells and
   stored outputs included, is ignored, so that editing them cannot raise a grade.
3. nbval runs the copy in a subprocess (``python -m pytest --nbval``) with a time limit per cell, and the whole run
   with a total time limit after which its process group is killed. An endless loop fails its exercise; the cells
   after it still run.
4. An exercise scores its points when its answer cell and every check cell after it pass; otherwise 0 points and the
   first failure's hint.

Grading runs the learner's code with the grader's permissions: grade notebooks you did not write in a sandbox.
"""

import copy
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .feedback import summary_key
from .notebooks import exercises_of, is_answer, normalise_set, released_notebooks, set_name

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failed|Interrupt|Exit|Warning))(?::\s*(.*))?$")


class SubmissionError(Exception):
    """A file that cannot be graded: not a notebook, no answer cells, another exercise set. One-line message."""


@dataclass
class ExerciseGrade:
    exercise: str
    points: int
    max_points: int
    passed: bool
    hint: str = ""


@dataclass
class NotebookGrade:
    student: str
    path: str
    set: str = ""
    exercises: list = field(default_factory=list)
    error: str = ""
    #: cell id -> "passed", "failed" or "not run", for every code cell of the graded copy
    cell_outcomes: dict = field(default_factory=dict)

    @property
    def points(self):
        return sum(grade.points for grade in self.exercises)

    @property
    def max_points(self):
        return sum(grade.max_points for grade in self.exercises)

    @property
    def status(self):
        if self.error:
            return "error"
        return "passed" if all(grade.passed for grade in self.exercises) else "failed"

    def as_dict(self):
        return {"student": self.student, "notebook": self.path, "set": self.set, "status": self.status,
                "points": self.points, "max_points": self.max_points, "error": self.error,
                "exercises": [asdict(grade) for grade in self.exercises]}


# --- reading a submission ----------------------------------------------------------------------------------------


def read_notebook(path):
    """Read ``path`` as a notebook, or raise :class:`SubmissionError` saying in one line why it is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SubmissionError("not a Jupyter notebook (the file is not text)") from None
    except OSError as error:
        raise SubmissionError(f"cannot read the file: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"not a Jupyter notebook: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError("not a Jupyter notebook: the JSON has no list of cells")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat's errors vary by version
        raise SubmissionError(f"not a readable Jupyter notebook ({type(error).__name__})") from None


def _answer_ids(notebook):
    return [cell.get("id") for cell in notebook.cells if is_answer(cell)]


def identify_set(submission, released, expected=None):
    """The exercise set a submission belongs to, from its metadata and its answer cells' ids."""
    declared = set_name(submission)
    ids = {cell.get("id") for cell in submission.cells if cell.get("cell_type") == "code"}
    overlap = {name: len(ids & set(answer_ids)) for name, answer_ids in released.items()}
    by_ids = max(overlap, key=overlap.get) if overlap and max(overlap.values()) > 0 else None
    if declared is not None and declared not in released:
        raise SubmissionError(f"belongs to an exercise set this course does not have ({declared!r})")
    if declared and by_ids and by_ids != declared and overlap[by_ids] > overlap[declared]:
        raise SubmissionError(f"is marked as set {declared} but its answer cells belong to set {by_ids}")
    chosen = declared or by_ids
    if chosen is None:
        raise SubmissionError("is not one of this course's exercise notebooks (no exercise set in its metadata "
                              "and no known answer cell)")
    if expected and chosen != expected:
        raise SubmissionError(f"belongs to set {chosen}, not to set {expected}")
    return chosen


#: An answer may not take the course's own implementation: ``import lstm``, ``from lstm ...`` or ``lstm.``.
USES_PACKAGE = re.compile(r"^\s*(import|from)\s+lstm\b|\blstm\s*\.", re.MULTILINE)

#: What such an answer cell is replaced by in the graded copy: its exercise fails with this hint.
USES_PACKAGE_SOURCE = ('raise RuntimeError("this answer uses the course\'s lstm package (import lstm, from lstm, '
                       'lstm.): write the function yourself")\n')


def uses_course_package(source):
    """Whether an answer cell's source imports or calls the course's ``lstm`` package."""
    return bool(USES_PACKAGE.search(source))


def graded_copy(released, submission):
    """A copy of the released notebook with the submission's answer cells in place; and the unmatched exercises.

    Answer cells are matched by cell id first; the remaining ones by their order among the cells tagged ``answer``.
    """
    notebook = copy.deepcopy(released)
    by_id = {cell.get("id"): cell for cell in submission.cells if cell.get("cell_type") == "code"}
    released_ids = {cell.get("id") for cell in released.cells if is_answer(cell)}
    unmatched = [cell for cell in submission.cells if is_answer(cell) and cell.get("id") not in released_ids]
    missing = []
    for exercise in exercises_of(notebook):
        cell = notebook.cells[exercise.answer_index]
        theirs = by_id.get(cell.get("id"))
        if theirs is None and unmatched:
            theirs = unmatched.pop(0)
        if theirs is None:
            missing.append(exercise.name)
            continue
        cell.source = theirs.source if not uses_course_package(theirs.source) else USES_PACKAGE_SOURCE
        cell.outputs = []
        cell.execution_count = None  # an unrun reference: nbval does not compare the answer cell's own output
    if len(missing) == len(exercises_of(notebook)):
        raise SubmissionError("has lost its answer cells (no cell tagged `answer` and no answer cell id of set "
                              f"{set_name(released)}); copy your answers into the released notebook")
    return notebook, missing


# --- running nbval -----------------------------------------------------------------------------------------------


def run_nbval(notebook, workdir, cell_timeout, total_timeout):
    """Run nbval on ``notebook`` inside ``workdir``; return ({code cell number: record}, whether it timed out)."""
    workdir = Path(workdir)
    path = workdir / "submission.ipynb"
    nbformat.write(notebook, path)
    (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    results = workdir / "results.jsonl"
    command = [sys.executable, "-m", "pytest", str(path), "--nbval", "--nbval-current-env",
               f"--nbval-cell-timeout={cell_timeout}", "-p", "grading.nbval_report", "-p", "no:cacheprovider",
               "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir), "-q", "--color=no",
               "-W", "ignore::DeprecationWarning"]
    env = {**os.environ, "LSTM_GRADE_RESULTS": str(results), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    timed_out = False
    try:
        process.communicate(timeout=total_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    records = {}
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records.setdefault(record["cell"], record)
    if timed_out:  # the kernel runs in its own session: stop it too
        for pid in {record.get("kernel_pid") for record in records.values()} - {None}:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return records, timed_out


def hint_of(record, cell_timeout):
    """A one-line hint from nbval's record of a failed cell."""
    message = record.get("message", "")
    if message.startswith("Timeout"):
        return f"timed out: a cell ran longer than {cell_timeout:g} s (an endless loop?)"
    if message.startswith("Cell outputs differ"):
        return "the printed output differs from the expected output stored in the notebook"
    if "Kernel dead" in message:
        return "the Python kernel had died (did an earlier cell exit or crash Python?)"
    lines = [ANSI.sub("", line).rstrip() for line in record.get("traceback", "").splitlines()]
    for line in reversed(lines):
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            name, text = match.group(1), (match.group(2) or "").strip()
            if name.endswith("CheckFailed"):
                return text
            return f"{name.rsplit('.', 1)[-1]}: {text}" if text else name.rsplit(".", 1)[-1]
    return ANSI.sub("", message).splitlines()[0] if message else "failed"


# --- grading -----------------------------------------------------------------------------------------------------


def grade_notebook(path, student=None, released_folder=None, expected_set=None, cell_timeout=60,
                   total_timeout=None, runner=None):
    """Grade one notebook; never raises for a bad submission (the error goes into the result).

    ``runner(notebook, workdir, cell_timeout, total_timeout)`` runs the graded copy and returns
    ``({code cell number: record}, timed_out)``; the default is :func:`run_nbval` (tests may pass a faster one).
    """
    path = Path(path)
    grade = NotebookGrade(student=student or path.stem, path=str(path))
    try:
        released_paths = released_notebooks(released_folder)
        if not released_paths:
            raise SubmissionError("cannot find the released exercise notebooks (exercises/NN_*.ipynb); "
                                  "pass --exercises DIR")
        released = {name: nbformat.read(p, as_version=4) for name, p in released_paths.items()}
        if path.suffix != ".ipynb" and path.suffix:
            raise SubmissionError(f"not a Jupyter notebook (a {path.suffix} file)")
        submission = read_notebook(path)
        grade.set = identify_set(submission, {name: _answer_ids(nb) for name, nb in released.items()},
                                 expected_set)
        notebook, missing = graded_copy(released[grade.set], submission)
        exercises = exercises_of(notebook)
        code_numbers = {}
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                code_numbers[index] = len(code_numbers)
        total = total_timeout or cell_timeout * len(code_numbers) + 60
        with tempfile.TemporaryDirectory(prefix="lstm-grade-") as workdir:
            records, timed_out = (runner or run_nbval)(notebook, workdir, cell_timeout, total)
        grade.cell_outcomes = {notebook.cells[index].get("id", str(number)):
                               records.get(number, {}).get("outcome", "not run")
                               for index, number in code_numbers.items()}
        graded_cells = {index for exercise in exercises for index in [exercise.answer_index, *exercise.check_indices]}
        setup_failure = next((hint_of(records[code_numbers[index]], cell_timeout) for index in code_numbers
                              if index not in graded_cells and code_numbers[index] in records
                              and records[code_numbers[index]]["outcome"] == "failed"), None)
        for exercise in exercises:
            hint = ""
            if exercise.name in missing:
                hint = "the answer cell is missing from the notebook"
            elif setup_failure:
                hint = f"a setup cell failed: {setup_failure}"
            else:
                for index in [exercise.answer_index, *exercise.check_indices]:
                    record = records.get(code_numbers[index])
                    if record is None:
                        hint = ("not run: the notebook exceeded its total time limit" if timed_out
                                else "not run: the grader stopped before this cell")
                        break
                    if record["outcome"] == "failed":
                        hint = hint_of(record, cell_timeout)
                        break
            grade.exercises.append(ExerciseGrade(exercise.name, 0 if hint else exercise.points, exercise.points,
                                                 not hint, hint))
    except SubmissionError as error:
        grade.error = str(error)
    except Exception as error:  # one student's odd file must never stop the class
        grade.error = f"could not grade: {type(error).__name__}: {error}"
    return grade


def collect_submissions(paths):
    """``[(student, path)]`` for the given files and folders.

    A file is a submission, named by its file name without the suffix. A folder's files are submissions named the
    same way, and each of its sub-folders is one student, named by the folder, whose notebooks are all its
    ``.ipynb`` files. Hidden files and ``.ipynb_checkpoints`` are skipped.
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.name.startswith(".") or entry.name == "__pycache__":
                    continue
                if entry.is_dir():
                    notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
                    found.extend((entry.name, p) for p in notebooks)
                    if not notebooks:
                        found.append((entry.name, entry))
                else:
                    found.append((entry.stem, entry))
        else:
            found.append((path.stem, path))
    return found


def grade_many(submissions, jobs=1, progress=None, **options):
    """Grade ``[(student, path)]`` with ``jobs`` notebooks at a time; results in the order given."""
    def one(item):
        student, path = item
        if Path(path).is_dir():
            return NotebookGrade(student=student, path=str(path), error="no notebook (.ipynb) in this folder")
        grade = grade_notebook(path, student=student, **options)
        if progress:
            progress(grade)
        return grade

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, submissions))


# --- tables ------------------------------------------------------------------------------------------------------

ROW_FIELDS = ("student", "notebook", "set", "exercise", "points", "max_points", "status", "hint")


def rows_of(grades):
    """One row per student and exercise (one row with the error for a notebook that could not be graded)."""
    rows = []
    for grade in grades:
        if grade.error:
            rows.append({"student": grade.student, "notebook": grade.path, "set": grade.set, "exercise": "",
                         "points": 0, "max_points": 0, "status": "error", "hint": grade.error})
        for exercise in grade.exercises:
            rows.append({"student": grade.student, "notebook": grade.path, "set": grade.set,
                         "exercise": exercise.exercise, "points": exercise.points,
                         "max_points": exercise.max_points, "status": "passed" if exercise.passed else "failed",
                         "hint": exercise.hint})
    return rows


def common_mistakes(grades):
    """How often each hint occurred (case details removed), most common first."""
    counts, students = Counter(), defaultdict(list)
    for grade in grades:
        for exercise in grade.exercises:
            if not exercise.passed:
                key = (grade.set, exercise.exercise, summary_key(exercise.hint))
                counts[key] += 1
                students[key].append(grade.student)
    return [{"set": key[0], "exercise": key[1], "hint": key[2], "count": count, "students": students[key]}
            for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def report(grades):
    """The JSON document of a grading run: per notebook, per row, and the common mistakes."""
    return {"notebooks": [grade.as_dict() for grade in grades], "rows": rows_of(grades),
            "mistakes": common_mistakes(grades)}


def write_json(grades, path):
    text = json.dumps(report(grades), indent=1, ensure_ascii=False) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


def write_csv(rows, fields, path):
    """Write ``rows`` (dicts) with the columns ``fields`` to ``path``, or to standard output when it is ``-``."""
    if str(path) == "-":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def format_notebook(grade):
    """The score table of one notebook, as text."""
    if grade.error:
        return f"{grade.path}: {grade.error}"
    width = max([len("exercise")] + [len(e.exercise) for e in grade.exercises])
    lines = [f"{grade.path} (set {grade.set})", f"  {'exercise':<{width}}  points  result  hint"]
    for e in grade.exercises:
        lines.append(f"  {e.exercise:<{width}}  {e.points:>2}/{e.max_points:<3}  {'passed' if e.passed else 'FAILED'}"
                     f"  {e.hint}".rstrip())
    lines.append(f"  {'total':<{width}}  {grade.points:>2}/{grade.max_points}")
    return "\n".join(lines)


def format_class(grades, top=10):
    """A per-notebook summary and the most common mistakes, as text."""
    width = max([len("student")] + [len(g.student) for g in grades])
    lines = [f"{'student':<{width}}  {'set':<24}  points  status"]
    for g in grades:
        points = f"{g.points}/{g.max_points}" if not g.error else "-"
        lines.append(f"{g.student:<{width}}  {g.set or '-':<24}  {points:>6}  {g.status}"
                     + (f": {g.error}" if g.error else ""))
    mistakes = common_mistakes(grades)
    if mistakes:
        lines += ["", "most common mistakes:"]
        lines += [f"  {m['count']:>3} × {m['exercise']}: {m['hint']}" for m in mistakes[:top]]
    return "\n".join(lines)


def exit_code(grades):
    """0 when every exercise of every notebook passed, 2 when a file could not be graded, 1 otherwise."""
    if any(grade.error for grade in grades):
        return 2
    return 0 if grades and all(grade.status == "passed" for grade in grades) else 1


def resolve_set(name, released_folder=None):
    """The full name of a set given as ``01`` or ``01_cell_forward``; SubmissionError when unknown."""
    known = released_notebooks(released_folder)
    full = normalise_set(name, known)
    if full is None:
        raise SubmissionError(f"unknown exercise set {name!r}; the sets are {', '.join(known)}")
    return full
