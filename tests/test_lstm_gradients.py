"""Every output of every backward function, checked against centred finite differences of its forward pass."""

import numpy as np
import pytest

import lstm
from tests.helpers import SHAPES, random_lstm_problem, random_rnn_problem

TOLERANCE = 1e-7
GATE_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")


def assert_all_small(errors):
    bad = {name: error for name, error in errors.items() if not error < TOLERANCE}
    assert not bad, f"relative errors above {TOLERANCE}: {bad}"


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_lstm_cell_backward_matches_finite_differences(rng, n_x, n_a, n_y, m, T_x):
    parameters, _, _, _ = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    inputs = {"xt": rng.normal(size=(n_x, m)), "a_prev": rng.normal(size=(n_a, m)),
              "c_prev": rng.normal(size=(n_a, m)), **{key: parameters[key] for key in GATE_KEYS}}
    da_next, dc_next = rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m))

    def loss(v):
        a_next, c_next, _, _ = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], {**parameters, **v})
        return np.sum(da_next * a_next) + np.sum(dc_next * c_next)

    *_, cache = lstm.lstm_cell_forward(inputs["xt"], inputs["a_prev"], inputs["c_prev"], parameters)
    grads = lstm.lstm_cell_backward(da_next, dc_next, cache)
    analytic = {"xt": grads["dxt"], "a_prev": grads["da_prev"], "c_prev": grads["dc_prev"],
                **{key: grads["d" + key] for key in GATE_KEYS}}
    assert_all_small(lstm.gradient_check(loss, inputs, analytic))


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_lstm_backward_matches_finite_differences(rng, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    inputs = {"x": x, "a0": a0, **{key: parameters[key] for key in GATE_KEYS}}

    def loss(v):
        a, _, _, _ = lstm.lstm_forward(v["x"], v["a0"], {**parameters, **v})
        return np.sum(da * a)

    _, _, _, caches = lstm.lstm_forward(x, a0, parameters)
    grads = lstm.lstm_backward(da, caches)
    analytic = {"x": grads["dx"], "a0": grads["da0"], **{key: grads["d" + key] for key in GATE_KEYS}}
    assert_all_small(lstm.gradient_check(loss, inputs, analytic))


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_rnn_cell_backward_matches_finite_differences(rng, n_x, n_a, n_y, m, T_x):
    parameters, _, _, _ = random_rnn_problem(rng, n_x, n_a, n_y, m, T_x)
    inputs = {"xt": rng.normal(size=(n_x, m)), "a_prev": rng.normal(size=(n_a, m)),
              "Waa": parameters["Waa"], "Wax": parameters["Wax"], "ba": parameters["ba"]}
    da_next = rng.normal(size=(n_a, m))

    def loss(v):
        a_next, _, _ = lstm.rnn_cell_forward(v["xt"], v["a_prev"], {**parameters, **v})
        return np.sum(da_next * a_next)

    _, _, cache = lstm.rnn_cell_forward(inputs["xt"], inputs["a_prev"], parameters)
    grads = lstm.rnn_cell_backward(da_next, cache)
    analytic = {"xt": grads["dxt"], "a_prev": grads["da_prev"], "Waa": grads["dWaa"],
                "Wax": grads["dWax"], "ba": grads["dba"]}
    assert_all_small(lstm.gradient_check(loss, inputs, analytic))


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_rnn_backward_matches_finite_differences(rng, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_rnn_problem(rng, n_x, n_a, n_y, m, T_x)
    inputs = {"x": x, "a0": a0, "Waa": parameters["Waa"], "Wax": parameters["Wax"], "ba": parameters["ba"]}

    def loss(v):
        a, _, _ = lstm.rnn_forward(v["x"], v["a0"], {**parameters, **v})
        return np.sum(da * a)

    _, _, caches = lstm.rnn_forward(x, a0, parameters)
    grads = lstm.rnn_backward(da, caches)
    analytic = {"x": grads["dx"], "a0": grads["da0"], "Waa": grads["dWaa"], "Wax": grads["dWax"],
                "ba": grads["dba"]}
    assert_all_small(lstm.gradient_check(loss, inputs, analytic))


def test_the_gradient_check_catches_a_wrong_gradient(rng):
    """The check itself must be able to fail: a gradient missing the tanh' factor of (8) is caught."""
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 2, 3)
    _, _, _, caches = lstm.lstm_forward(x, a0, parameters)
    grads = lstm.lstm_backward(da, caches)

    def loss(v):
        return np.sum(da * lstm.lstm_forward(x, a0, {**parameters, **v})[0])

    wrong = {"Wc": grads["dWc"] * 1.01}
    assert lstm.gradient_check(loss, {"Wc": parameters["Wc"]}, wrong)["Wc"] > 1e-4


def test_gradient_check_reports_a_mismatched_name():
    with pytest.raises(ValueError, match="not among the inputs"):
        lstm.gradient_check(lambda v: 0.0, {"a": np.zeros(2)}, {"b": np.zeros(2)})


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = lstm.numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    assert x[0, 0] == 1.0  # not modified
    assert lstm.relative_error(np.zeros(3), np.zeros(3)) == 0.0
