"""The gated recurrent unit (GRU), forward and backward, in its two formulations.

The GRU (Cho et al., 2014) keeps one state, the hidden state a⟨t⟩, and two sigmoid gates
acting on ``[a_prev; xt]`` (hidden state on top, as for the LSTM): the update gate z and
the reset gate r.

    z⟨t⟩ = σ(Wz [a⟨t-1⟩; x⟨t⟩] + bz)                 update gate
    r⟨t⟩ = σ(Wr [a⟨t-1⟩; x⟨t⟩] + br)                 reset gate
    h̃⟨t⟩ = tanh(Wh [r⟨t⟩ ⊙ a⟨t-1⟩; x⟨t⟩] + bh)       candidate, reset before
    h̃⟨t⟩ = tanh(Wh_x x⟨t⟩ + bh
                + r⟨t⟩ ⊙ (Wh_a a⟨t-1⟩ + bha))        candidate, reset after
    a⟨t⟩ = (1 - z⟨t⟩) ⊙ a⟨t-1⟩ + z⟨t⟩ ⊙ h̃⟨t⟩          new hidden state

``Wh_a = Wh[:, :n_a]`` and ``Wh_x = Wh[:, n_a:]`` are the column blocks of ``Wh`` that
multiply a⟨t-1⟩ and x⟨t⟩. The first candidate is Cho et al.'s; the second is the one
``torch.nn.GRU`` computes, with a bias ``bha`` of its own on the hidden side (it sits
inside the reset, so it cannot be merged into ``bh``).

**Which formulation runs is carried by the parameters**: a dict with the key ``bha`` is
a reset-after GRU, one without it a reset-before GRU. :func:`initialize_gru_parameters`
makes either (``reset_after=``).

**Convention for the update gate.** Here z weighs the *candidate*: z = 1 writes h̃ into
the state, z = 0 keeps a⟨t-1⟩, the part the LSTM's update gate Γu plays. PyTorch writes
the mirror image, h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}: its z_t is our 1 - z, so its
update-gate weights and bias are the negatives of ours
(:func:`lstm.pytorch.gru_parameters_from_torch` does the conversion).

Shapes as everywhere in the course: ``xt`` (n_x, m), ``a_prev`` (n_a, m), ``x``
(n_x, m, T_x).
"""

import numpy as np

from .activations import sigmoid, softmax
from .parameters import (
    _check_size,
    as_array,
    check_cache,
    check_parameters,
    check_sequence_caches,
    check_sequence_inputs,
    check_shape,
    check_step_inputs,
)

#: The gate parameters of every GRU: update gate, reset gate, candidate.
GRU_GATE_KEYS = ("Wz", "bz", "Wr", "br", "Wh", "bh")
#: The extra key of a reset-after GRU: the candidate's bias on the hidden side.
RESET_AFTER_KEY = "bha"
#: The optional prediction layer ŷ⟨t⟩ = softmax(Wy a⟨t⟩ + by).
OUTPUT_KEYS = ("Wy", "by")
GRU_CELL_CACHE_ITEMS = "a_next, a_prev, xt, zt, rt, hct, ha, parameters"


def initialize_gru_parameters(n_a, n_x, n_y, seed=0, reset_after=False):
    """Random parameters for a GRU with n_a hidden units, n_x inputs, n_y outputs.

    Weights are normal with standard deviation ``1 / sqrt(n_a + n_x)``, biases zero, as
    for the LSTM.

    Parameters
    ----------
    n_a, n_x, n_y : int
        Hidden units, input features, output classes.
    seed : int
        Seed of the random generator.
    reset_after : bool
        False: Cho et al.'s GRU, reset before the recurrent product. True: the GRU of
        ``torch.nn.GRU``, reset after it, with the extra bias ``bha``.

    Returns
    -------
    dict of ndarray
        ``Wz, Wr, Wh`` (n_a, n_a + n_x); ``bz, br, bh`` (n_a, 1); ``bha`` (n_a, 1) when
        ``reset_after``; ``Wy`` (n_y, n_a); ``by`` (n_y, 1).
    """
    n_a, n_x, n_y = (
        _check_size(name, n) for name, n in (("n_a", n_a), ("n_x", n_x), ("n_y", n_y))
    )
    if not isinstance(reset_after, bool):
        raise ValueError(f"reset_after must be True or False, got {reset_after!r}")
    rng = np.random.default_rng(seed)
    parameters = {}
    for gate in "zrh":
        parameters["W" + gate] = rng.normal(
            0.0, 1 / np.sqrt(n_a + n_x), size=(n_a, n_a + n_x)
        )
        parameters["b" + gate] = np.zeros((n_a, 1))
    if reset_after:
        parameters[RESET_AFTER_KEY] = np.zeros((n_a, 1))
    parameters["Wy"] = rng.normal(0.0, 1 / np.sqrt(n_a), size=(n_y, n_a))
    parameters["by"] = np.zeros((n_y, 1))
    return parameters


def gru_keys(parameters):
    """The keys ``parameters`` needs: the gates, and ``bha``, ``Wy, by`` if present."""
    keys = list(GRU_GATE_KEYS)
    if isinstance(parameters, dict) and RESET_AFTER_KEY in parameters:
        keys.append(RESET_AFTER_KEY)
    if isinstance(parameters, dict) and any(key in parameters for key in OUTPUT_KEYS):
        keys += OUTPUT_KEYS  # one without the other is reported as missing
    return tuple(keys)


def check_gru_parameters(parameters, n_a, n_x):
    """Check a GRU's parameters against ``n_a`` and ``n_x``; return them by key."""
    p = check_parameters(parameters, gru_keys(parameters))
    note = f"n_a = {n_a} from the hidden state, n_x = {n_x} from the input"
    for gate in "zrh":
        check_shape(
            f"parameters['W{gate}']",
            p["W" + gate],
            ("n_a", "n_a + n_x"),
            (n_a, n_a + n_x),
            note,
        )
        check_shape(
            f"parameters['b{gate}']", p["b" + gate], ("n_a", "1"), (n_a, 1), note
        )
    if RESET_AFTER_KEY in p:
        check_shape("parameters['bha']", p["bha"], ("n_a", "1"), (n_a, 1), note)
    if "Wy" in p:
        check_shape("parameters['Wy']", p["Wy"], ("n_y", "n_a"), (None, n_a), note)
        n_y = p["Wy"].shape[0]
        check_shape(
            "parameters['by']", p["by"], ("n_y", "1"), (n_y, 1), f"n_y = {n_y} from Wy"
        )
    return p


def gru_cell_forward(xt, a_prev, parameters):
    """One GRU step; reset before or after the recurrent product as ``parameters`` say.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
        Input at step t.
    a_prev : ndarray, shape (n_a, m)
        Hidden state a⟨t-1⟩.
    parameters : dict
        ``Wz, Wr, Wh`` (n_a, n_a + n_x), ``bz, br, bh`` (n_a, 1); ``bha`` (n_a, 1) for
        the reset-after GRU; optionally ``Wy`` (n_y, n_a) and ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
        Hidden state a⟨t⟩.
    yt_pred : ndarray, shape (n_y, m), or None
        softmax(Wy a⟨t⟩ + by), or None when ``parameters`` has no ``Wy``.
    cache : tuple of 8 items
        ``(a_next, a_prev, xt, zt, rt, hct, ha, parameters)``: the gate values
        ``zt, rt`` and the candidate ``hct``, each (n_a, m); ``ha = Wh_a a⟨t-1⟩ + bha``
        (n_a, m) for the reset-after GRU, None for the reset-before GRU.
    """
    xt, a_prev, n_x, n_a, m = check_step_inputs(xt, a_prev)
    p = check_gru_parameters(parameters, n_a, n_x)

    concat = np.concatenate([a_prev, xt], axis=0)  # [a<t-1>; x<t>]
    zt = sigmoid(p["Wz"] @ concat + p["bz"])  # update gate
    rt = sigmoid(p["Wr"] @ concat + p["br"])  # reset gate
    if RESET_AFTER_KEY in p:  # reset after the product, as torch.nn.GRU
        ha = p["Wh"][:, :n_a] @ a_prev + p["bha"]  # the candidate's hidden-side term
        hct = np.tanh(p["Wh"][:, n_a:] @ xt + p["bh"] + rt * ha)  # candidate
    else:  # reset before the product (Cho et al.)
        ha = None
        concat_reset = np.concatenate([rt * a_prev, xt], axis=0)  # [r ⊙ a<t-1>; x<t>]
        hct = np.tanh(p["Wh"] @ concat_reset + p["bh"])  # candidate
    a_next = (1 - zt) * a_prev + zt * hct  # new hidden state
    yt_pred = softmax(p["Wy"] @ a_next + p["by"]) if "Wy" in p else None

    cache = (a_next, a_prev, xt, zt, rt, hct, ha, parameters)
    return a_next, yt_pred, cache


def gru_cell_backward(da_next, cache):
    """Gradients of one GRU step, for either formulation.

    Gradients named ``dz*`` are taken at the gates' pre-activations (the arguments of σ
    and tanh).

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        Gradient of the loss with respect to a⟨t⟩.
    cache : tuple of 8 items
        As returned by :func:`gru_cell_forward`.

    Returns
    -------
    dict of ndarray
        ``dxt`` (n_x, m), ``da_prev`` (n_a, m), ``dWz, dWr, dWh`` (n_a, n_a + n_x),
        ``dbz, dbr, dbh`` (n_a, 1), and ``dbha`` (n_a, 1) for the reset-after GRU.
    """
    check_cache("cache", cache, 8, "gru_cell_forward", GRU_CELL_CACHE_ITEMS)
    a_next, a_prev, xt, zt, rt, hct, ha, parameters = cache
    n_a, m = a_next.shape
    da_next = as_array("da_next", da_next)
    check_shape(
        "da_next", da_next, ("n_a", "m"), (n_a, m), "the shape of a_next in the cache"
    )
    p = check_gru_parameters(parameters, n_a, xt.shape[0])
    Wh_a, Wh_x = p["Wh"][:, :n_a], p["Wh"][:, n_a:]

    dzh = da_next * zt * (1 - hct**2)  # candidate
    dzz = da_next * (hct - a_prev) * zt * (1 - zt)  # update gate
    if ha is None:  # reset before the product
        d_reset_a = Wh_a.T @ dzh  # gradient on r ⊙ a<t-1>
        dzr = d_reset_a * a_prev * rt * (1 - rt)  # reset gate
        da_candidate = d_reset_a * rt  # a<t-1>'s share through the candidate
        dWh = dzh @ np.concatenate([rt * a_prev, xt], axis=0).T
    else:  # reset after the product
        dha = dzh * rt  # gradient on ha = Wh_a a<t-1> + bha
        dzr = dzh * ha * rt * (1 - rt)  # reset gate
        da_candidate = Wh_a.T @ dha
        dWh = np.concatenate([dha @ a_prev.T, dzh @ xt.T], axis=1)

    concat = np.concatenate([a_prev, xt], axis=0)
    gradients = {
        "dxt": p["Wz"][:, n_a:].T @ dzz + p["Wr"][:, n_a:].T @ dzr + Wh_x.T @ dzh,
        "da_prev": (
            da_next * (1 - zt)
            + da_candidate
            + p["Wz"][:, :n_a].T @ dzz
            + p["Wr"][:, :n_a].T @ dzr
        ),
        "dWz": dzz @ concat.T,
        "dbz": np.sum(dzz, axis=1, keepdims=True),
        "dWr": dzr @ concat.T,
        "dbr": np.sum(dzr, axis=1, keepdims=True),
        "dWh": dWh,
        "dbh": np.sum(dzh, axis=1, keepdims=True),
    }
    if ha is not None:
        gradients["dbha"] = np.sum(dha, axis=1, keepdims=True)
    return gradients


def gru_forward(x, a0, parameters):
    """Run the GRU over every step of a sequence, starting from hidden state ``a0``.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        Inputs: features, then the batch, then time.
    a0 : ndarray, shape (n_a, m)
        Initial hidden state a⟨0⟩.
    parameters : dict
        As for :func:`gru_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        Hidden states a⟨1⟩ ... a⟨T_x⟩.
    y : ndarray, shape (n_y, m, T_x), or None
        Predictions, or None when ``parameters`` has no ``Wy``.
    caches : tuple
        ``(list_of_step_caches, x)``: the T_x caches of :func:`gru_cell_forward` and the
        input.
    """
    x, a0 = check_sequence_inputs(x, a0)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]
    p = check_gru_parameters(parameters, n_a, n_x)

    a = np.zeros((n_a, m, T_x))
    y = np.zeros((p["Wy"].shape[0], m, T_x)) if "Wy" in p else None
    step_caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = gru_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        if y is not None:
            y[:, :, t] = yt_pred
        step_caches.append(cache)
    return a, y, (step_caches, x)


def gru_backward(da, caches):
    """Backpropagation through time for the GRU.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient of the loss with respect to every hidden state a⟨t⟩.
    caches : tuple
        ``(list_of_step_caches, x)`` as returned by :func:`gru_forward`.

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), and ``"d" + key`` for every weight and
        bias in the parameters, each shaped like it. ``dWy, dby``, present when the
        parameters hold a prediction layer, are zero: ``da`` already carries whatever
        the loss says through the predictions, and the prediction layer's own gradient
        comes from the loss (chapter 7).
    """
    step_caches, x = check_sequence_caches(caches, "gru_forward", "gru_cell_forward", 8)
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
    parameters = step_caches[0][7]
    p = check_gru_parameters(parameters, n_a, n_x)

    gradients = {
        "d" + key: np.zeros_like(value, dtype=float) for key, value in p.items()
    }
    dx = np.zeros((n_x, m, T_x))
    da_prevt = np.zeros((n_a, m))  # gradient on a<t> arriving from step t+1
    for t in reversed(range(T_x)):
        step = gru_cell_backward(da[:, :, t] + da_prevt, step_caches[t])
        dx[:, :, t] = step["dxt"]
        for key in step:
            if key not in ("dxt", "da_prev"):
                gradients[key] += step[key]
        da_prevt = step["da_prev"]
    return {"dx": dx, "da0": da_prevt, **gradients}
