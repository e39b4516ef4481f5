"""Two variants of the LSTM cell: peepholes and the coupled input-forget gate.

Both change a few of equations (1)-(17) and keep the rest; each function's docstring
says which. Gate gradients ``dz*`` are taken at the pre-activations, as in
:func:`lstm.lstm_cell_backward`.

**Peepholes** (Gers & Schmidhuber, 2000). The gates also look at the cell state, through
a diagonal weight, one number per unit: ``pf, pi, po`` of shape (n_a, 1). The forget and
update gates see c⟨t-1⟩, the output gate sees the new c⟨t⟩. Parameters: the LSTM's ten
plus ``pf, pi, po``.

**Coupled input-forget gate** (one of the variants compared by Greff et al., 2017). The
update gate is tied to the forget gate, Γu = 1 - Γf: the cell writes exactly as much as
it forgets. There is no ``Wi, bi``; parameters: ``Wf, bf, Wc, bc, Wo, bo, Wy, by``.

The sequence functions run any of these cells with the loop of :mod:`lstm.sequence`
(zero initial cell state, the gradient on a⟨t⟩ and c⟨t⟩ carried back from step t+1).
"""

import numpy as np

from .activations import sigmoid, softmax
from .parameters import (
    as_array,
    check_cache,
    check_parameters,
    check_sequence_caches,
    check_sequence_inputs,
    check_shape,
    check_step_inputs,
)

PEEPHOLE_PARAMETER_KEYS = (
    "Wf",
    "bf",
    "Wi",
    "bi",
    "Wc",
    "bc",
    "Wo",
    "bo",
    "pf",
    "pi",
    "po",
    "Wy",
    "by",
)
COUPLED_PARAMETER_KEYS = ("Wf", "bf", "Wc", "bc", "Wo", "bo", "Wy", "by")
VARIANT_CACHE_ITEMS = "a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters"


def _check_variant_parameters(parameters, keys, n_a, n_x):
    """Check a variant's parameters against ``n_a`` and ``n_x``; return them by key."""
    p = check_parameters(parameters, keys)
    note = f"n_a = {n_a} from the hidden state, n_x = {n_x} from the input"
    for key in keys:
        if key.startswith("W") and key != "Wy":
            check_shape(
                f"parameters[{key!r}]",
                p[key],
                ("n_a", "n_a + n_x"),
                (n_a, n_a + n_x),
                note,
            )
        elif key[0] in "bp" and key != "by":
            check_shape(f"parameters[{key!r}]", p[key], ("n_a", "1"), (n_a, 1), note)
    check_shape("parameters['Wy']", p["Wy"], ("n_y", "n_a"), (None, n_a), note)
    n_y = p["Wy"].shape[0]
    check_shape(
        "parameters['by']", p["by"], ("n_y", "1"), (n_y, 1), f"n_y = {n_y} from Wy"
    )
    return p


def _check_step(xt, a_prev, c_prev, parameters, keys):
    xt, a_prev, n_x, n_a, m = check_step_inputs(xt, a_prev)
    c_prev = as_array("c_prev", c_prev)
    check_shape("c_prev", c_prev, ("n_a", "m"), (n_a, m), "it must match a_prev")
    return xt, a_prev, c_prev, _check_variant_parameters(parameters, keys, n_a, n_x)


def _check_backward(da_next, dc_next, cache, made_by, keys):
    check_cache("cache", cache, 10, made_by, VARIANT_CACHE_ITEMS)
    n_a, m = cache[0].shape
    da_next = as_array("da_next", da_next)
    dc_next = as_array("dc_next", dc_next)
    check_shape(
        "da_next", da_next, ("n_a", "m"), (n_a, m), "the shape of a_next in the cache"
    )
    check_shape(
        "dc_next", dc_next, ("n_a", "m"), (n_a, m), "the shape of c_next in the cache"
    )
    return (
        da_next,
        dc_next,
        _check_variant_parameters(cache[9], keys, n_a, cache[8].shape[0]),
    )


# --- peepholes ------------------------------------------------------------------------


def initialize_peephole_parameters(n_a, n_x, n_y, seed=0):
    """The LSTM's parameters of :func:`lstm.initialize_lstm_parameters` plus peepholes
    ``pf, pi, po`` (n_a, 1), drawn normal with standard deviation 0.1."""
    from .parameters import initialize_lstm_parameters

    parameters = initialize_lstm_parameters(n_a, n_x, n_y, seed=seed)
    rng = np.random.default_rng([seed, 2000])
    for gate in "fio":
        parameters["p" + gate] = rng.normal(0.0, 0.1, size=(n_a, 1))
    return {key: parameters[key] for key in PEEPHOLE_PARAMETER_KEYS}


def peephole_cell_forward(xt, a_prev, c_prev, parameters):
    """One step of the peephole LSTM.

    Changes to (1)-(6): the pre-activations of (1) and (2) gain ``pf ⊙ c⟨t-1⟩`` and ``pi
    ⊙ c⟨t-1⟩``, and that of (5), computed after (4), gains ``po ⊙ c⟨t⟩``. (3), (4), (6)
    and the prediction are unchanged.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev, c_prev : ndarray, shape (n_a, m)
    parameters : dict
        The LSTM's ``Wf, ..., by`` and the peepholes ``pf, pi, po`` (n_a, 1).

    Returns
    -------
    a_next, c_next : ndarray, shape (n_a, m)
    yt_pred : ndarray, shape (n_y, m)
    cache : tuple of 10 items
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``, as for
        the LSTM.
    """
    xt, a_prev, c_prev, p = _check_step(
        xt, a_prev, c_prev, parameters, PEEPHOLE_PARAMETER_KEYS
    )
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["pf"] * c_prev + p["bf"])  # (1) with a peephole
    it = sigmoid(p["Wi"] @ concat + p["pi"] * c_prev + p["bi"])  # (2) with a peephole
    cct = np.tanh(p["Wc"] @ concat + p["bc"])  # (3)
    c_next = ft * c_prev + it * cct  # (4)
    ot = sigmoid(p["Wo"] @ concat + p["po"] * c_next + p["bo"])  # (5) sees the new c<t>
    a_next = ot * np.tanh(c_next)  # (6)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def peephole_cell_backward(da_next, dc_next, cache):
    """Gradients of one peephole-LSTM step.

    Changes to (7)-(17): c⟨t⟩ now also feeds Γo, so ``dc_total`` gains ``dzo ⊙ po``;
    c⟨t-1⟩ also feeds Γf and Γu, so (16) gains ``dzf ⊙ pf + dzi ⊙ pi``. New: the
    peephole gradients ``dpf = Σ dzf ⊙ c⟨t-1⟩``, ``dpi = Σ dzi ⊙ c⟨t-1⟩``, ``dpo = Σ dzo
    ⊙ c⟨t⟩`` (sums over the batch). (7)-(15) and (17) keep their form (with the new
    ``dc_total``).

    Parameters
    ----------
    da_next, dc_next : ndarray, shape (n_a, m)
    cache : tuple of 10 items
        As returned by :func:`peephole_cell_forward`.

    Returns
    -------
    dict of ndarray
        As :func:`lstm.lstm_cell_backward`, plus ``dpf, dpi, dpo`` (n_a, 1).
    """
    da_next, dc_next, p = _check_backward(
        da_next, dc_next, cache, "peephole_cell_forward", PEEPHOLE_PARAMETER_KEYS
    )
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, _ = cache
    n_a = a_next.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    tanh_c = np.tanh(c_next)

    dzo = da_next * tanh_c * ot * (1 - ot)  # (7)
    # c<t> reaches the loss along three paths: step t+1, a<t>, and the peephole po.
    dc_total = dc_next + da_next * ot * (1 - tanh_c**2) + dzo * p["po"]
    dzc = dc_total * it * (1 - cct**2)  # (8)
    dzi = dc_total * cct * it * (1 - it)  # (9)
    dzf = dc_total * c_prev * ft * (1 - ft)  # (10)

    gradients = {}
    for gate, dz in (("f", dzf), ("i", dzi), ("c", dzc), ("o", dzo)):
        gradients["dW" + gate] = dz @ concat.T  # (11)-(14)
        gradients["db" + gate] = np.sum(dz, axis=1, keepdims=True)
    gradients["dpf"] = np.sum(dzf * c_prev, axis=1, keepdims=True)
    gradients["dpi"] = np.sum(dzi * c_prev, axis=1, keepdims=True)
    gradients["dpo"] = np.sum(dzo * c_next, axis=1, keepdims=True)

    dconcat = p["Wf"].T @ dzf + p["Wi"].T @ dzi + p["Wc"].T @ dzc + p["Wo"].T @ dzo
    da_prev = dconcat[:n_a]  # (15)
    dc_prev = dc_total * ft + dzf * p["pf"] + dzi * p["pi"]  # (16) with the peepholes
    dxt = dconcat[n_a:]  # (17)
    return {"dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev, **gradients}


# --- the coupled input-forget gate ----------------------------------------------------


def initialize_coupled_parameters(n_a, n_x, n_y, seed=0):
    """The parameters of :func:`lstm.initialize_lstm_parameters` without ``Wi, bi``."""
    from .parameters import initialize_lstm_parameters

    parameters = initialize_lstm_parameters(n_a, n_x, n_y, seed=seed)
    return {key: parameters[key] for key in COUPLED_PARAMETER_KEYS}


def coupled_cell_forward(xt, a_prev, c_prev, parameters):
    """One step of the LSTM with a coupled input-forget gate.

    Changes to (1)-(6): (2) is replaced by Γu = 1 - Γf, so (4) becomes
    c⟨t⟩ = Γf ⊙ c⟨t-1⟩ + (1 - Γf) ⊙ c̃. (1), (3), (5), (6) are unchanged.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev, c_prev : ndarray, shape (n_a, m)
    parameters : dict
        ``Wf, Wc, Wo`` (n_a, n_a + n_x), ``bf, bc, bo`` (n_a, 1), ``Wy`` (n_y, n_a),
        ``by``.

    Returns
    -------
    a_next, c_next : ndarray, shape (n_a, m)
    yt_pred : ndarray, shape (n_y, m)
    cache : tuple of 10 items
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`` with ``it
        = 1 - ft``.
    """
    xt, a_prev, c_prev, p = _check_step(
        xt, a_prev, c_prev, parameters, COUPLED_PARAMETER_KEYS
    )
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])  # (1)
    it = 1 - ft  # replaces (2): the update gate is tied to the forget gate
    cct = np.tanh(p["Wc"] @ concat + p["bc"])  # (3)
    c_next = ft * c_prev + it * cct  # (4)
    ot = sigmoid(p["Wo"] @ concat + p["bo"])  # (5)
    a_next = ot * np.tanh(c_next)  # (6)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def coupled_cell_backward(da_next, dc_next, cache):
    """Gradients of one step of the coupled-gate LSTM.

    Changes to (7)-(17): (9) and (12) disappear with ``Wi, bi``, and so do the ``Wi``
    terms of (15) and (17). Γf now reaches c⟨t⟩ twice, as Γf ⊙ c⟨t-1⟩ and through
    (1 - Γf) ⊙ c̃, so (10) becomes ``dzf = dc_total ⊙ (c⟨t-1⟩ - c̃) ⊙ Γf ⊙ (1 - Γf)``.
    (7), (8) (with Γu = 1 - Γf), (11), (13), (14) and (16) keep their form.

    Parameters
    ----------
    da_next, dc_next : ndarray, shape (n_a, m)
    cache : tuple of 10 items
        As returned by :func:`coupled_cell_forward`.

    Returns
    -------
    dict of ndarray
        ``dxt, da_prev, dc_prev`` and ``dWf, dbf, dWc, dbc, dWo, dbo``.
    """
    da_next, dc_next, p = _check_backward(
        da_next, dc_next, cache, "coupled_cell_forward", COUPLED_PARAMETER_KEYS
    )
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, _ = cache
    n_a = a_next.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    tanh_c = np.tanh(c_next)
    dc_total = dc_next + da_next * ot * (1 - tanh_c**2)

    dzo = da_next * tanh_c * ot * (1 - ot)  # (7)
    dzc = dc_total * it * (1 - cct**2)  # (8), with Γu = 1 - Γf
    dzf = dc_total * (c_prev - cct) * ft * (1 - ft)  # (10) for the coupled gate

    gradients = {}
    for gate, dz in (("f", dzf), ("c", dzc), ("o", dzo)):
        gradients["dW" + gate] = dz @ concat.T  # (11), (13), (14)
        gradients["db" + gate] = np.sum(dz, axis=1, keepdims=True)

    dconcat = p["Wf"].T @ dzf + p["Wc"].T @ dzc + p["Wo"].T @ dzo
    da_prev = dconcat[:n_a]  # (15) without Wi
    dc_prev = dc_total * ft  # (16)
    dxt = dconcat[n_a:]  # (17) without Wi
    return {"dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev, **gradients}


# --- over a sequence ------------------------------------------------------------------

CELLS = {
    "peephole": (
        peephole_cell_forward,
        peephole_cell_backward,
        PEEPHOLE_PARAMETER_KEYS,
    ),
    "coupled": (coupled_cell_forward, coupled_cell_backward, COUPLED_PARAMETER_KEYS),
}


def _variant(variant):
    if variant not in CELLS:
        raise ValueError(
            f"variant must be one of {', '.join(map(repr, CELLS))}, got {variant!r}"
        )
    return CELLS[variant]


def variant_forward(x, a0, parameters, variant):
    """Run a cell variant over a sequence, from ``a0`` and a zero cell state.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As the variant's cell needs.
    variant : {"peephole", "coupled"}

    Returns
    -------
    a, c : ndarray, shape (n_a, m, T_x)
        Hidden and cell states.
    y : ndarray, shape (n_y, m, T_x)
        Predictions.
    caches : tuple
        ``(list_of_step_caches, x)``.
    """
    cell_forward, _, keys = _variant(variant)
    x, a0 = check_sequence_inputs(x, a0)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    p = _check_variant_parameters(parameters, keys, n_a, n_x)
    a, c = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x))
    y = np.zeros((p["Wy"].shape[0], m, T_x))
    step_caches = []
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = cell_forward(
            x[:, :, t], a_next, c_next, parameters
        )
        a[:, :, t], c[:, :, t] = a_next, c_next
        step_caches.append(cache)
    return a, y, c, (step_caches, x)


def variant_backward(da, caches, variant):
    """Backpropagation through time for a cell variant.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient on every hidden state.
    caches : tuple
        As returned by :func:`variant_forward`.
    variant : {"peephole", "coupled"}

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), and the gradient of every gate parameter
        (and peephole), summed over the steps.
    """
    _, cell_backward, _ = _variant(variant)
    step_caches, x = check_sequence_caches(
        caches, "variant_forward", f"{variant}_cell_forward", 10
    )
    n_x, m, T_x = x.shape
    n_a = step_caches[0][0].shape[0]
    da = as_array("da", da)
    check_shape(
        "da",
        da,
        ("n_a", "m", "T_x"),
        (n_a, m, T_x),
        "its time axis must match the forward pass",
    )
    dx = np.zeros((n_x, m, T_x))
    gradients = {}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = cell_backward(da[:, :, t] + da_prevt, dc_prevt, step_caches[t])
        dx[:, :, t] = step.pop("dxt")
        da_prevt, dc_prevt = step.pop("da_prev"), step.pop("dc_prev")
        for key, value in step.items():
            gradients[key] = gradients.get(key, 0) + value
    return {"dx": dx, "da0": da_prevt, **gradients}
