"""The vanilla recurrent network: one cell, a sequence, and backpropagation through time.

The LSTM chapters compare against this network: its gradient must pass through tanh' and Waa at every step,
which is why it fades (or explodes) over long distances.
"""

import numpy as np

from .activations import softmax
from .parameters import (
    as_array,
    check_cache,
    check_rnn_parameters,
    check_sequence_caches,
    check_sequence_inputs,
    check_shape,
    check_step_inputs,
)

RNN_CELL_CACHE_ITEMS = "a_next, a_prev, xt, parameters"


def rnn_cell_forward(xt, a_prev, parameters):
    """One step of the vanilla RNN.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
        Input at step t.
    a_prev : ndarray, shape (n_a, m)
        Hidden state a⟨t-1⟩.
    parameters : dict
        ``Waa`` (n_a, n_a), ``Wax`` (n_a, n_x), ``ba`` (n_a, 1), ``Wya`` (n_y, n_a),
        ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
        a⟨t⟩ = tanh(Waa a⟨t-1⟩ + Wax x⟨t⟩ + ba).
    yt_pred : ndarray, shape (n_y, m)
        ŷ⟨t⟩ = softmax(Wya a⟨t⟩ + by).
    cache : tuple of 4 items
        ``(a_next, a_prev, xt, parameters)``, for :func:`rnn_cell_backward`.
    """
    xt, a_prev, n_x, n_a, m = check_step_inputs(xt, a_prev)
    p, _ = check_rnn_parameters(parameters, n_a, n_x)

    a_next = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    yt_pred = softmax(p["Wya"] @ a_next + p["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_cell_backward(da_next, cache):
    """Gradients of one vanilla RNN step.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        Gradient of the loss with respect to a⟨t⟩.
    cache : tuple
        ``(a_next, a_prev, xt, parameters)`` from :func:`rnn_cell_forward`.

    Returns
    -------
    dict of ndarray
        ``dxt`` (n_x, m), ``da_prev`` (n_a, m), ``dWax`` (n_a, n_x),
        ``dWaa`` (n_a, n_a), ``dba`` (n_a, 1).
    """
    check_cache("cache", cache, 4, "rnn_cell_forward", RNN_CELL_CACHE_ITEMS)
    a_next, a_prev, xt, parameters = cache
    n_a, m = a_next.shape
    da_next = as_array("da_next", da_next)
    check_shape("da_next", da_next, ("n_a", "m"), (n_a, m),
                "the shape of a_next in the cache")
    p, _ = check_rnn_parameters(parameters, n_a, xt.shape[0])

    dz = da_next * (1 - a_next**2)  # at the pre-activation: tanh'(z) = 1 - tanh(z)^2
    dxt = p["Wax"].T @ dz
    dWax = dz @ xt.T
    da_prev = p["Waa"].T @ dz
    dWaa = dz @ a_prev.T
    dba = np.sum(dz, axis=1, keepdims=True)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def rnn_forward(x, a0, parameters):
    """Run the vanilla RNN over a sequence.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`rnn_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        Hidden states.
    y : ndarray, shape (n_y, m, T_x)
        Predictions.
    caches : tuple
        ``(list_of_step_caches, x)``.
    """
    x, a0 = check_sequence_inputs(x, a0)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    _, n_y = check_rnn_parameters(parameters, n_a, n_x)

    a = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    step_caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t], y[:, :, t] = a_next, yt_pred
        step_caches.append(cache)
    return a, y, (step_caches, x)


def rnn_backward(da, caches):
    """Backpropagation through time for the vanilla RNN.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient on every hidden state a⟨t⟩.
    caches : tuple
        ``(list_of_step_caches, x)`` from :func:`rnn_forward`.

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWax`` (n_a, n_x),
        ``dWaa`` (n_a, n_a), ``dba`` (n_a, 1).
    """
    step_caches, x = check_sequence_caches(caches, "rnn_forward", "rnn_cell_forward", 4)
    n_x, m, T_x = x.shape
    n_a = step_caches[0][0].shape[0]
    da = as_array("da", da)
    check_shape("da", da, ("n_a", "m", "T_x"), (n_a, m, T_x),
                "its time axis must match the forward pass")

    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prevt, step_caches[t])
        dx[:, :, t] = step["dxt"]
        dWax += step["dWax"]
        dWaa += step["dWaa"]
        dba += step["dba"]
        da_prevt = step["da_prev"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}
