"""The GRU of lstm.gru, both formulations: finite-difference checks of every gradient, and bad inputs."""

import numpy as np
import pytest

import lstm
from lstm.gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward, initialize_gru_parameters

#: (n_x, n_a, n_y, m, T_x): n_a > n_x, n_a < n_x, m = 1, T_x = 1, n_x = 1.
SHAPES = [(3, 5, 2, 4, 4), (4, 2, 3, 1, 3), (2, 3, 4, 3, 1), (1, 4, 2, 2, 3)]
BOUND = 1e-7


def random_gru_problem(rng, n_x, n_a, n_y, m, T_x, reset_after, scale=0.6):
    """Every parameter random and non-zero (biases too), an input, an initial state and an upstream da."""
    parameters = {key: rng.normal(0.0, scale, size=value.shape)
                  for key, value in initialize_gru_parameters(n_a, n_x, n_y, reset_after=reset_after).items()}
    return parameters, rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))


@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_gru_backward_passes_finite_differences(rng, reset_after, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_gru_problem(rng, n_x, n_a, n_y, m, T_x, reset_after)
    a, y, caches = gru_forward(x, a0, parameters)
    assert a.shape == (n_a, m, T_x) and y.shape == (n_y, m, T_x)
    gradients = gru_backward(da, caches)
    expected_keys = {"dx", "da0"} | {"d" + key for key in parameters}
    assert set(gradients) == expected_keys

    def loss(inputs):
        p = {key: inputs[key] for key in parameters}
        return np.sum(da * gru_forward(inputs["x"], inputs["a0"], p)[0])

    point = {**parameters, "x": x, "a0": a0}
    analytic = {key: gradients["d" + key] for key in point}
    errors = lstm.gradient_check(loss, point, analytic)
    assert max(errors.values()) < BOUND, errors
    # The prediction layer does not touch a: its gradient under L = Σ da ⊙ a is exactly zero.
    assert not np.any(gradients["dWy"]) and not np.any(gradients["dby"])


@pytest.mark.parametrize("reset_after", [False, True], ids=["reset-before", "reset-after"])
def test_gru_cell_backward_passes_finite_differences(rng, reset_after):
    parameters, x, a0, da = random_gru_problem(rng, 3, 4, 2, 3, 1, reset_after)
    a_next, _, cache = gru_cell_forward(x[:, :, 0], a0, parameters)
    gradients = gru_cell_backward(da[:, :, 0], cache)

    def loss(inputs):
        p = {key: inputs.get(key, value) for key, value in parameters.items()}
        return np.sum(da[:, :, 0] * gru_cell_forward(inputs["xt"], inputs["a_prev"], p)[0])

    point = {**{k: v for k, v in parameters.items() if k not in ("Wy", "by")}, "xt": x[:, :, 0], "a_prev": a0}
    errors = lstm.gradient_check(loss, point, {key: gradients["d" + key] for key in point})
    assert max(errors.values()) < BOUND, errors


def test_the_two_formulations_differ_and_each_check_bites(rng):
    """Same weights, the two candidates give different states; each backward fails the other's forward."""
    before, x, a0, da = random_gru_problem(rng, 3, 4, 2, 2, 3, reset_after=False)
    after = {**before, "bha": np.zeros((4, 1))}  # with bha = 0 the only difference is where r acts
    a_before = gru_forward(x, a0, before)[0]
    a_after = gru_forward(x, a0, after)[0]
    assert np.max(np.abs(a_before - a_after)) > 1e-3

    # The reset-before gradients, checked against the reset-after forward pass, must fail.
    wrong = gru_backward(da, gru_forward(x, a0, before)[2])

    def loss_after(inputs):
        return np.sum(da * gru_forward(x, a0, {**after, **inputs})[0])

    error = lstm.gradient_check(loss_after, {"Wh": after["Wh"], "Wr": after["Wr"]},
                                {"Wh": wrong["dWh"], "Wr": wrong["dWr"]})
    assert max(error.values()) > 1e-3


def test_update_gate_convention(rng):
    """z = 1 writes the candidate, z = 0 keeps the old state: a = (1 - z) a_prev + z h̃."""
    parameters, x, a0, _ = random_gru_problem(rng, 2, 3, 2, 2, 1, reset_after=False)
    keep = {**parameters, "Wz": np.zeros_like(parameters["Wz"]), "bz": np.full((3, 1), -50.0)}
    a_next, _, cache = gru_cell_forward(x[:, :, 0], a0, keep)
    np.testing.assert_allclose(a_next, a0, atol=1e-15)
    write = {**keep, "bz": np.full((3, 1), 50.0)}
    a_next, _, cache = gru_cell_forward(x[:, :, 0], a0, write)
    np.testing.assert_allclose(a_next, cache[5], atol=1e-15)


def test_without_a_prediction_layer(rng):
    parameters, x, a0, da = random_gru_problem(rng, 2, 3, 2, 2, 3, reset_after=True)
    gates = {k: v for k, v in parameters.items() if k not in ("Wy", "by")}
    a, y, caches = gru_forward(x, a0, gates)
    assert y is None
    np.testing.assert_array_equal(a, gru_forward(x, a0, parameters)[0])
    assert set(gru_backward(da, caches)) == {"dx", "da0", "dWz", "dbz", "dWr", "dbr", "dWh", "dbh", "dbha"}


def test_initialize_gru_parameters():
    p = initialize_gru_parameters(4, 3, 2, seed=1)
    assert {k: v.shape for k, v in p.items()} == {"Wz": (4, 7), "bz": (4, 1), "Wr": (4, 7), "br": (4, 1),
                                                   "Wh": (4, 7), "bh": (4, 1), "Wy": (2, 4), "by": (2, 1)}
    assert "bha" in initialize_gru_parameters(4, 3, 2, seed=1, reset_after=True)
    np.testing.assert_array_equal(p["Wz"], initialize_gru_parameters(4, 3, 2, seed=1)["Wz"])
    with pytest.raises(ValueError, match="n_a must be a positive integer"):
        initialize_gru_parameters(0, 3, 2)
    with pytest.raises(ValueError, match="reset_after"):
        initialize_gru_parameters(2, 3, 2, reset_after="yes")


def test_bad_inputs_say_what_to_fix(rng):
    parameters, x, a0, da = random_gru_problem(rng, 3, 4, 2, 2, 3, reset_after=False)
    with pytest.raises(KeyError, match="missing 1 key: Wr"):
        gru_forward(x, a0, {k: v for k, v in parameters.items() if k != "Wr"})
    with pytest.raises(ValueError, match=r"parameters\['Wh'\] must have shape \(n_a, n_a \+ n_x\) = \(4, 7\)"):
        gru_forward(x, a0, {**parameters, "Wh": parameters["Wh"][:, :6]})
    with pytest.raises(ValueError, match=r"parameters\['bha'\] must have shape"):
        gru_forward(x, a0, {**parameters, "bha": np.zeros((3, 1))})
    with pytest.raises(ValueError, match=r"a0 must have shape \(n_a, m\)"):
        gru_forward(x, a0[:, :1], parameters)
    with pytest.raises(ValueError, match=r"x must have shape \(n_x, m, T_x\)"):
        gru_forward(x[:, :, 0], a0, parameters)
    with pytest.raises(ValueError, match="at least one time step"):
        gru_forward(x[:, :, :0], a0, parameters)
    _, _, caches = gru_forward(x, a0, parameters)
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\) = \(4, 2, 3\)"):
        gru_backward(da[:, :, :2], caches)
    with pytest.raises(ValueError, match="8-tuple that gru_cell_forward returns"):
        gru_cell_backward(da[:, :, 0], caches[0][0][:7])
    with pytest.raises(ValueError, match="caches must be the 2-tuple that gru_forward returns"):
        gru_backward(da, caches[0])


def test_the_exercise_reference_is_the_packages_reset_before_gru():
    """Exercise set 6 keeps its own copy of the reset-before cell (its cache is the learner's); it must compute
    exactly what lstm.gru derives."""
    from grading import gru as exercise_gru

    rng = np.random.default_rng(6)
    for n_a, n_x, m in [(3, 2, 4), (1, 1, 1), (2, 5, 3)]:
        parameters = exercise_gru.initialize_gru_parameters(n_a, n_x, rng)
        xt, a_prev = rng.normal(size=(n_x, m)), rng.normal(size=(n_a, m))
        da_next = rng.normal(size=(n_a, m))
        a_exercise, cache_exercise = exercise_gru.gru_cell_forward(xt, a_prev, parameters)
        a_package, _, cache_package = lstm.gru.gru_cell_forward(xt, a_prev, parameters)
        np.testing.assert_allclose(a_exercise, a_package, rtol=1e-12, atol=1e-14)
        gradients_exercise = exercise_gru.gru_cell_backward(da_next, cache_exercise)
        gradients_package = lstm.gru.gru_cell_backward(da_next, cache_package)
        for key, value in gradients_exercise.items():
            np.testing.assert_allclose(value, gradients_package[key], rtol=1e-10, atol=1e-12, err_msg=key)
