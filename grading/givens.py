"""The course functions an exercise notebook gives the learner, as plain numpy code for the isolated notebook.

An exercise's setup cell imports some of the course's functions (``from lstm import sigmoid``, the reference
``lstm_cell_forward`` in set 2, ``lstm_cell_backward`` in set 4, ``lstm_backward`` in set 7). The notebook in which
the grader records an answer's outputs cannot import the course's package, so the grader pastes these definitions
there instead: only
those the exercise's setup cell imports (:func:`source_of`), never an exercise's own function. Tests check that each
agrees with :mod:`lstm`.
"""

import inspect

import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))[()]


def _given_softmax(z):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = _given_softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    tanh_c = np.tanh(c_next)
    dc_total = dc_next + da_next * ot * (1 - tanh_c**2)
    dz = {"o": da_next * tanh_c * ot * (1 - ot), "c": dc_total * it * (1 - cct**2),
          "i": dc_total * cct * it * (1 - it), "f": dc_total * c_prev * ft * (1 - ft)}
    gradients = {"dxt": 0, "da_prev": 0, "dc_prev": dc_total * ft}
    for g in "fico":
        gradients["da_prev"] = gradients["da_prev"] + p["W" + g][:, :n_a].T @ dz[g]
        gradients["dxt"] = gradients["dxt"] + p["W" + g][:, n_a:].T @ dz[g]
    for g in "fico":
        gradients["dW" + g] = dz[g] @ concat.T
        gradients["db" + g] = np.sum(dz[g], axis=1, keepdims=True)
    return gradients


def lstm_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_a, n_y = a0.shape[0], parameters["Wy"].shape[0]
    a, c, y = (np.zeros((n, m, T_x)) for n in (n_a, n_a, n_y))
    a_next, c_next, caches = a0, np.zeros((n_a, m)), []
    for t in range(T_x):
        a_next, c_next, yt_pred, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt_pred
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_backward(da, caches):
    step_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = step_caches[0][0].shape[0]
    p = step_caches[0][9]
    keys = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
    gradients = {key: np.zeros(np.shape(p[key[1:]])) for key in keys}
    dx, da_prevt, dc_prevt = np.zeros((n_x, m, T_x)), np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, step_caches[t])
        dx[:, :, t] = step["dxt"]
        for key in keys:
            gradients[key] += step[key]
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
    return {"dx": dx, "da0": da_prevt, **gradients}


#: What each given function needs besides itself.
NEEDS = {"sigmoid": [], "lstm_cell_forward": ["sigmoid", "_given_softmax"], "lstm_cell_backward": [],
         "lstm_forward": ["sigmoid", "_given_softmax", "lstm_cell_forward"], "lstm_backward": ["lstm_cell_backward"]}


def source_of(names):
    """The code that defines the given functions ``names`` (and what they need), in order; '' for none."""
    wanted = []
    for name in names:
        for needed in [*NEEDS[name], name]:
            if needed not in wanted:
                wanted.append(needed)
    return "\n\n".join(inspect.getsource(globals()[name]) for name in wanted)
