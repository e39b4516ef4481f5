"""Grade exercise notebooks: one learner's, or a whole class's in parallel.

How one notebook is graded:

1. The submission is read (a file that is not a notebook gives a one-line :class:`SubmissionError`) and its exercise
   set identified, from its metadata and from the ids of its answer cells.
2. Only its ``answer`` cells are taken, matched to the released notebook's answer cells by cell id, then by order.
   Everything else the learner changed, check cells and stored outputs included, is ignored. An answer cell that
   breaks a rule of :mod:`grading.policy` scores 0 with the rule's one-line reason and is not run.
3. For the sets whose checks can be replayed (:func:`isolation_plan`: every set but the gradient checker's), the
   verdict's calls on hidden cases are planned with the reference functions (:mod:`grading.recording`), and nbval
   runs an isolated notebook (:func:`isolated_notebook`, :func:`run_isolated`): numpy, the given functions as plain
   code, the answers, and a recorder that writes what the answers' functions return. The course's packages cannot be
   imported there. The grader then applies the check's own verdict to the records, in its own process.
   The other sets run a copy of the released notebook with the answers in place, as nbval would.
4. Every cell has a time limit and the whole run another, after which its process group is killed. An exercise scores
   its points when its verdict passes; otherwise 0 points and the first failure's hint.

Grading runs the learner's code with the grader's permissions: grade notebooks you did not write in a sandbox.
"""

import ast
import copy
import csv
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import givens
from .feedback import RENDERED_FAILURE, CheckFailed, summary_key
from .nbval_report import signature
from .notebooks import exercises_of, is_answer, normalise_set, released_notebooks, set_name
from .policy import first_violation, names_defined
from .recording import RECORDER_SOURCE, Replay, ReplayError, ReplaySession, load_records, make_plan

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
    #: the seed the hidden cases were drawn from (None for a set graded by running its check cells)
    seed: int = None

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
                "exercises": [asdict(grade) for grade in self.exercises], "seed": self.seed}


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


def protected_names(released):
    """The names an answer may not rebind: what the released notebook's other code cells define or import (of the
    check cells, only imports and definitions: the variables a check cell prints are rebound by it anyway)."""
    names = {"lstm", "grading"}
    for cell in released.cells:
        if cell.get("cell_type") == "code" and not is_answer(cell):
            names |= names_defined(cell.source, variables="check" not in cell.get("metadata", {}).get("tags", []))
    return names


def policy_reason(source, released):
    """The one-line reason an answer cell breaks the rules of :mod:`grading.policy`, or None."""
    allowed = {exercise.name for exercise in exercises_of(released)}
    return first_violation(source, protected_names(released), allowed)


def _refusal(reason):
    """The code an answer cell that breaks the rules is replaced by: it fails with the reason."""
    return f"raise RuntimeError({reason!r})\n"


def matched_answers(released, submission):
    """``{exercise name: the submission's answer source}`` for the exercises it answers; and the missing ones.

    Answer cells are matched by cell id first; the remaining ones by their order among the cells tagged ``answer``.
    """
    by_id = {cell.get("id"): cell for cell in submission.cells if cell.get("cell_type") == "code"}
    released_ids = {cell.get("id") for cell in released.cells if is_answer(cell)}
    unmatched = [cell for cell in submission.cells if is_answer(cell) and cell.get("id") not in released_ids]
    answers, missing = {}, []
    for exercise in exercises_of(released):
        theirs = by_id.get(released.cells[exercise.answer_index].get("id"))
        if theirs is None and unmatched:
            theirs = unmatched.pop(0)
        if theirs is None:
            missing.append(exercise.name)
        else:
            answers[exercise.name] = theirs.source
    if len(missing) == len(exercises_of(released)):
        raise SubmissionError("has lost its answer cells (no cell tagged `answer` and no answer cell id of set "
                              f"{set_name(released)}); copy your answers into the released notebook")
    return answers, missing


def graded_copy(released, submission):
    """A copy of the released notebook with the submission's answer cells in place; and the unmatched exercises.

    An answer cell that breaks a rule of :mod:`grading.policy` is replaced by a cell that raises the reason.
    """
    notebook = copy.deepcopy(released)
    answers, missing = matched_answers(released, submission)
    for exercise in exercises_of(notebook):
        if exercise.name in answers:
            cell = notebook.cells[exercise.answer_index]
            reason = policy_reason(answers[exercise.name], released)
            cell.source = answers[exercise.name] if reason is None else _refusal(reason)
            cell.outputs = []
            cell.execution_count = None  # an unrun reference: nbval does not compare the answer cell's own output
    return notebook, missing


# --- running nbval -----------------------------------------------------------------------------------------------


#: The fields a record of :mod:`grading.nbval_report` may have, and the values of two of them.
RECORD_FIELDS = {"cell", "when", "outcome", "kernel_pid", "message", "traceback", "sequence", "mac"}
RECORD_PHASES = ("setup", "call", "teardown")
RECORD_OUTCOMES = ("passed", "failed", "skipped")


def read_results(text, key, n_cells):
    """``({code cell number: record}, problem)`` from the lines of a results file.

    ``problem`` is None when every line is a record the plugin signed with ``key``, numbered 0, 1, 2, ... with no
    gap, at most one per cell and phase, for a cell that exists; otherwise a one-line reason, and the records are
    only those verified before it (their kernel ids let a timed-out run be stopped). The first record of a cell
    counts (a failed setup, or the call).
    """
    records, seen = {}, set()
    for number, line in enumerate(text.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            return records, f"line {number + 1} is not JSON"
        if not isinstance(record, dict) or not set(record) <= RECORD_FIELDS:
            return records, f"line {number + 1} is not a record of the grader's plugin"
        mac = record.pop("mac", None)
        if not isinstance(mac, str) or not hmac.compare_digest(mac, signature(key, record)):
            return records, f"line {number + 1} was not written by the grader's plugin (its signature is wrong)"
        cell, when = record.get("cell"), record.get("when")
        if record.get("sequence") != number:
            return records, f"line {number + 1} is out of sequence (a record was removed or repeated)"
        if (type(cell) is not int or not 0 <= cell < n_cells or when not in RECORD_PHASES
                or record.get("outcome") not in RECORD_OUTCOMES):
            return records, f"line {number + 1} names no cell of the notebook"
        if (cell, when) in seen:
            return records, f"line {number + 1} repeats the record of cell {cell} ({when})"
        seen.add((cell, when))
        records.setdefault(cell, record)
    return records, None


#: Seconds a notebook's kernel may take to start. nbval's default, 60, is not always enough on a busy machine
#: grading several notebooks at once; a slow start is not the learner's fault, so it is given time.
KERNEL_STARTUP_TIMEOUT = 180


def run_nbval(notebook, workdir, cell_timeout, total_timeout, plugin="grading.nbval_report", environment=None,
              lax=False):
    """Run nbval on ``notebook`` inside ``workdir``; return ({code cell number: record}, whether it timed out).

    The results file lives outside ``workdir`` (the kernel's working folder) and reaches the plugin on its command
    line, never in the environment the kernel inherits; its records are signed with a key sent through a pipe that
    the plugin closes before the kernel starts. A file that fails :func:`read_results` fails every cell with the
    reason.
    """
    workdir = Path(workdir)
    path = workdir / "submission.ipynb"
    nbformat.write(notebook, path)
    (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    private = Path(tempfile.mkdtemp(prefix="lstm-grade-results-"))
    results = private / f"{secrets.token_hex(8)}.jsonl"
    key = secrets.token_bytes(32)
    key_read, key_write = os.pipe()
    os.write(key_write, key)  # 32 bytes: far below a pipe's buffer, so this never blocks
    os.close(key_write)
    command = [sys.executable, "-m", "pytest", str(path), "--nbval", "--nbval-current-env",
               f"--nbval-cell-timeout={cell_timeout}", f"--nbval-kernel-startup-timeout={KERNEL_STARTUP_TIMEOUT}",
               "-p", plugin, "-p", "no:cacheprovider",
               "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir), "-q", "--color=no",
               "-W", "ignore::DeprecationWarning", f"--lstm-grade-results={results}",
               f"--lstm-grade-key-fd={key_read}"] + (["--nbval-lax"] if lax else [])
    inherited = {name: value for name, value in os.environ.items() if name != "LSTM_GRADE_RESULTS"}
    env = {**inherited, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1", **(environment or {})}
    try:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True, pass_fds=(key_read,))
    finally:
        os.close(key_read)
    timed_out = False
    try:
        process.communicate(timeout=total_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    try:
        text = results.read_text(encoding="utf-8") if results.exists() else ""
    finally:
        shutil.rmtree(private, ignore_errors=True)
    n_cells = sum(1 for cell in notebook.cells if cell.get("cell_type") == "code")
    records, problem = read_results(text, key, n_cells)
    if timed_out:  # the kernel runs in its own session: stop it too
        for pid in {record.get("kernel_pid") for record in records.values()} - {None}:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    if problem is not None:
        reason = f"the grader's record of this run cannot be trusted: {problem}; nothing of it is graded"
        records = {cell: {"cell": cell, "when": "call", "outcome": "failed", "message": reason, "untrusted": True}
                   for cell in range(n_cells)}
    return records, timed_out


#: The stub of a course package in the isolated notebook: neither an editable nor a regular install is reachable.
STUB_PACKAGE = 'raise ImportError("the course\'s {name} package is not available to an answer")\n'


def run_isolated(notebook, workdir, cell_timeout, total_timeout):
    """Run the isolated notebook with nbval where the course's packages cannot be imported.

    The kernel starts in ``workdir`` with ``PYTHONPATH`` pointing first at stub packages ``lstm`` and ``grading``
    whose import raises ImportError. nbval's results are written by a copy of :mod:`grading.nbval_report` that
    lives outside the stubs.
    """
    workdir = Path(workdir)
    stubs, plugins = workdir / "stubs", workdir / "plugins"
    for name in ("lstm", "grading"):
        (stubs / name).mkdir(parents=True, exist_ok=True)
        (stubs / name / "__init__.py").write_text(STUB_PACKAGE.format(name=name), encoding="utf-8")
    plugins.mkdir(exist_ok=True)
    report = Path(__file__).with_name("nbval_report.py").read_text(encoding="utf-8")
    (plugins / "lstm_grade_nbval_report.py").write_text(report, encoding="utf-8")
    environment = {"PYTHONPATH": os.pathsep.join([str(stubs), str(plugins)]), "PYTHONNOUSERSITE": "1"}
    return run_nbval(notebook, workdir, cell_timeout, total_timeout, plugin="lstm_grade_nbval_report",
                     environment=environment, lax=True)


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
    for number, line in enumerate(lines):  # a CheckFailed as the notebook shows it (its _render_traceback_)
        if line.startswith(RENDERED_FAILURE):
            case = next((rest.strip()[len("failing case: "):] for rest in lines[number + 1:number + 2]
                         if rest.strip().startswith("failing case: ")), None)
            return line[len(RENDERED_FAILURE):] + (f" [case: {case}]" if case else "")
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
                   total_timeout=None, runner=None, seed=None):
    """Grade one notebook; never raises for a bad submission (the error goes into the result).

    ``runner(notebook, workdir, cell_timeout, total_timeout)`` runs the notebook the grader builds and returns
    ``({code cell number: record}, timed_out)``; the default is :func:`run_isolated` for the sets whose checks can be
    replayed (:func:`isolation_plan`) and :func:`run_nbval` for the others (tests may pass a faster one).
    ``seed`` draws the hidden cases (default: a new random seed for every notebook).
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
        plan = isolation_plan(released[grade.set])
        if plan is not None:
            _grade_isolated(grade, released[grade.set], submission, plan, cell_timeout, total_timeout,
                            runner or run_isolated, seed if seed is not None else secrets.randbelow(2**31))
            return grade
        answers, _ = matched_answers(released[grade.set], submission)
        refused = {name: policy_reason(source, released[grade.set]) for name, source in answers.items()}
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
            elif refused.get(exercise.name):
                hint = refused[exercise.name]
            elif records.get(0, {}).get("untrusted"):
                hint = records[0]["message"]
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


# --- grading in isolation ----------------------------------------------------------------------------------------

CHECK_CALL = re.compile(r"\b(check_\w+)\(\s*([\w\s,]*?)\s*\)")


def reference_functions():
    """The course's reference for every exercise function whose outputs the grader can record and replay."""
    import lstm

    from . import gru
    from .checks_bidirectional import reference_bidirectional_lstm_backward

    return {"softmax": lstm.softmax, "lstm_cell_forward": lstm.lstm_cell_forward, "lstm_forward": lstm.lstm_forward,
            "lstm_cell_backward": lstm.lstm_cell_backward, "lstm_backward": lstm.lstm_backward,
            "gru_cell_forward": gru.gru_cell_forward, "gru_cell_backward": gru.gru_cell_backward,
            "bidirectional_lstm_backward": reference_bidirectional_lstm_backward}


def _verifier(check_name):
    from . import checks, checks_bidirectional, checks_gradient_checker, checks_gru

    for module in (checks, checks_gru, checks_bidirectional, checks_gradient_checker):
        verify = getattr(module, "verify_" + check_name[len("check_"):], None)
        if verify is not None:
            return verify
    return None


def isolation_plan(released):
    """``[(exercise, verify, argument names)]`` when every exercise's check can be replayed, else None.

    A check can be replayed when the check cell calls ``check_<name>(f, ...)`` with answer functions only, each
    with a reference in :func:`reference_functions`. (Set 5's checks hand functions to the learner's functions:
    it is graded by running its check cells, behind the policy.)
    """
    references = reference_functions()
    found = []
    for exercise in exercises_of(released):
        match = next((m for m in (CHECK_CALL.search(released.cells[i].source) for i in exercise.check_indices) if m),
                     None)
        if match is None:
            return None
        verify = _verifier(match.group(1))
        names = [name.strip() for name in match.group(2).split(",") if name.strip()]
        if verify is None or not names or not all(name in references for name in names):
            return None
        found.append((exercise, verify, names))
    return found


def given_names(released):
    """The names the released notebook's setup cells import from the course's package (``from lstm import ...``)."""
    names = []
    for cell in released.cells:
        if cell.get("cell_type") != "code" or is_answer(cell) or "check" in cell.get("metadata", {}).get("tags", []):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lstm":
                names += [alias.name for alias in node.names if alias.name in givens.NEEDS]
    return names


def isolated_notebook(released, answers, plan, workdir):
    """The notebook the grader runs: numpy and the given functions, then each answer and its recorder.

    Returns the notebook and, per exercise, the numbers (among code cells) of its answer cell (or None) and of its
    recorder cell.
    """
    cells, where = [nbformat.v4.new_code_cell("import numpy as np\n\n" + givens.source_of(given_names(released)))], {}
    for exercise, _, names in plan:
        answer = None
        if exercise.name in answers:
            answer = len(cells)
            cells.append(nbformat.v4.new_code_cell(answers[exercise.name]))
        cells.append(nbformat.v4.new_code_cell(RECORDER_SOURCE))
        functions = "{" + ", ".join(f"{name!r}: globals().get({name!r})" for name in names) + "}"
        stem = str(Path(workdir) / exercise.name)
        cells.append(nbformat.v4.new_code_cell(f"_lstm_grade_record({functions}, {stem + '-plan'!r}, "
                                               f"{stem + '-record'!r})"))
        where[exercise.name] = (answer, len(cells) - 1)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook, where


def replayed_verdict(verify, names, answers, plan, records, seed):
    """The verdict on the recorded outputs: '' when they pass, else the one-line hint."""
    session = ReplaySession(plan.calls, plan.arrays, *records)
    replays = [Replay(name, session, answers.get(name)) for name in names]
    try:
        verify(*replays, seed=seed, hidden=True)  # prints nothing (no redirection: graders run in threads)
    except CheckFailed as failure:
        return " ".join(str(failure).split())
    except ReplayError as error:
        return f"could not be graded (a defect of the grader: {error}); tell your instructor"
    return ""


def _grade_isolated(grade, released, submission, plan, cell_timeout, total_timeout, runner, seed):
    grade.seed = seed
    answers, missing = matched_answers(released, submission)
    refused = {name: policy_reason(source, released) for name, source in answers.items()}
    accepted = {name: source for name, source in answers.items() if not refused[name]}
    with tempfile.TemporaryDirectory(prefix="lstm-grade-") as workdir:
        plans = {}
        for exercise, verify, names in plan:
            plans[exercise.name] = make_plan(verify, [(name, reference_functions()[name]) for name in names], seed)
            plans[exercise.name].write(str(Path(workdir) / f"{exercise.name}-plan"))
        notebook, where = isolated_notebook(released, accepted, plan, workdir)
        total = total_timeout or cell_timeout * len(notebook.cells) + 60
        records, timed_out = runner(notebook, workdir, cell_timeout, total)
        setup = records.get(0, {})
        for exercise, verify, names in plan:
            answer_cell, record_cell = where[exercise.name]
            hint = ""
            if exercise.name in missing:
                hint = "the answer cell is missing from the notebook"
            elif refused.get(exercise.name):
                hint = refused[exercise.name]
            elif setup.get("untrusted"):
                hint = setup["message"]
            elif setup.get("outcome") == "failed":
                hint = f"a setup cell failed: {hint_of(setup, cell_timeout)}"
            elif records.get(answer_cell, {}).get("outcome") == "failed":
                hint = hint_of(records[answer_cell], cell_timeout)
            elif record_cell not in records:
                hint = ("not run: the notebook exceeded its total time limit" if timed_out
                        else "not run: the grader stopped before this exercise")
            elif records[record_cell]["outcome"] == "failed":
                hint = hint_of(records[record_cell], cell_timeout)
            else:
                outputs = load_records(str(Path(workdir) / f"{exercise.name}-record"))
                hint = ("its outputs could not be recorded" if outputs is None else
                        replayed_verdict(verify, names, accepted, plans[exercise.name], outputs, seed))
            grade.exercises.append(ExerciseGrade(exercise.name, 0 if hint else exercise.points, exercise.points,
                                                 not hint, hint))
            outcome = "failed" if hint else "passed"
            answer_id = released.cells[exercise.answer_index].get("id")
            grade.cell_outcomes[answer_id] = ("failed" if exercise.name in refused and refused[exercise.name]
                                              else records.get(answer_cell, {}).get("outcome", "not run"))
            for index in exercise.check_indices:
                grade.cell_outcomes[released.cells[index].get("id")] = outcome


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
    """Grade ``[(student, path)]`` with ``jobs`` notebooks at a time; results in the order given.

    One seed, chosen here unless ``seed`` is given, draws the hidden cases of the whole class: the same mistake gives
    the same hint to every student, and the table of common mistakes counts it once.
    """
    if options.get("seed") is None:
        options["seed"] = secrets.randbelow(2**31)
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
