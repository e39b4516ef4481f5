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
    magnitude_hint,
    matches,
    passed,
    same_value,
    snapshot,
    source_hint,
    swapped_hint,
    which_outputs_differ,
)
from .guard import own_function

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


def _dims(values):
    """n_a, n_x, m (and T_x, n_y) of a case, for the shape hints."""
    p = values["parameters"]
    n_a = p["Wf"].shape[0] if "Wf" in p else p["Wz"].shape[0]
    x = values.get("xt", values.get("x"))
    dims = {"n_a": n_a, "n_x": x.shape[0], "m": x.shape[1]}
    if "Wy" in p:
        dims["n_y"] = p["Wy"].shape[0]
    if x.ndim == 3:
        dims["T_x"] = x.shape[2]
    return dims


def _named(shape, dims):
    """A shape in words: ("n_a + n_x", "m") rather than (5, 4) (the first name that fits each axis)."""
    names = {}
    for key in ("n_a", "n_x", "m", "T_x"):
        if key in dims:
            names.setdefault(dims[key], key)
    if "n_a" in dims and "n_x" in dims:
        names.setdefault(dims["n_a"] + dims["n_x"], "n_a + n_x")
    if "n_y" in dims:
        names.setdefault(dims["n_y"], "n_y")
    return tuple(names.get(d, str(d)) for d in shape)


#: What a wrong shape of one output says about the line that made it: (output names, got, expected, hint).
SHAPE_HINTS = [
    (("da_prev", "dxt"), ("n_a + n_x", "m"), None,
     "{key} has shape (n_a + n_x, m): it multiplies by the whole W; take the columns that act on {part}: "
     "W[:, {cols}].T @ dz"),
    (("da_prev",), ("n_x", "m"), ("n_a", "m"),
     "da_prev has the shape of dxt: the first n_a columns W[:, :n_a] multiply a_prev, the last n_x W[:, n_a:] xt"),
    (("dxt",), ("n_a", "m"), ("n_x", "m"),
     "dxt has the shape of da_prev: the last n_x columns W[:, n_a:] multiply xt, the first n_a W[:, :n_a] a_prev"),
    (("dbf", "dbi", "dbc", "dbo", "dbz", "dbr", "dbh"), ("n_a",), None,
     "{key} lost its second axis: np.sum(dz, axis=1, keepdims=True) has shape (n_a, 1)"),
    (("dbf", "dbi", "dbc", "dbo", "dbz", "dbr", "dbh"), ("1", "m"), None,
     "{key} is summed over axis 0 (the units); sum over the batch, axis=1, with keepdims=True"),
    (("dbf", "dbi", "dbc", "dbo", "dbz", "dbr", "dbh"), ("m",), None,
     "{key} is summed over axis 0 (the units); sum over the batch, axis=1, with keepdims=True"),
    (("dbf", "dbi", "dbc", "dbo", "dbz", "dbr", "dbh"), (), None,
     "{key} is summed over everything; sum over the batch only: np.sum(dz, axis=1, keepdims=True)"),
    (("dbf", "dbi", "dbc", "dbo", "dbz", "dbr", "dbh"), ("n_a", "m"), None,
     "{key} is not summed over the batch: np.sum(dz, axis=1, keepdims=True)"),
    (("dWf", "dWi", "dWc", "dWo"), ("n_a + n_x", "n_a"), None,
     "{key} is transposed: dz @ concat.T has shape (n_a, n_a + n_x), like the weights"),
    (("da_prev", "dxt", "dc_prev", "da0"), ("n_a", "1"), None,
     "{key} is summed over the batch; it keeps one column per example"),
    (("dx",), ("n_x", "m"), None, "dx must keep every step: dx[:, :, t] = the dxt of step t, shape (n_x, m, T_x)"),
    (("dx",), ("n_a + n_x", "m", "T_x"), None,
     "dx has n_a + n_x rows: the step's dxt multiplies by the columns W[:, n_a:] only"),
]


def shape_hint(key, got_shape, expected_shape, dims):
    """A hint that names the line behind a wrong shape, or None."""
    got_words, want_words = _named(tuple(got_shape), dims), _named(tuple(expected_shape), dims)
    for keys, pattern, expected_pattern, hint in SHAPE_HINTS:
        if key in keys and got_words == pattern and (expected_pattern is None or want_words == expected_pattern):
            part, cols = ("a_prev", ":n_a") if key == "da_prev" else ("xt", "n_a:")
            return hint.format(key=key, part=part, cols=cols)
    if len(got_shape) == 2 and tuple(got_shape) == tuple(expected_shape)[::-1]:
        return (f"{key} has shape {tuple(got_shape)}, the transpose of {tuple(expected_shape)}: check which side "
                f"of @ each factor goes, and the .T")
    return None


def _first_shape_hint(got, expected, dims):
    for key, want in expected.items():
        value = got.get(key)
        if isinstance(value, np.ndarray) and value.shape != np.shape(want):
            hint = shape_hint(key, value.shape, np.shape(want), dims)
            if hint:
                return hint
    return None


# --- set 1: softmax and the cell's forward pass ------------------------------------------------------------------


def check_softmax(softmax):
    """Check a learner's ``softmax(z)``: one distribution per column of z (n_y, m), stable for large scores."""
    own_function(softmax, "softmax")
    passed("softmax", verify_softmax(softmax))


def verify_softmax(softmax, seed=101, hidden=False):
    """The verdict of :func:`check_softmax` on the cases drawn from ``seed``: the number of checks, or CheckFailed."""
    name = "softmax"
    cases = softmax_cases(seed, hidden)
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
                    and result.dtype.kind == "f" and not np.all(np.isfinite(result)):
                hint = mistakes.UNSTABLE
            if hint is None and isinstance(result, np.ndarray) and result.shape != expected.shape:
                hint = shape_hint("the result", result.shape, expected.shape, {"n_y": expected.shape[0],
                                  "m": expected.shape[1] if expected.ndim > 1 else 1})
            fail(name, hint or sentence, case.label)
    return len(cases)


def check_lstm_cell_forward(lstm_cell_forward):
    """Check a learner's ``lstm_cell_forward(xt, a_prev, c_prev, parameters)``, equations (1)-(6)."""
    own_function(lstm_cell_forward, "lstm_cell_forward")
    passed("lstm_cell_forward", verify_lstm_cell_forward(lstm_cell_forward))


def verify_lstm_cell_forward(lstm_cell_forward, seed=102, hidden=False):
    """The verdict of :func:`check_lstm_cell_forward`: the number of checks, or CheckFailed."""
    name = "lstm_cell_forward"
    outputs = ("a_next", "c_next", "yt_pred")
    cases = cell_cases(seed, hidden)
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
            hint = hint or _first_shape_hint(got, expected, _dims(v)) or source_hint(lstm_cell_forward)
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
    return len(cases)


# --- set 2: the forward pass over a sequence --------------------------------------------------------------------


def check_lstm_forward(lstm_forward):
    """Check a learner's ``lstm_forward(x, a0, parameters)``: a, y, c over time and the caches."""
    own_function(lstm_forward, "lstm_forward")
    passed("lstm_forward", verify_lstm_forward(lstm_forward))


def verify_lstm_forward(lstm_forward, seed=201, hidden=False):
    """The verdict of :func:`check_lstm_forward`: the number of checks, or CheckFailed."""
    name = "lstm_forward"
    outputs = ("a", "y", "c")
    cases = sequence_cases(seed, hidden)
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
            hint = hint or _first_shape_hint(got, expected, _dims(v))
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
    return len(cases)


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
    own_function(lstm_cell_backward, "lstm_cell_backward")
    passed("lstm_cell_backward", verify_lstm_cell_backward(lstm_cell_backward))


def verify_lstm_cell_backward(lstm_cell_backward, seed=301, hidden=False):
    """The verdict of :func:`check_lstm_cell_backward`: the number of checks, or CheckFailed."""
    name = "lstm_cell_backward"
    cases = cell_cases(seed, hidden)
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
            hint = (hint or swapped_hint("gradients", got, expected) or magnitude_hint(got, expected)
                    or _first_shape_hint(got, expected, _dims(v)) or source_hint(lstm_cell_backward))
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


#: The old name of :func:`verify_lstm_cell_backward` (set 5 grades with it).
run_cell_backward_checks = verify_lstm_cell_backward


# --- set 4: backpropagation through time ----------------------------------------------------------------------


def check_lstm_backward(lstm_backward):
    """Check a learner's ``lstm_backward(da, caches)``: backpropagation through time."""
    own_function(lstm_backward, "lstm_backward")
    passed("lstm_backward", verify_lstm_backward(lstm_backward))


def verify_lstm_backward(lstm_backward, seed=401, hidden=False):
    """The verdict of :func:`check_lstm_backward`: the number of checks, or CheckFailed."""
    name = "lstm_backward"
    cases = sequence_cases(seed, hidden)
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
            hint = (hint or swapped_hint("gradients", got, expected) or magnitude_hint(got, expected)
                    or _first_shape_hint(got, expected, _dims(v)))
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
    return len(cases) + 1


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


__all__ = ["Case", "verify_softmax", "verify_lstm_cell_forward", "verify_lstm_forward", "verify_lstm_cell_backward",
           "verify_lstm_backward", "check_lstm_backward", "check_lstm_cell_backward", "check_lstm_cell_forward",
           "check_lstm_forward", "check_softmax", "example_cell_inputs", "example_sequence_inputs",
           "example_upstream_gradient", "random_lstm_parameters", "run_cell_backward_checks", "show"]
