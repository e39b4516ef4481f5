"""One LSTM step: the forward pass, equations (1)-(6), and its backward pass, equations (7)-(17).

Notation of the chapters: Γf is the forget gate, Γu the update gate (called the *input* gate in most papers and in
PyTorch, hence the keys ``Wi, bi`` and the name ``it``), c̃ the candidate cell state, Γo the output gate.
"""

import numpy as np

from .activations import sigmoid, softmax
from .parameters import as_array, check_cache, check_lstm_parameters, check_shape, check_step_inputs

CELL_CACHE_ITEMS = "a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters"


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One LSTM step, equations (1)-(6), and the prediction ŷ⟨t⟩.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
        Input at step t, one column per example.
    a_prev : ndarray, shape (n_a, m)
        Hidden state a⟨t-1⟩.
    c_prev : ndarray, shape (n_a, m)
        Cell state c⟨t-1⟩.
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x) acting on ``[a_prev; xt]``;
        ``bf, bi, bc, bo`` (n_a, 1); ``Wy`` (n_y, n_a); ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
        Hidden state a⟨t⟩, equation (6).
    c_next : ndarray, shape (n_a, m)
        Cell state c⟨t⟩, equation (4).
    yt_pred : ndarray, shape (n_y, m)
        Prediction ŷ⟨t⟩ = softmax(Wy a⟨t⟩ + by).
    cache : tuple of 10 items
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``:
        everything :func:`lstm_cell_backward` needs. ``ft, it, cct, ot`` are the gate
        values (after σ or tanh), each (n_a, m).
    """
    xt, a_prev, n_x, n_a, m = check_step_inputs(xt, a_prev)
    c_prev = as_array("c_prev", c_prev)
    check_shape("c_prev", c_prev, ("n_a", "m"), (n_a, m), "it must match a_prev")
    p, _ = check_lstm_parameters(parameters, n_a, n_x)

    concat = np.concatenate([a_prev, xt], axis=0)  # [a<t-1>; x<t>], hidden state on top
    ft = sigmoid(p["Wf"] @ concat + p["bf"])  # (1) forget gate
    it = sigmoid(p["Wi"] @ concat + p["bi"])  # (2) update gate
    cct = np.tanh(p["Wc"] @ concat + p["bc"])  # (3) candidate cell state
    c_next = ft * c_prev + it * cct  # (4)
    ot = sigmoid(p["Wo"] @ concat + p["bo"])  # (5) output gate
    a_next = ot * np.tanh(c_next)  # (6)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])  # the prediction

    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_cell_backward(da_next, dc_next, cache):
    """Gradients of one LSTM step, equations (7)-(17).

    The gate gradients ``dzo, dzc, dzi, dzf`` of (7)-(10) are gradients at the gates'
    *pre-activations* (the argument of σ or tanh), not at the gate values: each already
    includes its σ' or tanh' factor.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        Gradient of the loss with respect to a⟨t⟩ (from the prediction and from
        step t+1).
    dc_next : ndarray, shape (n_a, m)
        Gradient of the loss with respect to c⟨t⟩ arriving from step t+1.
    cache : tuple of 10 items
        As returned by :func:`lstm_cell_forward`:
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.

    Returns
    -------
    dict of ndarray
        ``dxt`` (n_x, m), equation (17); ``da_prev`` (n_a, m), (15);
        ``dc_prev`` (n_a, m), (16); ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x), (11)-(14);
        ``dbf, dbi, dbc, dbo`` (n_a, 1), stated beside (11)-(14) as the sums over the
        batch of the gate gradients.
    """
    check_cache("cache", cache, 10, "lstm_cell_forward", CELL_CACHE_ITEMS)
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a, m = a_next.shape
    da_next = as_array("da_next", da_next)
    dc_next = as_array("dc_next", dc_next)
    check_shape("da_next", da_next, ("n_a", "m"), (n_a, m),
                "the shape of a_next in the cache")
    check_shape("dc_next", dc_next, ("n_a", "m"), (n_a, m),
                "the shape of c_next in the cache")
    p, _ = check_lstm_parameters(parameters, n_a, xt.shape[0])

    concat = np.concatenate([a_prev, xt], axis=0)  # [a<t-1>; x<t>]
    tanh_c = np.tanh(c_next)
    # The gradient reaching c<t> along both paths: from step t+1 directly, and
    # through a<t> = Γo ⊙ tanh(c<t>).
    dc_total = dc_next + da_next * ot * (1 - tanh_c**2)

    dzo = da_next * tanh_c * ot * (1 - ot)  # (7) output gate
    dzc = dc_total * it * (1 - cct**2)  # (8) candidate
    dzi = dc_total * cct * it * (1 - it)  # (9) update gate
    dzf = dc_total * c_prev * ft * (1 - ft)  # (10) forget gate

    dWf = dzf @ concat.T  # (11)
    dWi = dzi @ concat.T  # (12)
    dWc = dzc @ concat.T  # (13)
    dWo = dzo @ concat.T  # (14)
    dbf = np.sum(dzf, axis=1, keepdims=True)  # beside (11)
    dbi = np.sum(dzi, axis=1, keepdims=True)  # beside (12)
    dbc = np.sum(dzc, axis=1, keepdims=True)  # beside (13)
    dbo = np.sum(dzo, axis=1, keepdims=True)  # beside (14)

    # The first n_a columns of each W multiply a<t-1>, the remaining n_x columns x<t>.
    da_prev = (p["Wf"][:, :n_a].T @ dzf + p["Wi"][:, :n_a].T @ dzi
               + p["Wc"][:, :n_a].T @ dzc + p["Wo"][:, :n_a].T @ dzo)  # (15)
    dc_prev = dc_total * ft  # (16)
    dxt = (p["Wf"][:, n_a:].T @ dzf + p["Wi"][:, n_a:].T @ dzi
           + p["Wc"][:, n_a:].T @ dzc + p["Wo"][:, n_a:].T @ dzo)  # (17)

    return {"dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev,
            "dWf": dWf, "dbf": dbf, "dWi": dWi, "dbi": dbi,
            "dWc": dWc, "dbc": dbc, "dWo": dWo, "dbo": dbo}
