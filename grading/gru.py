"""The reference GRU cell of exercise set 6, forward and backward, and the mistakes its check recognises.

Chapter 10 derives the GRU and :mod:`lstm.gru` computes it; this copy of its reset-before cell keeps the cache the
exercise asks the learner for, and ``tests/test_gru.py`` proves it computes exactly what :mod:`lstm.gru` does.
Conventions follow the course's LSTM: weights act on the stacked ``[a_prev; xt]`` (hidden state on top), and

    z  = σ(Wz [a⟨t−1⟩; x⟨t⟩] + bz)                 update gate
    r  = σ(Wr [a⟨t−1⟩; x⟨t⟩] + br)                 reset gate
    h̃  = tanh(Wh [r ⊙ a⟨t−1⟩; x⟨t⟩] + bh)          candidate
    a⟨t⟩ = (1 − z) ⊙ a⟨t−1⟩ + z ⊙ h̃                 the new hidden state

so that z plays the part of the LSTM's update gate (PyTorch's z is our 1 − z, and it resets after the product).
"""

import numpy as np

from lstm.activations import sigmoid

GRU_PARAMETER_KEYS = ("Wz", "bz", "Wr", "br", "Wh", "bh")
GRU_GRADIENT_KEYS = ("dxt", "da_prev", "dWz", "dbz", "dWr", "dbr", "dWh", "dbh")


def initialize_gru_parameters(n_a, n_x, rng):
    """Random GRU parameters: ``Wz, Wr, Wh`` (n_a, n_a + n_x) and ``bz, br, bh`` (n_a, 1), all non-zero."""
    parameters = {}
    for gate in "zrh":
        parameters["W" + gate] = rng.normal(0.0, 1.5 / np.sqrt(n_a + n_x), size=(n_a, n_a + n_x))
        parameters["b" + gate] = rng.normal(0.0, 0.5, size=(n_a, 1))
    return parameters


def gru_cell_forward(xt, a_prev, parameters):
    """One GRU step.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev : ndarray, shape (n_a, m)
    parameters : dict
        ``Wz, Wr, Wh`` (n_a, n_a + n_x), ``bz, br, bh`` (n_a, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
    cache : tuple
        ``(a_next, a_prev, xt, zt, rt, hct, parameters)``.
    """
    concat = np.concatenate([a_prev, xt], axis=0)
    zt = sigmoid(parameters["Wz"] @ concat + parameters["bz"])  # update gate
    rt = sigmoid(parameters["Wr"] @ concat + parameters["br"])  # reset gate
    concat_reset = np.concatenate([rt * a_prev, xt], axis=0)
    hct = np.tanh(parameters["Wh"] @ concat_reset + parameters["bh"])  # candidate
    a_next = (1 - zt) * a_prev + zt * hct
    return a_next, (a_next, a_prev, xt, zt, rt, hct, parameters)


def gru_cell_backward(da_next, cache):
    """Gradients of one GRU step: ``dxt, da_prev`` and ``dWz, dbz, dWr, dbr, dWh, dbh``."""
    a_next, a_prev, xt, zt, rt, hct, p = cache
    n_a = a_prev.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    concat_reset = np.concatenate([rt * a_prev, xt], axis=0)

    dz_cand = da_next * zt * (1 - hct**2)  # at the candidate's pre-activation
    dz_update = da_next * (hct - a_prev) * zt * (1 - zt)  # at the update gate's pre-activation
    d_reset_input = p["Wh"][:, :n_a].T @ dz_cand  # gradient on r ⊙ a_prev
    dz_reset = d_reset_input * a_prev * rt * (1 - rt)  # at the reset gate's pre-activation

    da_prev = (da_next * (1 - zt) + d_reset_input * rt
               + p["Wz"][:, :n_a].T @ dz_update + p["Wr"][:, :n_a].T @ dz_reset)
    dxt = p["Wh"][:, n_a:].T @ dz_cand + p["Wz"][:, n_a:].T @ dz_update + p["Wr"][:, n_a:].T @ dz_reset
    return {"dxt": dxt, "da_prev": da_prev,
            "dWz": dz_update @ concat.T, "dbz": np.sum(dz_update, axis=1, keepdims=True),
            "dWr": dz_reset @ concat.T, "dbr": np.sum(dz_reset, axis=1, keepdims=True),
            "dWh": dz_cand @ concat_reset.T, "dbh": np.sum(dz_cand, axis=1, keepdims=True)}


GRU_FORWARD_MISTAKES = {
    "pytorch-convention": "a⟨t⟩ mixes the states the other way round; this course writes "
                          "a⟨t⟩ = (1 − z) ⊙ a⟨t−1⟩ + z ⊙ h̃ (PyTorch's convention is the mirror image)",
    "no-reset": "the candidate ignores the reset gate: h̃ = tanh(Wh [r ⊙ a⟨t−1⟩; x⟨t⟩] + bh)",
    "reset-after-product": "the reset gate multiplies Wh's product instead of a⟨t−1⟩ itself: "
                           "h̃ = tanh(Wh [r ⊙ a⟨t−1⟩; x⟨t⟩] + bh)",
    "stack-order": "it stacks [xt; a_prev]; the gates act on [a_prev; xt], the hidden state on top",
    "gates-swapped": "the update and reset gates are swapped: z uses Wz, bz and mixes the states; r resets a⟨t−1⟩ "
                     "inside the candidate",
    "candidate-sigmoid": "the candidate uses σ; it is a tanh",
    "gate-tanh": "a gate uses tanh; the gates z and r are sigmoids σ",
    "no-interpolation": "a⟨t⟩ must mix the old state and the candidate: a⟨t⟩ = (1 − z) ⊙ a⟨t−1⟩ + z ⊙ h̃",
    "reset-on-new-state": "the reset gate scales the hidden state inside the candidate, not the output",
}


def gru_forward_with(xt, a_prev, p, mistake=None):
    """``a_next`` of the reference GRU, with one of :data:`GRU_FORWARD_MISTAKES`."""
    n_a = a_prev.shape[0]
    concat = np.concatenate([xt, a_prev] if mistake == "stack-order" else [a_prev, xt], axis=0)
    gate = np.tanh if mistake == "gate-tanh" else sigmoid
    zt = gate(p["Wz"] @ concat + p["bz"])
    rt = gate(p["Wr"] @ concat + p["br"])
    if mistake == "gates-swapped":
        zt, rt = rt, zt
    if mistake == "reset-after-product":
        pre = rt * (p["Wh"][:, :n_a] @ a_prev) + p["Wh"][:, n_a:] @ xt + p["bh"]
    else:
        reset = a_prev if mistake in ("no-reset", "reset-on-new-state") else rt * a_prev
        pre = p["Wh"] @ np.concatenate([reset, xt], axis=0) + p["bh"]
    hct = sigmoid(pre) if mistake == "candidate-sigmoid" else np.tanh(pre)
    if mistake == "pytorch-convention":
        return zt * a_prev + (1 - zt) * hct
    if mistake == "no-interpolation":
        return zt * hct
    if mistake == "reset-on-new-state":
        return rt * ((1 - zt) * a_prev + zt * hct)
    return (1 - zt) * a_prev + zt * hct
