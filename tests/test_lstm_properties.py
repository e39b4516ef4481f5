"""Properties any correct implementation has, independent of the numbers."""

import copy

import numpy as np
import pytest

import lstm
from tests.helpers import SHAPES, random_lstm_problem, random_rnn_problem


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_shapes_of_every_output(rng, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    a, y, c, caches = lstm.lstm_forward(x, a0, parameters)
    assert (a.shape, y.shape, c.shape) == ((n_a, m, T_x), (n_y, m, T_x), (n_a, m, T_x))
    assert isinstance(caches, tuple) and len(caches) == 2 and len(caches[0]) == T_x and caches[1] is x
    grads = lstm.lstm_backward(da, caches)
    expected = {"dx": (n_x, m, T_x), "da0": (n_a, m)}
    for gate in "fico":
        expected["dW" + gate] = (n_a, n_a + n_x)
        expected["db" + gate] = (n_a, 1)
    assert {key: value.shape for key, value in grads.items()} == expected

    a_next, c_next, yt, cache = lstm.lstm_cell_forward(x[:, :, 0], a0, a0 * 0.5, parameters)
    assert (a_next.shape, c_next.shape, yt.shape) == ((n_a, m), (n_a, m), (n_y, m))
    cell = lstm.lstm_cell_backward(da[:, :, 0], da[:, :, 0], cache)
    assert cell["dxt"].shape == (n_x, m) and cell["da_prev"].shape == cell["dc_prev"].shape == (n_a, m)


def test_cell_cache_holds_the_ten_documented_items_in_order(rng):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 1)
    xt, c_prev = x[:, :, 0], rng.normal(size=(5, 4))
    a_next, c_next, _, cache = lstm.lstm_cell_forward(xt, a0, c_prev, parameters)
    assert len(cache) == 10
    a_c, c_c, a_prev_c, c_prev_c, ft, it, cct, ot, xt_c, params_c = cache
    np.testing.assert_array_equal(a_c, a_next)
    np.testing.assert_array_equal(c_c, c_next)
    np.testing.assert_array_equal(a_prev_c, a0)
    np.testing.assert_array_equal(c_prev_c, c_prev)
    np.testing.assert_array_equal(xt_c, xt)
    assert params_c is parameters
    concat = np.vstack([a0, xt])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(ft, sig(parameters["Wf"] @ concat + parameters["bf"]), rtol=1e-13)
    np.testing.assert_allclose(it, sig(parameters["Wi"] @ concat + parameters["bi"]), rtol=1e-13)
    np.testing.assert_allclose(cct, np.tanh(parameters["Wc"] @ concat + parameters["bc"]), rtol=1e-13)
    np.testing.assert_allclose(ot, sig(parameters["Wo"] @ concat + parameters["bo"]), rtol=1e-13)
    np.testing.assert_allclose(c_next, ft * c_prev + it * cct, rtol=1e-13)
    np.testing.assert_allclose(a_next, ot * np.tanh(c_next), rtol=1e-13)


def test_hidden_state_is_stacked_on_top_of_the_input(rng):
    """Only the first n_a columns of Wf may see a_prev: zero them and a_prev no longer matters."""
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 1)
    for gate in "fico":
        parameters["W" + gate][:, :5] = 0.0
    xt, c_prev = x[:, :, 0], rng.normal(size=(5, 4))
    first = lstm.lstm_cell_forward(xt, a0, c_prev, parameters)[0]
    second = lstm.lstm_cell_forward(xt, -3 * a0, c_prev, parameters)[0]
    np.testing.assert_array_equal(first, second)


def test_a_sequence_of_length_one_is_one_cell_step(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 1)
    a, y, c, caches = lstm.lstm_forward(x, a0, parameters)
    a_next, c_next, yt, cache = lstm.lstm_cell_forward(x[:, :, 0], a0, np.zeros((5, 4)), parameters)
    np.testing.assert_array_equal(a[:, :, 0], a_next)
    np.testing.assert_array_equal(c[:, :, 0], c_next)
    np.testing.assert_array_equal(y[:, :, 0], yt)
    seq = lstm.lstm_backward(da, caches)
    cell = lstm.lstm_cell_backward(da[:, :, 0], np.zeros((5, 4)), cache)
    np.testing.assert_array_equal(seq["dx"][:, :, 0], cell["dxt"])
    np.testing.assert_array_equal(seq["da0"], cell["da_prev"])
    for key in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
        np.testing.assert_array_equal(seq[key], cell[key])


def test_rnn_sequence_of_length_one_is_one_cell_step(rng):
    parameters, x, a0, da = random_rnn_problem(rng, 3, 5, 2, 4, 1)
    a, y, caches = lstm.rnn_forward(x, a0, parameters)
    a_next, yt, cache = lstm.rnn_cell_forward(x[:, :, 0], a0, parameters)
    np.testing.assert_array_equal(a[:, :, 0], a_next)
    np.testing.assert_array_equal(y[:, :, 0], yt)
    seq, cell = lstm.rnn_backward(da, caches), lstm.rnn_cell_backward(da[:, :, 0], cache)
    np.testing.assert_array_equal(seq["dx"][:, :, 0], cell["dxt"])
    for key in ("dWax", "dWaa", "dba"):
        np.testing.assert_array_equal(seq[key], cell[key])


def test_the_sequence_carries_state_from_step_to_step(rng):
    """Step t of lstm_forward starts from a<t-1> and c<t-1> of step t-1."""
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 4)
    a, _, c, _ = lstm.lstm_forward(x, a0, parameters)
    for t in range(1, 4):
        a_next, c_next, _, _ = lstm.lstm_cell_forward(x[:, :, t], a[:, :, t - 1], c[:, :, t - 1], parameters)
        np.testing.assert_allclose(a[:, :, t], a_next, rtol=1e-14)
        np.testing.assert_allclose(c[:, :, t], c_next, rtol=1e-14)


#: For each model: its random problem, its forward pass and its backward pass.
MODELS = {
    "lstm": (random_lstm_problem, lstm.lstm_forward, lstm.lstm_backward),
    "rnn": (random_rnn_problem, lstm.rnn_forward, lstm.rnn_backward),
}


@pytest.mark.parametrize("model", MODELS)
def test_each_batch_column_is_independent(rng, model):
    n_x, n_a, n_y, m, T_x = 3, 4, 2, 5, 4
    make, forward, backward = MODELS[model]
    parameters, x, a0, da = make(rng, n_x, n_a, n_y, m, T_x)
    full = forward(x, a0, parameters)
    full_grads = backward(da, full[-1])
    weight_sum = {key: 0 for key in full_grads if key not in ("dx", "da0")}
    for j in range(m):
        one = forward(x[:, j:j + 1], a0[:, j:j + 1], parameters)
        for whole, column in zip(full[:-1], one[:-1], strict=True):
            np.testing.assert_allclose(whole[:, j:j + 1], column, rtol=1e-12, atol=1e-14)
        grads = backward(da[:, j:j + 1], one[-1])
        np.testing.assert_allclose(full_grads["dx"][:, j:j + 1], grads["dx"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(full_grads["da0"][:, j:j + 1], grads["da0"], rtol=1e-12, atol=1e-14)
        for key in weight_sum:
            weight_sum[key] = weight_sum[key] + grads[key]
    for key, total in weight_sum.items():  # weight gradients add up over the batch
        np.testing.assert_allclose(full_grads[key], total, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("model", MODELS)
def test_zero_upstream_gradient_gives_zero_gradients(rng, model):
    make, forward, backward = MODELS[model]
    parameters, x, a0, da = make(rng, 3, 4, 2, 5, 4)
    grads = backward(np.zeros_like(da), forward(x, a0, parameters)[-1])
    for key, value in grads.items():
        assert np.all(value == 0), key


def test_cell_zero_upstream_gradient_gives_zero_gradients(rng):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 4, 2, 5, 1)
    *_, cache = lstm.lstm_cell_forward(x[:, :, 0], a0, a0, parameters)
    for key, value in lstm.lstm_cell_backward(np.zeros((4, 5)), np.zeros((4, 5)), cache).items():
        assert np.all(value == 0), key


@pytest.mark.parametrize("model", MODELS)
def test_no_function_mutates_its_inputs(rng, model):
    make, forward, backward = MODELS[model]
    parameters, x, a0, da = make(rng, 3, 4, 2, 5, 4)
    saved = copy.deepcopy((parameters, x, a0, da))
    outputs = forward(x, a0, parameters)
    backward(da, outputs[-1])
    backward(da, outputs[-1])  # twice: a backward pass must not consume its caches either
    for before, after in zip(saved[1:], (x, a0, da), strict=True):
        np.testing.assert_array_equal(before, after)
    assert parameters.keys() == saved[0].keys()
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], saved[0][key])


def test_initialisers_give_the_documented_shapes_and_are_seeded():
    p = lstm.initialize_lstm_parameters(5, 3, 2, seed=7)
    assert list(p) == list(lstm.LSTM_PARAMETER_KEYS)
    for gate in "fico":
        assert p["W" + gate].shape == (5, 8) and p["b" + gate].shape == (5, 1)
    assert p["Wy"].shape == (2, 5) and p["by"].shape == (2, 1)
    q = lstm.initialize_lstm_parameters(5, 3, 2, seed=7)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    r = lstm.initialize_lstm_parameters(5, 3, 2, seed=8)
    assert not np.array_equal(p["Wf"], r["Wf"])
    rnn = lstm.initialize_rnn_parameters(5, 3, 2, seed=1)
    assert {k: v.shape for k, v in rnn.items()} == {
        "Waa": (5, 5), "Wax": (5, 3), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1)}


def test_a_cell_step_computed_by_hand():
    """Values computed by hand, independent of the package, on a 1-unit, 1-input cell."""
    p = {k: np.array([[v]]) for k, v in
         {"bf": 0.0, "bi": 0.0, "bc": 0.0, "bo": 0.0, "by": 0.0}.items()}
    p.update({"Wf": np.array([[0.5, -1.0]]), "Wi": np.array([[1.0, 0.25]]), "Wc": np.array([[-0.5, 2.0]]),
              "Wo": np.array([[0.0, 1.0]]), "Wy": np.array([[1.0]])})
    a_prev, xt, c_prev = np.array([[0.2]]), np.array([[0.3]]), np.array([[-0.4]])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    f, i = sig(0.5 * 0.2 - 1.0 * 0.3), sig(1.0 * 0.2 + 0.25 * 0.3)
    cc, o = np.tanh(-0.5 * 0.2 + 2.0 * 0.3), sig(0.3)
    c = f * -0.4 + i * cc
    a_next, c_next, yt, _ = lstm.lstm_cell_forward(xt, a_prev, c_prev, p)
    assert a_next[0, 0] == pytest.approx(o * np.tanh(c), rel=1e-14)
    assert c_next[0, 0] == pytest.approx(c, rel=1e-14)
    assert yt[0, 0] == 1.0  # a softmax over one class


def test_cache_memory_counts_each_buffer_once(rng):
    """a<t> is shared by steps t and t+1 and xt is a view of x: the held memory is 8 m (6 n_a T_x + 2 n_a + n_x T_x)
    bytes (a_next, c_next and the four gates per step, a0 and c0 once, x once), counted here by hand."""
    from lstm.sequence import cache_nbytes

    n_x, n_a, n_y, m, T_x = 3, 5, 2, 4, 6
    parameters, x, a0, _ = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    caches = lstm.lstm_forward(x, a0, parameters)[-1]
    assert cache_nbytes(caches) == 8 * m * (6 * n_a * T_x + 2 * n_a + n_x * T_x)


def test_sizes_are_read_from_the_forget_gate_weights(rng):
    from lstm.parameters import lstm_sizes

    parameters = random_lstm_problem(rng, 3, 5, 2, 4, 6)[0]
    assert lstm_sizes(parameters) == (5, 3)
    with pytest.raises(ValueError, match=r"parameters\['Wf'\] must have shape \(n_a, n_a \+ n_x\) with n_a >= 1"):
        lstm_sizes({**parameters, "Wf": parameters["Wf"][:, :5]})
    with pytest.raises(KeyError, match="missing 1 key: Wf"):
        lstm_sizes({k: v for k, v in parameters.items() if k != "Wf"})
