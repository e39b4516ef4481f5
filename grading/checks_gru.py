"""The feedback functions of exercise set 6: a GRU cell, forward and backward.

The forward pass is compared with the reference GRU of :mod:`grading.gru`. The backward pass is not compared
with any stored answer: it is checked against the slope that the learner's *own* forward pass measures, by centred
finite differences, so what is graded is the learner's derivation.
"""

import numpy as np

import lstm

from .cases import gru_cases
from .checks import _expect_dict, _expect_tuple
from .feedback import call, check_not_modified, diagnose, difference, fail, passed, snapshot
from .gru import GRU_FORWARD_MISTAKES, GRU_GRADIENT_KEYS, GRU_PARAMETER_KEYS, gru_cell_forward, gru_forward_with
from .guard import own_function

#: Finite differences of the learner's forward pass (step ε = 1e-6) must agree entry by entry to
#: |analytic - numerical| <= GRU_FD_ATOL + GRU_FD_RTOL |numerical|.
GRU_FD_ATOL = 1e-7
GRU_FD_RTOL = 1e-6


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

        def loss(values, v=v, label=case.label):
            parameters = {key: values[key] for key in GRU_PARAMETER_KEYS}
            a_next, _ = call("gru_cell_forward", gru_cell_forward_learner, values["xt"], values["a_prev"],
                             parameters, case=label)
            return np.sum(v["da_next"] * a_next)

        wrong, right, first = [], [], None
        for key, value in inputs.items():
            numerical = lstm.numerical_gradient(lambda x, key=key, inputs=inputs: loss({**inputs, key: x}), value)
            gradient = got["d" + key]
            if not isinstance(gradient, np.ndarray) or gradient.shape != value.shape:
                shape = gradient.shape if isinstance(gradient, np.ndarray) else type(gradient).__name__
                fail(name, f"d{key} must be an array of shape {value.shape} like {key}, got {shape}", case.label)
            error = lstm.relative_error(gradient, numerical)
            # Entry by entry: a centred difference is good to ~1e-9 here, a wrong term is off by far more.
            excess = np.abs(gradient - numerical) - (GRU_FD_ATOL + GRU_FD_RTOL * np.abs(numerical))
            if np.all(excess <= 0):
                right.append("d" + key)
                continue
            wrong.append("d" + key)
            if first is None:
                index = np.unravel_index(int(np.argmax(np.abs(gradient - numerical))), value.shape)
                first = (f"d{key} disagrees with the numerical gradient of your forward pass (relative error "
                         f"{error:.1e}; at [{', '.join(map(str, index))}] you give {float(gradient[index]):.6g}, "
                         f"finite differences give {float(numerical[index]):.6g})")
        if wrong:
            fail(name, f"{first}; wrong: {', '.join(wrong)}" + (f"; right: {', '.join(right)}" if right else ""),
                 case.label)
    return len(cases)


__all__ = ["check_gru_cell_backward", "check_gru_cell_forward"]
