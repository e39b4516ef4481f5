"""The feedback functions the exercise notebooks call after each answer (sets 1 to 4: the LSTM itself).

Each ``check_<name>(function)`` runs the learner's ``function`` on every case of :mod:`grading.cases`, compares
everything it returns (values, shapes, dtypes, the cache item by item) with the :mod:`lstm` package, checks it did not
modify its inputs, checks the backward passes against finite differences too, and prints one fixed line when all
agree. On the first disagreement it raises ``AssertionError`` with a hint (see :mod:`grading.feedback`).
"""

import numpy as np

import lstm
from lstm.cell import CELL_CACHE_ITEMS

from . import mistakes
from .cases import Case, cell_cases, random_lstm_parameters, sequence_cases, softmax_cases
from .feedback import (
    call,
    check_not_modified,
    diagnose,
    difference,
    explain_by,
    fail,
    matches,
    passed,
    same_value,
    snapshot,
    source_hint,
    swapped_hint,
    which_outputs_differ,
)

CACHE_NAMES = tuple(CELL_CACHE_ITEMS.split(", "))
GATE_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")
CELL_GRADIENT_KEYS = ("dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
SEQUENCE_GRADIENT_KEYS = ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
#: Where to look when a gradient is wrong: the equation that produces it.
GRADIENT_EQUATIONS = {"dxt": "(17)", "da_prev": "(15)", "dc_prev": "(16)", "dWf": "(10)-(11)", "dbf": "(10)-(11)",
                      "dWi": "(9), (12)", "dbi": "(9), (12)", "dWc": "(8), (13)", "dbc": "(8), (13)",
                      "dWo": "(7), (14)", "dbo": "(7), (14)"}
#: Relative error (lstm.relative_error) below which a gradient agrees with finite differences.
FD_TOLERANCE = 1e-6


def _arrays(outputs):
    """The outputs that are arrays or numbers (as arrays), the ones a mistaken reference can reproduce."""
    return {name: np.asarray(value) for name, value in outputs.items()
            if isinstance(value, (np.ndarray, np.generic, float, int))}


def _expect_tuple(name, result, names, case):
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"a tuple of {len(result)} values" if isinstance(result, tuple) else type(result).__name__
        fail(name, f"it must return the tuple ({', '.join(names)}), got {got}", case)
    return dict(zip(names, result, strict=False))


def _expect_dict(name, result, keys, case):
    if not isinstance(result, dict):
        fail(name, f"it must return a dict with keys {', '.join(keys)}; got {type(result).__name__}", case)
    missing = [key for key in keys if key not in result]
    extra = [key for key in result if key not in keys]
    if missing or extra:
        parts = ([f"missing {', '.join(map(str, missing))}"] if missing else []) + (
            [f"unexpected {', '.join(map(str, extra))}"] if extra else [])
        fail(name, f"the returned dict has the wrong keys ({'; '.join(parts)}); it needs exactly "
                   f"{', '.join(keys)}", case)
    return {key: result[key] for key in keys}


def _compare_cache(name, label, cache, expected, parameters, case):
    """Compare a 10-item cell cache with the reference's, item by item, naming an item out of order."""
    if not isinstance(cache, tuple) or len(cache) != len(CACHE_NAMES):
        got = f"a tuple of {len(cache)} items" if isinstance(cache, tuple) else type(cache).__name__
        fail(name, f"{label} must be the tuple of 10 items ({CELL_CACHE_ITEMS}), got {got}", case)
    for index, (item, got, want) in enumerate(zip(CACHE_NAMES, cache, expected, strict=False)):
        if item == "parameters":
            if not same_value(got, parameters):
                fail(name, f"{label}[9] must be the parameters dict that was passed in", case)
            continue
        sentence = difference(f"{label}[{index}] ({item})", got, want)
        if sentence is None:
            continue
        for other_index, (other, other_want) in enumerate(zip(CACHE_NAMES[:9], expected[:9], strict=False)):
            if other_index != index and matches(got, other_want):
                fail(name, f"{label}[{index}] holds {other}, expected {item}: the cache's order is "
                           f"({CELL_CACHE_ITEMS})", case)
        fail(name, sentence + f"; the cache's order is ({CELL_CACHE_ITEMS})", case)


# --- set 1: softmax and the cell's forward pass ------------------------------------------------------------------


def check_softmax(softmax):
    """Check a learner's ``softmax(z)``: one distribution per column of z (n_y, m), stable for large scores."""
    name = "softmax"
    cases = softmax_cases(101)
    for case in cases:
        z = case.values["z"].copy()
        result = call(name, softmax, z, case=case.label)
        check_not_modified(name, ["z"], [case.values["z"]], [z], case.label)
        expected = lstm.softmax(case.values["z"])
        sentence = difference("the result", result, expected)
        if sentence is not None:
            hint = diagnose({"y": result} if isinstance(result, np.ndarray) else {}, {"y": expected},
                            mistakes.SOFTMAX_MISTAKES,
                            lambda key, z=case.values["z"]: {"y": mistakes.softmax_with(z, key)})
            if hint is None and isinstance(result, np.ndarray) and result.shape == expected.shape \
                    and not np.all(np.isfinite(result)):
                hint = mistakes.UNSTABLE
            fail(name, hint or sentence, case.label)
    passed(name, len(cases))


def check_lstm_cell_forward(lstm_cell_forward):
    """Check a learner's ``lstm_cell_forward(xt, a_prev, c_prev, parameters)``, equations (1)-(6)."""
    name = "lstm_cell_forward"
    outputs = ("a_next", "c_next", "yt_pred")
    cases = cell_cases(102)
    for case in cases:
        v = case.values
        args = snapshot((v["xt"], v["a_prev"], v["c_prev"], v["parameters"]))
        result = call(name, lstm_cell_forward, *args, case=case.label, explain=explain_by(
            mistakes.CELL_FORWARD_MISTAKES, lambda key, v=v: mistakes.cell_forward_with(
                v["xt"], v["a_prev"], v["c_prev"], v["parameters"], key)))
        check_not_modified(name, ("xt", "a_prev", "c_prev", "parameters"),
                           (v["xt"], v["a_prev"], v["c_prev"], v["parameters"]), args, case.label)
        got = _expect_tuple(name, result, outputs + ("cache",), case.label)
        reference = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])
        expected = dict(zip(outputs, reference[:3], strict=False))
        wrong, first = which_outputs_differ(got, expected)
        if wrong:
            hint = diagnose(_arrays({k: got[k] for k in outputs}), expected, mistakes.CELL_FORWARD_MISTAKES,
                            lambda key, v=v: dict(zip(outputs, mistakes.cell_forward_with(
                                v["xt"], v["a_prev"], v["c_prev"], v["parameters"], key), strict=False)))
            hint = hint or swapped_hint("values", {k: got[k] for k in outputs}, expected)
            hint = hint or source_hint(lstm_cell_forward)
            if hint is None:
                if wrong == ["yt_pred"]:
                    where = "a_next and c_next are right, so look at the prediction ŷ = softmax(Wy a⟨t⟩ + by)"
                elif "c_next" not in wrong:
                    where = "c_next is right, so look at the output gate (5) and a⟨t⟩ (6)"
                else:
                    where = "c_next is wrong, so look at the gates and the cell state, equations (1)-(4)"
                hint = f"{first}; {where}"
            fail(name, hint, case.label)
        _compare_cache(name, "cache", got["cache"], reference[3], v["parameters"], case.label)
    passed(name, len(cases))


# --- set 2: the forward pass over a sequence --------------------------------------------------------------------


def check_lstm_forward(lstm_forward):
    """Check a learner's ``lstm_forward(x, a0, parameters)``: a, y, c over time and the caches."""
    name = "lstm_forward"
    outputs = ("a", "y", "c")
    cases = sequence_cases(201)
    for case in cases:
        v = case.values
        args = snapshot((v["x"], v["a0"], v["parameters"]))
        result = call(name, lstm_forward, *args, case=case.label, explain=explain_by(
            mistakes.SEQUENCE_FORWARD_MISTAKES,
            lambda key, v=v: mistakes.sequence_forward_with(v["x"], v["a0"], v["parameters"], key)))
        check_not_modified(name, ("x", "a0", "parameters"), (v["x"], v["a0"], v["parameters"]), args, case.label)
        got = _expect_tuple(name, result, outputs + ("caches",), case.label)
        a, y, c, caches = lstm.lstm_forward(v["x"], v["a0"], v["parameters"])
        expected = {"a": a, "y": y, "c": c}
        wrong, first = which_outputs_differ(got, expected)
        if wrong:
            hint = diagnose(_arrays({k: got[k] for k in outputs}), expected, mistakes.SEQUENCE_FORWARD_MISTAKES,
                            lambda key, v=v: mistakes.sequence_forward_with(v["x"], v["a0"], v["parameters"], key))
            hint = hint or swapped_hint("values", {k: got[k] for k in outputs}, expected)
            if hint is None:
                hint = first
                value = got[wrong[0]]
                if isinstance(value, np.ndarray) and value.shape == expected[wrong[0]].shape:
                    steps = [t for t in range(value.shape[2])
                             if difference("x", value[:, :, t], expected[wrong[0]][:, :, t]) is not None]
                    hint = (f"{wrong[0]}[:, :, t] is right for t < {steps[0]} and wrong at t = {steps[0]}: "
                            f"{first}" if steps and steps[0] > 0 else f"{first}, already at the first step")
            fail(name, hint, case.label)
        got_caches = got["caches"]
        if not isinstance(got_caches, tuple) or len(got_caches) != 2:
            fail(name, "caches must be the pair (list_of_step_caches, x)", case.label)
        step_caches, x_seen = got_caches
        T_x = v["x"].shape[2]
        if not isinstance(step_caches, list) or len(step_caches) != T_x:
            length = len(step_caches) if isinstance(step_caches, (list, tuple)) else type(step_caches).__name__
            fail(name, f"caches[0] must be a list of T_x = {T_x} step caches (one per step, in time order), "
                       f"got {length}", case.label)
        sentence = difference("caches[1] (x)", x_seen, v["x"])
        if sentence is not None:
            fail(name, sentence + "; caches is (list_of_step_caches, x)", case.label)
        for t in range(T_x):
            _compare_cache(name, f"caches[0][{t}]", step_caches[t], caches[0][t], v["parameters"], case.label)
    passed(name, len(cases))


# --- set 3: the cell's backward pass ---------------------------------------------------------------------------


def _cell_loss_gradients(case):
    """Finite-difference gradients of  sum(da ⊙ a_next) + sum(dc ⊙ c_next)  at one case, via lstm.gradcheck."""
    v = case.values
    inputs = {"xt": v["xt"], "a_prev": v["a_prev"], "c_prev": v["c_prev"],
              **{key: v["parameters"][key] for key in GATE_KEYS}}

    def loss(values):
        parameters = {**v["parameters"], **{key: values[key] for key in GATE_KEYS}}
        a_next, c_next, _, _ = lstm.lstm_cell_forward(values["xt"], values["a_prev"], values["c_prev"], parameters)
        return np.sum(v["da_next"] * a_next) + np.sum(v["dc_next"] * c_next)

    return {"d" + key: lstm.numerical_gradient(lambda value, key=key: loss({**inputs, key: value}), inputs[key])
            for key in inputs}


def _gradient_hint(got, expected, wrong, first, equations):
    """Say which gradients are wrong and where to look, when no known mistake reproduces them."""
    right = [key for key in expected if key not in wrong]
    if right:
        where = ", ".join(sorted({equations[key] for key in wrong if key in equations}))
        return (f"{first}; wrong: {', '.join(wrong)}; right: {', '.join(right)}"
                + (f"; look at equations {where}" if where else ""))
    return f"{first}; every gradient is wrong, so look at what they share: dc_total and [a_prev; xt]"


def check_lstm_cell_backward(lstm_cell_backward):
    """Check a learner's ``lstm_cell_backward(da_next, dc_next, cache)``, equations (7)-(17)."""
    passed("lstm_cell_backward", run_cell_backward_checks(lstm_cell_backward))


def run_cell_backward_checks(lstm_cell_backward):
    """The checks of :func:`check_lstm_cell_backward`, without the final line; return how many passed."""
    name = "lstm_cell_backward"
    cases = cell_cases(301)
    for case in cases:
        v = case.values
        cache = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])[3]
        args = snapshot((v["da_next"], v["dc_next"], cache))
        result = call(name, lstm_cell_backward, *args, case=case.label, explain=explain_by(
            mistakes.CELL_BACKWARD_MISTAKES, lambda key, v=v, cache=cache: mistakes.cell_backward_with(
                v["da_next"], v["dc_next"], cache, key)))
        check_not_modified(name, ("da_next", "dc_next", "cache"), (v["da_next"], v["dc_next"], cache), args,
                           case.label)
        got = _expect_dict(name, result, CELL_GRADIENT_KEYS, case.label)
        expected = lstm.lstm_cell_backward(v["da_next"], v["dc_next"], cache)
        wrong, first = which_outputs_differ(got, expected)
        if wrong:
            hint = diagnose(_arrays(got), expected, mistakes.CELL_BACKWARD_MISTAKES,
                            lambda key, v=v, cache=cache: mistakes.cell_backward_with(
                                v["da_next"], v["dc_next"], cache, key))
            hint = hint or swapped_hint("gradients", got, expected) or source_hint(lstm_cell_backward)
            fail(name, hint or _gradient_hint(got, expected, wrong, first, GRADIENT_EQUATIONS), case.label)
    # The reference agrees with the slope the forward pass measures; so must the learner's answer.
    fd_case = cases[0]
    v = fd_case.values
    cache = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])[3]
    got = call(name, lstm_cell_backward, v["da_next"], v["dc_next"], cache, case=fd_case.label)
    for key, numerical in _cell_loss_gradients(fd_case).items():
        error = lstm.relative_error(got[key], numerical)
        if not error < FD_TOLERANCE:
            fail(name, f"{key} disagrees with finite differences (relative error {error:.1e})", fd_case.label)
    return len(cases) + 1


# --- set 4: backpropagation through time ----------------------------------------------------------------------


def check_lstm_backward(lstm_backward):
    """Check a learner's ``lstm_backward(da, caches)``: backpropagation through time."""
    name = "lstm_backward"
    cases = sequence_cases(401)
    for case in cases:
        v = case.values
        caches = lstm.lstm_forward(v["x"], v["a0"], v["parameters"])[3]
        args = snapshot((v["da"], caches))
        result = call(name, lstm_backward, *args, case=case.label, explain=explain_by(
            mistakes.SEQUENCE_BACKWARD_MISTAKES,
            lambda key, v=v, caches=caches: mistakes.sequence_backward_with(v["da"], caches, key)))
        check_not_modified(name, ("da", "caches"), (v["da"], caches), args, case.label)
        got = _expect_dict(name, result, SEQUENCE_GRADIENT_KEYS, case.label)
        expected = lstm.lstm_backward(v["da"], caches)
        wrong, first = which_outputs_differ(got, expected)
        if wrong:
            hint = diagnose(_arrays(got), expected, mistakes.SEQUENCE_BACKWARD_MISTAKES,
                            lambda key, v=v, caches=caches: mistakes.sequence_backward_with(v["da"], caches, key))
            hint = hint or swapped_hint("gradients", got, expected)
            if hint is None:
                T_x = v["x"].shape[2]
                dx = got["dx"]
                if "dx" in wrong and isinstance(dx, np.ndarray) and dx.shape == expected["dx"].shape:
                    steps = [t for t in range(T_x)
                             if difference("dx", dx[:, :, t], expected["dx"][:, :, t]) is not None]
                    hint = (f"dx[:, :, t] is right for t > {steps[-1]} and wrong at t = {steps[-1]}, the first "
                            f"step going backwards that differs: what reaches step {steps[-1]} from step "
                            f"{steps[-1] + 1}? {first}")
                else:
                    hint = f"{first}; wrong: {', '.join(wrong)}"
            fail(name, hint, case.label)
    # Finite differences of  sum(da ⊙ a)  on the smallest sequence case, through the reference forward pass.
    fd_case = min(cases, key=lambda case: case.values["x"].size * case.values["a0"].shape[0])
    v = fd_case.values
    caches = lstm.lstm_forward(v["x"], v["a0"], v["parameters"])[3]
    got = call(name, lstm_backward, v["da"], caches, case=fd_case.label)
    inputs = {"x": v["x"], "a0": v["a0"], **{key: v["parameters"][key] for key in GATE_KEYS}}

    def loss(values):
        parameters = {**v["parameters"], **{key: values[key] for key in GATE_KEYS}}
        return np.sum(v["da"] * lstm.lstm_forward(values["x"], values["a0"], parameters)[0])

    for key, error in lstm.gradient_check(loss, inputs, {key: got["d" + key] for key in inputs}).items():
        if not error < FD_TOLERANCE:
            fail(name, f"d{key} disagrees with finite differences (relative error {error:.1e})", fd_case.label)
    passed(name, len(cases) + 1)


# --- small fixed examples, for the "expected output" cells ----------------------------------------------------


def example_cell_inputs():
    """A small fixed step (n_a = 3, n_x = 2, m = 2, n_y = 2): ``xt, a_prev, c_prev, parameters``."""
    rng = np.random.default_rng(7)
    return {"xt": rng.normal(size=(2, 2)), "a_prev": rng.uniform(-0.9, 0.9, size=(3, 2)),
            "c_prev": rng.normal(size=(3, 2)), "parameters": random_lstm_parameters(3, 2, 2, rng)}


def example_sequence_inputs():
    """A small fixed sequence (n_a = 3, n_x = 2, m = 2, n_y = 2, T_x = 4): ``x, a0, parameters``."""
    rng = np.random.default_rng(8)
    return {"x": rng.normal(size=(2, 2, 4)), "a0": rng.uniform(-0.9, 0.9, size=(3, 2)),
            "parameters": random_lstm_parameters(3, 2, 2, rng)}


def example_upstream_gradient(shape, seed=9):
    """A fixed upstream gradient of the given shape."""
    return np.random.default_rng(seed).normal(size=shape)


def show(label, array, digits=5):
    """Print an array's values rounded to ``digits`` decimals, one row per line (stable across machines)."""
    array = np.asarray(array, dtype=np.float64)
    rows = array.reshape(array.shape[0], -1) if array.ndim > 1 else array.reshape(1, -1)
    print(f"{label}  shape {array.shape}")
    for row in rows:
        # Adding 0.0 turns -0.0 into 0.0, so a tiny negative rounding never prints as "-0.00000".
        print("   " + " ".join(f"{round(float(value), digits) + 0.0:+.{digits}f}" for value in row))


__all__ = ["Case", "check_lstm_backward", "check_lstm_cell_backward", "check_lstm_cell_forward",
           "check_lstm_forward", "check_softmax", "example_cell_inputs", "example_sequence_inputs",
           "example_upstream_gradient", "random_lstm_parameters", "run_cell_backward_checks", "show"]
