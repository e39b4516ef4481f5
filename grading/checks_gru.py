"""The feedback functions of exercise set 6: a GRU cell, forward and backward.

The forward pass is compared with the reference GRU of :mod:`grading.gru`. The backward pass is not compared
with any stored answer: it is checked against the slope that the learner's *own* forward pass measures, by centred
finite differences, so what is graded is the learner's derivation.
"""

import numpy as np

import lstm

from .cases import gru_cases
from .checks import _expect_dict, _expect_tuple
from .feedback import (
    SINGLE_ATOL,
    SINGLE_RTOL,
    call,
    check_not_modified,
    diagnose,
    difference,
    fail,
    integer_dtype_problem,
    magnitude_hint,
    passed,
    snapshot,
)
from .gru import (
    GRU_FORWARD_MISTAKES,
    GRU_GRADIENT_KEYS,
    GRU_PARAMETER_KEYS,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward_with,
)
from .guard import own_function

#: Finite differences of the learner's forward pass (step ε = 1e-6) must agree entry by entry to
#: |analytic - numerical| <= GRU_FD_ATOL + GRU_FD_RTOL |numerical|.
GRU_FD_ATOL = 1e-7
GRU_FD_RTOL = 1e-6


def _gradient_type_problem(label, gradient, value):
    """What is wrong with a gradient's type, shape or dtype (it must be a float array shaped like ``value``; float64,
    or float32 or float64 for float32 inputs), or None."""
    if not isinstance(gradient, np.ndarray) or gradient.shape != value.shape:
        shape = gradient.shape if isinstance(gradient, np.ndarray) else type(gradient).__name__
        return f"{label} must be an array of shape {value.shape} like {label[1:]}, got {shape}"
    if gradient.dtype.kind in "iub":
        return integer_dtype_problem(label, gradient.dtype, "float64")
    allowed = (np.float32, np.float64) if value.dtype == np.float32 else (np.float64,)
    if gradient.dtype not in allowed:
        return f"{label} has dtype {gradient.dtype}, expected {' or '.join(np.dtype(d).name for d in allowed)}"
    return None


def check_gru_cell_forward(gru_cell_forward_learner):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_gru_cell_forward` judges it."""
    own_function(gru_cell_forward_learner, "gru_cell_forward")
    passed("gru_cell_forward", verify_gru_cell_forward(gru_cell_forward_learner))


def verify_gru_cell_forward(gru_cell_forward_learner, seed=601, hidden=False):
    """Check a learner's ``gru_cell_forward(xt, a_prev, parameters)`` -> ``(a_next, cache)``."""
    name = "gru_cell_forward"
    cases = gru_cases(seed, hidden)
    for case in cases:
        v = case.values
        args = snapshot((v["xt"], v["a_prev"], v["parameters"]))
        result = call(name, gru_cell_forward_learner, *args, case=case.label)
        check_not_modified(name, ("xt", "a_prev", "parameters"), (v["xt"], v["a_prev"], v["parameters"]), args,
                           case.label)
        got = _expect_tuple(name, result, ("a_next", "cache"), case.label)
        expected = gru_cell_forward(v["xt"], v["a_prev"], v["parameters"])[0]
        sentence = difference("a_next", got["a_next"], expected)
        if sentence is not None:
            hint = diagnose({"a_next": got["a_next"]} if isinstance(got["a_next"], np.ndarray) else {},
                            {"a_next": expected}, GRU_FORWARD_MISTAKES,
                            lambda key, v=v: {"a_next": gru_forward_with(v["xt"], v["a_prev"], v["parameters"], key)})
            fail(name, hint or sentence, case.label)
    return len(cases)


def check_gru_cell_backward(gru_cell_backward_learner, gru_cell_forward_learner):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_gru_cell_backward` judges it."""
    own_function(gru_cell_backward_learner, "gru_cell_backward")
    own_function(gru_cell_forward_learner, "gru_cell_forward")
    passed("gru_cell_backward", verify_gru_cell_backward(gru_cell_backward_learner, gru_cell_forward_learner))


def verify_gru_cell_backward(gru_cell_backward_learner, gru_cell_forward_learner, seed=602, hidden=False):
    """Check a learner's ``gru_cell_backward(da_next, cache)`` against finite differences of their own forward."""
    name = "gru_cell_backward"
    cases = gru_cases(seed, hidden)
    for case in cases:
        v = case.values
        a_next, cache = call("gru_cell_forward", gru_cell_forward_learner, v["xt"], v["a_prev"], v["parameters"],
                             case=case.label)
        if difference("a_next", a_next, gru_cell_forward(v["xt"], v["a_prev"], v["parameters"])[0]) is not None:
            fail(name, "gru_cell_forward must pass its own check first: the backward pass is checked against "
                       "the slope of your forward pass", case.label)
        da_next = v["da_next"].copy()
        result = call(name, gru_cell_backward_learner, da_next, cache, case=case.label)
        check_not_modified(name, ["da_next"], [v["da_next"]], [da_next], case.label)
        got = _expect_dict(name, result, GRU_GRADIENT_KEYS, case.label)

        inputs = {"xt": v["xt"], "a_prev": v["a_prev"], **{key: v["parameters"][key] for key in GRU_PARAMETER_KEYS}}
        for key, value in inputs.items():
            problem = _gradient_type_problem("d" + key, got["d" + key], value)
            if problem:
                fail(name, problem, case.label)
        single = v["a_prev"].dtype == np.float32
        # The slope is measured in float64 (float32 inputs are widened), so that it is exact to ~1e-9 at any dtype.
        wide = {key: value.astype(np.float64) if value.dtype == np.float32 else value for key, value in inputs.items()}
        upstream = np.asarray(v["da_next"], dtype=np.float64)

        def loss(values, upstream=upstream, label=case.label):
            parameters = {key: values[key] for key in GRU_PARAMETER_KEYS}
            a_next, _ = call("gru_cell_forward", gru_cell_forward_learner, values["xt"], values["a_prev"],
                             parameters, case=label)
            return np.sum(upstream * a_next)

        # Rounding in the loss grows with the upstream gradient: the absolute tolerance grows with it.
        atol = GRU_FD_ATOL * max(1.0, float(np.max(np.abs(upstream))))
        wrong, right, first = [], [], None
        for key, value in wide.items():
            numerical = lstm.numerical_gradient(lambda x, key=key, inputs=wide: loss({**inputs, key: x}), value)
            gradient = np.asarray(got["d" + key], dtype=np.float64)
            error = lstm.relative_error(gradient, numerical)
            if single:  # float32 arithmetic: float32 precision, relative to the gradient's largest entry
                allowed = SINGLE_ATOL * max(1.0, float(np.max(np.abs(numerical)))) + SINGLE_RTOL * np.abs(numerical)
            else:  # entry by entry: a centred difference is good to ~1e-9 here, a wrong term is off by far more
                allowed = atol + GRU_FD_RTOL * np.abs(numerical)
            if np.all(np.abs(gradient - numerical) <= allowed):
                right.append("d" + key)
                continue
            wrong.append("d" + key)
            if first is None:
                index = np.unravel_index(int(np.argmax(np.abs(gradient - numerical) - allowed)), value.shape)
                first = (f"d{key} disagrees with the numerical gradient of your forward pass (relative error "
                         f"{error:.1e}; at [{', '.join(map(str, index))}] you give {float(gradient[index]):.6g}, "
                         f"finite differences give {float(numerical[index]):.6g})")
        if wrong:
            reference = gru_cell_backward(v["da_next"], gru_cell_forward(v["xt"], v["a_prev"], v["parameters"])[1])
            hint = magnitude_hint(got, reference)
            fail(name, hint or (f"{first}; wrong: {', '.join(wrong)}" + (f"; right: {', '.join(right)}" if right
                                                                          else "")), case.label)
    return len(cases)


__all__ = ["check_gru_cell_backward", "check_gru_cell_forward"]
