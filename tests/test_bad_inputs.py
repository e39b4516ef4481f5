"""A learner's wrong call gets a ValueError that names the argument, the expected shape and the shape it got."""

import numpy as np
import pytest

import lstm
from tests.helpers import random_lstm_problem, random_rnn_problem

N_X, N_A, N_Y, M, T_X = 3, 5, 2, 4, 6


@pytest.fixture
def lstm_problem(rng):
    return random_lstm_problem(rng, N_X, N_A, N_Y, M, T_X)


@pytest.fixture
def rnn_problem(rng):
    return random_rnn_problem(rng, N_X, N_A, N_Y, M, T_X)


def test_one_dimensional_xt(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match=r"xt must have shape \(n_x, m\).*got a 1-D array of shape \(3,\)"):
        lstm.lstm_cell_forward(x[:, 0, 0], a0, a0, parameters)


def test_batch_sizes_that_differ(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match=r"a_prev must have shape \(n_a, m\) = \(\?, 4\), got shape \(5, 3\)"):
        lstm.lstm_cell_forward(x[:, :, 0], a0[:, :3], a0, parameters)
    with pytest.raises(ValueError, match=r"c_prev must have shape \(n_a, m\) = \(5, 4\), got shape \(4, 4\)"):
        lstm.lstm_cell_forward(x[:, :, 0], a0, a0[:4], parameters)


def test_gate_weights_that_do_not_match_n_a_plus_n_x(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    bad = {**parameters, "Wf": parameters["Wf"][:, :-1]}
    message = r"parameters\['Wf'\] must have shape \(n_a, n_a \+ n_x\) = \(5, 8\), got shape \(5, 7\)"
    with pytest.raises(ValueError, match=message):
        lstm.lstm_cell_forward(x[:, :, 0], a0, a0, bad)
    with pytest.raises(ValueError, match=message):
        lstm.lstm_forward(x, a0, bad)


def test_a_bias_without_its_column_axis(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    bad = {**parameters, "bo": parameters["bo"][:, 0]}
    with pytest.raises(ValueError, match=r"parameters\['bo'\] must have shape \(n_a, 1\) = \(5, 1\)"):
        lstm.lstm_forward(x, a0, bad)


def test_prediction_layer_shapes(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match=r"parameters\['Wy'\] must have shape \(n_y, n_a\)"):
        lstm.lstm_forward(x, a0, {**parameters, "Wy": parameters["Wy"].T})
    with pytest.raises(ValueError, match=r"parameters\['by'\] must have shape \(n_y, 1\) = \(2, 1\)"):
        lstm.lstm_forward(x, a0, {**parameters, "by": np.zeros((3, 1))})


def test_missing_keys_are_listed(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    partial = {k: v for k, v in parameters.items() if k not in ("Wc", "by")}
    with pytest.raises(KeyError, match="missing 2 keys: Wc, by") as error:
        lstm.lstm_forward(x, a0, partial)
    assert isinstance(error.value, ValueError)  # callers may catch either


def test_parameters_that_are_not_a_dict(lstm_problem):
    _, x, a0, _ = lstm_problem
    with pytest.raises(TypeError, match="parameters must be a dict"):
        lstm.lstm_forward(x, a0, [1, 2, 3])


def test_a_two_dimensional_sequence(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match=r"x must have shape \(n_x, m, T_x\).*got a 2-D array"):
        lstm.lstm_forward(x[:, :, 0], a0, parameters)


def test_an_empty_sequence(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match="at least one time step"):
        lstm.lstm_forward(x[:, :, :0], a0, parameters)


def test_da_whose_time_axis_differs_from_the_forward_pass(lstm_problem):
    parameters, x, a0, da = lstm_problem
    caches = lstm.lstm_forward(x, a0, parameters)[-1]
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\) = \(5, 4, 6\), got shape "
                                         r"\(5, 4, 5\).*time axis must match the forward pass"):
        lstm.lstm_backward(da[:, :, :-1], caches)


def test_cell_backward_gradient_shapes(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    *_, cache = lstm.lstm_cell_forward(x[:, :, 0], a0, a0, parameters)
    with pytest.raises(ValueError, match=r"dc_next must have shape \(n_a, m\) = \(5, 4\), got a 3-D array"):
        lstm.lstm_cell_backward(a0, a0[:, :, None], cache)
    with pytest.raises(ValueError, match=r"da_next must have shape \(n_a, m\) = \(5, 4\)"):
        lstm.lstm_cell_backward(a0.T, a0, cache)


def test_a_cache_from_the_wrong_function(lstm_problem, rnn_problem):
    parameters, x, a0, da = lstm_problem
    rnn_caches = lstm.rnn_forward(x, a0, rnn_problem[0])[-1]
    with pytest.raises(ValueError, match="10-tuple that lstm_cell_forward returns"):
        lstm.lstm_backward(da, rnn_caches)
    with pytest.raises(ValueError, match="caches must be the 2-tuple that lstm_forward returns"):
        lstm.lstm_backward(da, rnn_caches[0])
    with pytest.raises(ValueError, match="cache must be the 10-tuple"):
        lstm.lstm_cell_backward(a0, a0, (1, 2, 3))


def test_rnn_wrong_shapes(rnn_problem):
    parameters, x, a0, da = rnn_problem
    with pytest.raises(ValueError, match=r"parameters\['Wax'\] must have shape \(n_a, n_x\) = \(5, 3\)"):
        lstm.rnn_forward(x, a0, {**parameters, "Wax": parameters["Wax"].T})
    with pytest.raises(ValueError, match=r"parameters\['Waa'\] must have shape \(n_a, n_a\) = \(5, 5\)"):
        lstm.rnn_cell_forward(x[:, :, 0], a0, {**parameters, "Waa": parameters["Waa"][:, :4]})
    with pytest.raises(KeyError, match="missing 1 key: ba"):
        lstm.rnn_forward(x, a0, {k: v for k, v in parameters.items() if k != "ba"})
    caches = lstm.rnn_forward(x, a0, parameters)[-1]
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\) = \(5, 4, 6\)"):
        lstm.rnn_backward(da[:, :, 1:], caches)
    with pytest.raises(ValueError, match=r"xt must have shape \(n_x, m\)"):
        lstm.rnn_cell_forward(x[:, 0, 0], a0, parameters)


def test_non_numeric_input(lstm_problem):
    parameters, x, a0, _ = lstm_problem
    with pytest.raises(ValueError, match="xt must be a numeric array"):
        lstm.lstm_cell_forward(np.array([["a"]]), a0, a0, parameters)


def test_initialiser_sizes():
    with pytest.raises(ValueError, match="n_a must be a positive integer, got 0"):
        lstm.initialize_lstm_parameters(0, 3, 2)
    with pytest.raises(ValueError, match="n_x must be a positive integer, got 2.5"):
        lstm.initialize_rnn_parameters(4, 2.5, 2)
