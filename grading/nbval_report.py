"""A pytest plugin the grader loads into its nbval run (``-p grading.nbval_report``).

It appends one JSON line per notebook cell to the file named by ``LSTM_GRADE_RESULTS``: the cell's number among the
code cells, whether it passed, and for a failure nbval's reason and the kernel's traceback. Lines are flushed one by
one, so that what ran before a total timeout is kept. It also records the kernel's process id, so that the grader
can stop a kernel that outlives a killed run.
"""

import json
import os

import pytest


def _write(record):
    path = os.environ.get("LSTM_GRADE_RESULTS")
    if path:
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
