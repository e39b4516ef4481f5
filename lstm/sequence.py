"""The LSTM over a whole sequence: the forward pass, and backpropagation through time."""

import numpy as np

from .cell import lstm_cell_backward, lstm_cell_forward
from .parameters import (
    as_array,
    check_lstm_parameters,
    check_sequence_caches,
    check_sequence_inputs,
    check_shape,
)

GATE_GRADIENT_KEYS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")


def lstm_forward(x, a0, parameters):
    """Run the LSTM cell over every step of a sequence, from ``a0`` and a zero cell.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        Inputs: features, then the batch, then time.
    a0 : ndarray, shape (n_a, m)
        Initial hidden state a⟨0⟩.
    parameters : dict
        As for :func:`lstm_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        Hidden states a⟨1⟩ ... a⟨T_x⟩.
    y : ndarray, shape (n_y, m, T_x)
        Predictions ŷ⟨1⟩ ... ŷ⟨T_x⟩.
    c : ndarray, shape (n_a, m, T_x)
        Cell states c⟨1⟩ ... c⟨T_x⟩.
    caches : tuple
        ``(list_of_step_caches, x)``: the T_x caches of :func:`lstm_cell_forward`, in
        time order, and the input.
    """
    x, a0 = check_sequence_inputs(x, a0)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    _, n_y = check_lstm_parameters(parameters, n_a, n_x)

    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    step_caches = []
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt_pred, cache = lstm_cell_forward(x[:, :, t], a_next, c_next,
                                                           parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt_pred
        step_caches.append(cache)
    return a, y, c, (step_caches, x)


def lstm_backward(da, caches):
    """Backpropagation through time over a whole sequence: (7)-(17) at every step.

    Going backwards from the last step, the gradient on a⟨t⟩ is the upstream
    ``da[:, :, t]`` plus the ``da_prev`` coming back from step t+1, and the cell-state
    gradient ``dc_prev`` of step t+1 becomes ``dc_next`` of step t. Weight gradients add
    up over the steps, because every step uses the same weights.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient of the loss with respect to every hidden state a⟨t⟩ (for
        example from the predictions).
    caches : tuple
        ``(list_of_step_caches, x)`` as returned by :func:`lstm_forward`.

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x); ``da0`` (n_a, m); ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x);
        ``dbf, dbi, dbc, dbo`` (n_a, 1).
    """
    step_caches, x = check_sequence_caches(caches, "lstm_forward", "lstm_cell_forward",
                                           10)
    n_x, m, T_x = x.shape
    n_a = step_caches[0][0].shape[0]
    da = as_array("da", da)
    check_shape("da", da, ("n_a", "m", "T_x"), (n_a, m, T_x),
                "its time axis must match the forward pass")
    check_lstm_parameters(step_caches[0][9], n_a, n_x)

    parameters = step_caches[0][9]
    gradients = {key: np.zeros_like(parameters[key.removeprefix("d")], dtype=float)
                 for key in GATE_GRADIENT_KEYS}
    dx = np.zeros((n_x, m, T_x))
    da_prevt = np.zeros((n_a, m))  # gradient on a<t> arriving from step t+1 (none yet)
    dc_prevt = np.zeros((n_a, m))  # gradient on c<t> arriving from step t+1
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, step_caches[t])
        dx[:, :, t] = step["dxt"]
        for key in GATE_GRADIENT_KEYS:
            gradients[key] += step[key]
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
    return {"dx": dx, "da0": da_prevt, **gradients}



def cache_nbytes(caches):
    """Bytes held by the caches of :func:`lstm_forward`, each buffer counted once.

    Counting ``nbytes`` item by item would count some memory twice: a⟨t⟩ is both
    ``a_next`` of step t and ``a_prev`` of step t+1 (the same array), and each step's
    ``xt`` is a view of ``x``. A view's memory belongs to the array at the end of its
    chain of ``.base``, so that is what is counted. The parameters dict, shared by every
    step, is not counted.

    Parameters
    ----------
    caches : tuple
        ``(list_of_step_caches, x)`` as returned by :func:`lstm_forward`.

    Returns
    -------
    int
        Bytes of the distinct arrays the caches refer to.
    """
    step_caches, x = check_sequence_caches(caches, "lstm_forward", "lstm_cell_forward",
                                           10)

    def owner(array):
        while isinstance(array.base, np.ndarray):
            array = array.base
        return array

    # Items 0-8 of each cache are arrays; item 9 is the parameters dict.
    owners = {id(owner(item)): owner(item)
              for cache in step_caches for item in cache[:9]}
    owners[id(owner(x))] = owner(x)
    return sum(array.nbytes for array in owners.values())
