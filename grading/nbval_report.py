"""A pytest plugin the grader loads into its nbval run (``-p grading.nbval_report``).

It appends one JSON line per notebook cell to the results file: the cell's number among the code cells, whether it
passed, and for a failure nbval's reason and the kernel's traceback. Lines are flushed one by one, so that what ran
before a total timeout is kept. It also records the kernel's process id, so that the grader can stop a kernel that
outlives a killed run.

The kernel that runs the answers inherits this process's environment, so nothing of the results file travels there:
the grader names the file with ``--lstm-grade-results`` and hands a secret key through a pipe,
``--lstm-grade-key-fd``, which is read and closed here before any kernel starts. Every record carries its sequence
number and an HMAC of its content under that key; the grader refuses a file with any record it cannot verify, a
duplicate or a gap (:func:`grading.grader.read_results`), so an answer that finds the file cannot add a verdict.
"""

import hashlib
import hmac
import json
import os

import pytest

_state = {"path": None, "key": None, "sequence": 0}


def pytest_addoption(parser):
    group = parser.getgroup("lstm-grade")
    group.addoption("--lstm-grade-results", default=None, help="the file to append one JSON record per cell to")
    group.addoption("--lstm-grade-key-fd", type=int, default=None,
                    help="a pipe to read the key that signs the records from (read and closed at start-up)")


def pytest_configure(config):
    _state["path"] = config.getoption("lstm_grade_results", None)
    descriptor = config.getoption("lstm_grade_key_fd", None)
    if descriptor is not None:
        with os.fdopen(descriptor, "rb") as pipe:
            _state["key"] = pipe.read()


def signature(key, record):
    """The HMAC-SHA256 of a record (without its ``mac``), as hex."""
    body = json.dumps(record, sort_keys=True, ensure_ascii=True)
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest()


def _write(record):
    path = _state["path"]
    if not path:
        return
    record = {**record, "sequence": _state["sequence"]}
    _state["sequence"] += 1
    if _state["key"] is not None:
        record["mac"] = signature(_state["key"], record)
    with open(path, "a", encoding="utf-8") as results:
        results.write(json.dumps(record) + "\n")


def _kernel_pid(item):
    try:
        return item.parent.kernel.km.provisioner.process.pid
    except AttributeError:
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cell = getattr(item, "cell_num", None)
    if cell is None or (call.when != "call" and not report.failed):
        return
    record = {"cell": cell, "when": call.when, "outcome": report.outcome, "kernel_pid": _kernel_pid(item)}
    if call.excinfo is not None:
        error = call.excinfo.value
        record["message"] = str(error)
        record["traceback"] = getattr(error, "inner_traceback", None) or ""
    _write(record)
