"""Record an answer's outputs in one process, judge them in another: the plan, the recorder and the replay.

The grader never calls a learner's function in its own process. It works in three steps:

1. **Plan.** The exercise's verdict (``verify_<name>`` of :mod:`grading.checks`) runs on the hidden cases with
   *probes* in place of the learner's functions: each probe calls the course's reference and writes down the call
   (the function's name and its arguments as data: arrays, numbers, strings, dicts, lists, tuples). An argument that
   is what an earlier call returned (the GRU backward pass receives the learner's own cache) is written as a
   reference to that call.
2. **Record.** In the isolated notebook, the recorder (:data:`RECORDER_SOURCE`, plain code with no import of the
   course) makes each planned call on the learner's function and writes what happened: the value returned, the
   arguments after the call when the function changed them, or the exception's type and message. Anything that is
   not numpy arrays, numbers, strings, None, or dicts, lists and tuples of them is recorded as a failure.
3. **Replay.** Back in the grader, the same verdict runs again with a :class:`Replay` in place of each function: the
   replay checks that it is asked the planned call, writes the recorded changes into the arguments, and returns the
   recorded value or raises the recorded error. The verdict therefore judges exactly what the learner's code did.

Files hold JSON (the structure) and ``.npz`` archives (the arrays), read with ``allow_pickle=False``.
"""

import builtins
import json
from pathlib import Path

import numpy as np

from .feedback import CheckFailed

#: The data functions of the recorder: the same text runs in the isolated notebook and here (one source of truth).
RECORDER_SOURCE = r'''
class _LstmGradeArrays(dict):
    """Arrays by key, each content stored once (`seen` maps (dtype, shape, bytes) to its key)."""

    def __init__(self):
        super().__init__()
        self.seen = {}


def _lstm_grade_remember(known, results, result):
    """Note `result` (the value of call number len(results)) and its items, for _lstm_grade_encode; keep it."""
    index = len(results)
    results.append(result)
    if not isinstance(result, (int, float, str, bool, type(None))):
        known.setdefault(id(result), (index, []))
        if type(result) is tuple:
            for position, item in enumerate(result):
                if not isinstance(item, (int, float, str, bool, type(None))):
                    known.setdefault(id(item), (index, [position]))


def _lstm_grade_encode(value, arrays, known=None):
    """A JSON-able tree for value; arrays go into the dict `arrays`. Raise TypeError for anything else.

    `known` maps id() of what earlier calls returned to (call number, path): such a value is written as a
    reference to that call.
    """
    import numpy
    if known is not None and id(value) in known:
        index, path = known[id(value)]
        return {"result_of": index, "path": path}
    kind = type(value)
    if kind is numpy.ndarray or isinstance(value, numpy.generic) and kind.__module__ == "numpy":
        array = numpy.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"an array of dtype {array.dtype}")
        seen = getattr(arrays, "seen", {})
        fingerprint = (array.dtype.str, array.shape, array.tobytes())
        key = seen.get(fingerprint)
        if key is None:  # an array with the same contents is stored once
            key = f"a{len(arrays)}"
            arrays[key] = array.copy()
            seen[fingerprint] = key
        return {"array": key, "scalar": kind is not numpy.ndarray}
    if value is None or kind in (bool, int, str):
        return {"value": value}
    if kind is float:
        return {"float": repr(value)}
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise TypeError("a dict whose keys are not all strings")
        return {"dict": [[key, _lstm_grade_encode(item, arrays, known)] for key, item in value.items()]}
    if kind in (list, tuple):
        return {kind.__name__: [_lstm_grade_encode(item, arrays, known) for item in value]}
    raise TypeError(f"a {kind.__name__}")


def _lstm_grade_decode(tree, arrays, results=None):
    """The value a tree of _lstm_grade_encode stands for (fresh copies of its arrays)."""
    import numpy
    if "result_of" in tree:
        value = results[tree["result_of"]]
        for position in tree["path"]:
            value = value[position]
        return value
    if "array" in tree:
        array = numpy.array(arrays[tree["array"]])
        return array[()] if tree["scalar"] else array
    if "value" in tree:
        return tree["value"]
    if "float" in tree:
        return float(tree["float"])
    if "dict" in tree:
        return {key: _lstm_grade_decode(item, arrays, results) for key, item in tree["dict"]}
    if "list" in tree:
        return [_lstm_grade_decode(item, arrays, results) for item in tree["list"]]
    return tuple(_lstm_grade_decode(item, arrays, results) for item in tree["tuple"])


def _lstm_grade_same(a, b):
    """Exactly the same data (type, shape, dtype, values; nan equal to nan)."""
    import numpy
    if type(a) is not type(b):
        return False
    if type(a) is numpy.ndarray:
        return (a.shape == b.shape and a.dtype == b.dtype
                and bool(numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if type(a) is dict:
        return list(a) == list(b) and all(_lstm_grade_same(a[k], b[k]) for k in a)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_lstm_grade_same(x, y) for x, y in zip(a, b))
    return a == b or a != a and b != b


def _lstm_grade_record(functions, plan_name, out_name):
    """Make every planned call on the learner's functions; write what each returned, changed or raised."""
    import json
    import warnings

    import numpy

    with open(plan_name + ".json", encoding="utf-8") as handle:
        plan = json.load(handle)
    with numpy.load(plan_name + ".npz", allow_pickle=False) as archive:
        plan_arrays = {key: archive[key] for key in archive.files}
    results, known, records, arrays = [], {}, [], _LstmGradeArrays()
    for call in plan:
        function = functions.get(call["function"])
        args = _lstm_grade_decode(call["args"], plan_arrays, results)
        before = _lstm_grade_decode(call["args"], plan_arrays, results)
        record, result = {}, None
        if function is None:
            record["missing"] = call["function"]
        else:
            try:
                with numpy.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = function(*args)
            except (Exception, SystemExit) as error:
                record["raised"] = [type(error).__name__, " ".join(str(error).split())[:500]]
            else:
                try:
                    record["returned"] = _lstm_grade_encode(result, arrays, known)
                except (TypeError, RecursionError) as error:
                    record["unrecordable"] = str(error)
            if not _lstm_grade_same(before, args):
                try:
                    record["after"] = _lstm_grade_encode(args, arrays)
                except (TypeError, RecursionError) as error:
                    record["after_unrecordable"] = str(error)
        _lstm_grade_remember(known, results, result)
        records.append(record)
    numpy.savez(out_name + ".npz", **arrays)
    with open(out_name + ".json", "w", encoding="utf-8") as handle:
        json.dump(records, handle)
'''

_namespace = {}
exec(compile(RECORDER_SOURCE, "<grading.recording.RECORDER_SOURCE>", "exec"), _namespace)  # noqa: S102
encode, decode, same, remember = (_namespace["_lstm_grade_encode"], _namespace["_lstm_grade_decode"],
                                  _namespace["_lstm_grade_same"], _namespace["_lstm_grade_remember"])


class ReplayError(Exception):
    """The verdict asked a replay for a call that was not planned: a defect of the grader, not of the answer."""


# --- 1. the plan -------------------------------------------------------------------------------------------------


class Plan:
    """The calls a verdict makes, written down by probes that call the reference functions."""

    def __init__(self):
        self.calls, self.arrays, self.results, self.known = [], _namespace["_LstmGradeArrays"](), [], {}

    def probe(self, name, reference):
        def probe(*args):
            self.calls.append({"function": name, "args": encode(args, self.arrays, self.known)})
            result = reference(*args)
            remember(self.known, self.results, result)  # kept alive: no later object can reuse its id
            return result

        probe.__name__ = name
        return probe

    def write(self, stem):
        Path(f"{stem}.json").write_text(json.dumps(self.calls), encoding="utf-8")
        np.savez(f"{stem}.npz", **self.arrays)


def make_plan(verify, references, seed):
    """Run ``verify(*probes, seed=seed, hidden=True)``; return the :class:`Plan` of its calls.

    A verdict prints nothing (the check functions print the line that says it passed): graders run in threads.
    """
    plan = Plan()
    verify(*[plan.probe(name, reference) for name, reference in references], seed=seed, hidden=True)
    return plan


# --- 3. the replay -----------------------------------------------------------------------------------------------


def load_plan(stem):
    calls = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
    with np.load(f"{stem}.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return calls, arrays


def load_records(stem):
    """The recorder's records and arrays, or None when the recorder did not finish."""
    try:
        records = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
        with np.load(f"{stem}.npz", allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError):
        return None
    return records, arrays


def _exception(name, message):
    kind = getattr(builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = type(name, (Exception,), {})
    return kind(message)


def _overwrite(target, value):
    """Write ``value`` into ``target`` in place, as the learner's function did; False when that cannot be done."""
    if isinstance(target, np.ndarray) and isinstance(value, np.ndarray):
        if target.shape == value.shape and target.dtype == value.dtype:
            target[...] = value
            return True
        return False
    if isinstance(target, dict) and isinstance(value, dict):
        for key in list(target):
            if key not in value:
                del target[key]
        for key, item in value.items():
            if key not in target or not _overwrite(target[key], item):
                target[key] = item
        return True
    if isinstance(target, list) and isinstance(value, list):
        target[:] = value
        return True
    if isinstance(target, tuple) and isinstance(value, tuple) and len(target) == len(value):
        return all(_overwrite(a, b) or same(a, b) for a, b in zip(target, value, strict=True))
    return same(target, value)


class Replay:
    """Stands in for one learner function: answers the verdict's calls from the records."""

    def __init__(self, name, session, source=None):
        self.name, self.session, self.answer_source = name, session, source
        self.__name__ = name

    def __call__(self, *args):
        return self.session.next_call(self.name, args)


class ReplaySession:
    """The shared cursor of the replays of one verdict (calls to several functions interleave)."""

    def __init__(self, calls, plan_arrays, records, arrays):
        self.calls, self.plan_arrays, self.records, self.arrays = calls, plan_arrays, records, arrays
        self.position, self.results, self.known = 0, [], {}

    def next_call(self, name, args):
        if self.position >= len(self.calls) or self.position >= len(self.records):
            raise ReplayError(f"{name} was called more often than planned")
        planned, record = self.calls[self.position], self.records[self.position]
        if planned["function"] != name:
            raise ReplayError(f"call {self.position}: expected {planned['function']}, got {name}")
        if not same(decode(planned["args"], self.plan_arrays, self.results), args):
            raise ReplayError(f"call {self.position} of {name}: not the planned arguments")
        self.position += 1
        if "after" in record and not _overwrite(args, decode(record["after"], self.arrays)):
            raise CheckFailed(f"{name}: it replaced or reshaped its input arrays; compute new arrays instead of "
                              f"writing into the arguments")
        if "after_unrecordable" in record:
            raise CheckFailed(f"{name}: it put {record['after_unrecordable']} into its inputs; an answer leaves its "
                              f"inputs as they were")
        if "missing" in record:
            remember(self.known, self.results, None)
            raise CheckFailed(f"{name}: the notebook does not define {record['missing']} (was its cell run, and does "
                              f"it keep the name?)")
        if "raised" in record:
            remember(self.known, self.results, None)
            raise _exception(*record["raised"])
        if "unrecordable" in record:
            remember(self.known, self.results, None)
            raise CheckFailed(f"{name}: it returned {record['unrecordable']}; an answer returns numpy arrays and "
                              f"numbers (in the tuple or dict the exercise asks for)")
        result = decode(record["returned"], self.arrays, self.results)
        remember(self.known, self.results, result)
        return result
