"""The bridge to PyTorch's ``torch.nn.LSTM`` and ``torch.nn.GRU``, for cross-checking
this course's numbers against a framework.

PyTorch stacks the four gates in the order input, forget, cell (candidate), output — i,
f, g, o — into ``weight_ih_l0`` (4 n_a, n_x), which multiplies x⟨t⟩, and
``weight_hh_l0`` (4 n_a, n_a), which multiplies a⟨t-1⟩, and it adds two biases,
``bias_ih_l0`` and ``bias_hh_l0``. This course keeps one matrix per gate acting on
``[a_prev; xt]``: its first n_a columns are PyTorch's hidden-to-hidden block, the
remaining n_x columns the input-to-hidden block. PyTorch's input gate is this course's
update gate Γu. Layer k > 0 has ``weight_ih_l{k}``, ..., and the backward direction of a
bidirectional layer the same names with the suffix ``_reverse``.

``nn.GRU`` stacks its gates in the order reset, update, new (r, z, n). Its update gate
z_t is this course's 1 - z (see :mod:`lstm.gru`), so the update gate's weights and bias
change sign.

Its tensors are laid out time first, then batch, then features: (T_x, m, n_x), where
this course uses (n_x, m, T_x); with ``batch_first=True`` they are (m, T_x, n_x).

Torch is imported only when a function here is called: ``import lstm`` never needs it.
"""

import numpy as np

from .parameters import check_lstm_parameters, lstm_sizes

#: Our gate keys in PyTorch's order: input (= update) i, forget f, candidate g, output o
TORCH_GATE_ORDER = ("i", "f", "c", "o")
#: Our GRU gate letters in ``nn.GRU``'s order: reset r, update z, new (candidate) n.
TORCH_GRU_GATE_ORDER = ("r", "z", "h")


def to_torch_lstm(parameters, dtype=None):
    """A ``torch.nn.LSTM`` (one layer, one direction) holding the same gate weights as
    ``parameters``.

    The prediction layer ``Wy, by`` has no counterpart in ``nn.LSTM`` and is not copied.
    Our single bias per gate goes into ``bias_ih_l0``; ``bias_hh_l0`` is set to zero,
    since PyTorch only ever uses their sum.

    Parameters
    ----------
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), ``Wy``,
        ``by``.
    dtype : torch.dtype, optional
        Defaults to ``torch.float64``.

    Returns
    -------
    torch.nn.LSTM
        With ``input_size = n_x`` and ``hidden_size = n_a``.
    """
    import torch

    n_a, n_x = lstm_sizes(parameters)
    p, _ = check_lstm_parameters(parameters, n_a, n_x)
    dtype = torch.float64 if dtype is None else dtype
    net = torch.nn.LSTM(input_size=n_x, hidden_size=n_a, num_layers=1, dtype=dtype)
    weights = [p["W" + gate] for gate in TORCH_GATE_ORDER]
    biases = [p["b" + gate][:, 0] for gate in TORCH_GATE_ORDER]
    with torch.no_grad():
        net.weight_hh_l0.copy_(
            torch.from_numpy(np.concatenate([W[:, :n_a] for W in weights]))
        )
        net.weight_ih_l0.copy_(
            torch.from_numpy(np.concatenate([W[:, n_a:] for W in weights]))
        )
        net.bias_ih_l0.copy_(torch.from_numpy(np.concatenate(biases)))
        net.bias_hh_l0.zero_()
    return net


def gate_gradients_from_torch(net):
    """Read the gradients PyTorch computed for ``net`` back into this course's names.

    Parameters
    ----------
    net : torch.nn.LSTM
        After ``backward()`` has filled its ``.grad`` fields.

    Returns
    -------
    dict of ndarray
        ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x) and ``dbf, dbi, dbc, dbo`` (n_a, 1).
        Each bias gradient is the gradient of PyTorch's ``bias_ih_l0`` (equal to that of
        ``bias_hh_l0``, as both enter as a sum).
    """
    return _lstm_direction_gradients(net, "_l0")


def sequence_to_torch(x, batch_first=False):
    """Our (n_x, m, T_x) array in PyTorch's layout: (T_x, m, n_x), or (m, T_x, n_x) if
    ``batch_first``."""
    axes = (1, 2, 0) if batch_first else (2, 1, 0)
    return np.ascontiguousarray(np.transpose(x, axes))


def sequence_from_torch(x, batch_first=False):
    """PyTorch's (T_x, m, n_x) layout (or (m, T_x, n_x) if ``batch_first``) to ours,
    (n_x, m, T_x)."""
    axes = (2, 0, 1) if batch_first else (2, 1, 0)
    return np.ascontiguousarray(np.transpose(x, axes))


# --- any nn.LSTM: layers and directions -----------------------------------------------


def _numpy(tensor):
    """A float64 numpy copy of a torch tensor."""
    return tensor.detach().cpu().double().numpy().copy()


def _check_module(module, kind):
    """Raise a ValueError unless ``module`` is an nn.LSTM (nn.GRU) we can convert."""
    import torch

    cls = torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU
    if not isinstance(module, cls):
        raise ValueError(
            f"module must be a torch.nn.{kind}, got {type(module).__name__}"
        )
    if not module.bias:
        raise ValueError(
            f"module must have bias=True: the course's {kind} has a bias for every "
            "gate (set its biases to zero to imitate bias=False)"
        )
    if getattr(module, "proj_size", 0) > 0:
        raise ValueError(
            f"module has proj_size={module.proj_size}: a projected LSTM's hidden "
            "state is not the course's a<t> (use proj_size=0)"
        )


def _suffixes_for(num_layers, bidirectional):
    """Each layer's parameter-name suffixes: ``("_l0",)``, or with ``"_l0_reverse"``."""
    directions = ("", "_reverse") if bidirectional else ("",)
    return [tuple(f"_l{k}{d}" for d in directions) for k in range(num_layers)]


def _suffixes(module):
    return _suffixes_for(module.num_layers, module.bidirectional)


def _lstm_direction_parameters(module, suffix):
    """The course's gate parameters of one layer and direction of an ``nn.LSTM``."""
    n_a = module.hidden_size
    w_ih = _numpy(getattr(module, "weight_ih" + suffix))
    w_hh = _numpy(getattr(module, "weight_hh" + suffix))
    bias = _numpy(getattr(module, "bias_ih" + suffix)) + _numpy(
        getattr(module, "bias_hh" + suffix)
    )
    gates = {}
    for k, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        gates["W" + gate] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)
        gates["b" + gate] = bias[rows][:, None]
    return {key: gates[key] for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}


def _grad(module, name):
    grad = getattr(module, name).grad
    if grad is None:
        raise ValueError(
            f"{name} has no gradient: call backward() on a loss of the module's "
            "outputs before reading its gradients"
        )
    return _numpy(grad)


def _lstm_direction_gradients(module, suffix):
    """The gradients of one layer and direction of an ``nn.LSTM``, in our names."""
    n_a = module.hidden_size
    w_ih = _grad(module, "weight_ih" + suffix)
    w_hh = _grad(module, "weight_hh" + suffix)
    b_ih = _grad(module, "bias_ih" + suffix)
    gradients = {}
    for k, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        gradients["dW" + gate] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)
        gradients["db" + gate] = b_ih[rows][:, None]
    return {
        key: gradients[key]
        for key in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
    }


def lstm_layers_from_torch(module):
    """The course's ``layers`` that reproduce a ``torch.nn.LSTM``, for :mod:`lstm.deep`.

    Each gate's bias is PyTorch's ``bias_ih + bias_hh`` for that gate (only their sum
    matters).

    Parameters
    ----------
    module : torch.nn.LSTM
        Any number of layers, bidirectional or not, ``bias=True``, ``proj_size=0``; any
        dtype (the arrays are float64), ``batch_first`` either way (it changes only the
        layout of the sequences, see :func:`sequence_to_torch`).

    Returns
    -------
    list
        One dict per layer (``Wf, bf, Wi, bi, Wc, bc, Wo, bo``; W (n_a, n_a + n_in), b
        (n_a, 1)), or for a bidirectional module one pair ``(forward, backward)`` per
        layer: the ``layers`` of :func:`lstm.deep.stacked_lstm_forward`.
    """
    _check_module(module, "LSTM")
    layers = []
    for suffixes in _suffixes(module):
        directions = tuple(_lstm_direction_parameters(module, s) for s in suffixes)
        layers.append(directions if module.bidirectional else directions[0])
    return layers


def lstm_layer_gradients_from_torch(module):
    """The gradients PyTorch computed for an ``nn.LSTM``, shaped like
    :func:`lstm_layers_from_torch`'s layers.

    Parameters
    ----------
    module : torch.nn.LSTM
        After ``backward()`` has filled its ``.grad`` fields.

    Returns
    -------
    list
        Per layer a dict (or a pair of dicts, forward then backward) with ``dWf, dWi,
        dWc, dWo`` and ``dbf, dbi, dbc, dbo``, as
        :func:`lstm.deep.stacked_lstm_backward` returns them. A bias gradient is that of
        ``bias_ih`` (equal to that of ``bias_hh``).
    """
    _check_module(module, "LSTM")
    gradients = []
    for suffixes in _suffixes(module):
        directions = tuple(_lstm_direction_gradients(module, s) for s in suffixes)
        gradients.append(directions if module.bidirectional else directions[0])
    return gradients


# --- nn.GRU ---------------------------------------------------------------------------


def _check_gru_module(module):
    _check_module(module, "GRU")
    if module.num_layers != 1 or module.bidirectional:
        raise ValueError(
            f"module must be a one-layer, one-direction nn.GRU, got num_layers="
            f"{module.num_layers}, bidirectional={module.bidirectional}"
        )


def gru_parameters_from_torch(module):
    """The course's reset-after GRU parameters that reproduce a one-layer ``nn.GRU``.

    PyTorch computes r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h
    + b_hz), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) and h' = (1 - z) ⊙ n + z ⊙ h.
    So our ``Wr, br`` are its reset rows (biases summed), our ``Wz, bz`` the *negated*
    update rows (our z is its 1 - z), ``Wh`` its new-gate rows, ``bh = b_in`` and ``bha
    = b_hn``.

    Parameters
    ----------
    module : torch.nn.GRU
        One layer, one direction, ``bias=True``.

    Returns
    -------
    dict of ndarray
        ``Wz, Wr, Wh`` (n_a, n_a + n_x) and ``bz, br, bh, bha`` (n_a, 1), float64; no
        prediction layer.
    """
    _check_gru_module(module)
    n_a = module.hidden_size
    w_ih, w_hh = _numpy(module.weight_ih_l0), _numpy(module.weight_hh_l0)
    b_ih, b_hh = _numpy(module.bias_ih_l0), _numpy(module.bias_hh_l0)
    rows = {
        gate: slice(k * n_a, (k + 1) * n_a)
        for k, gate in enumerate(TORCH_GRU_GATE_ORDER)
    }
    sign = {
        "r": 1.0,
        "z": -1.0,
        "h": 1.0,
    }  # PyTorch's z is our 1 - z = σ(-our pre-activation)
    parameters = {}
    for gate in "zrh":
        W = np.concatenate([w_hh[rows[gate]], w_ih[rows[gate]]], axis=1)
        parameters["W" + gate] = sign[gate] * W
        bias = b_ih[rows[gate]] if gate == "h" else b_ih[rows[gate]] + b_hh[rows[gate]]
        parameters["b" + gate] = sign[gate] * bias[:, None]
    parameters["bha"] = b_hh[rows["h"]][:, None]
    return parameters


def gru_gradients_from_torch(module):
    """The gradients PyTorch computed for a one-layer ``nn.GRU``, in the course's names.

    Parameters
    ----------
    module : torch.nn.GRU
        After ``backward()`` has filled its ``.grad`` fields.

    Returns
    -------
    dict of ndarray
        ``dWz, dWr, dWh`` (n_a, n_a + n_x) and ``dbz, dbr, dbh, dbha`` (n_a, 1): the
        gradients with respect to :func:`gru_parameters_from_torch`'s parameters (the
        update gate's change sign with its weights).
    """
    _check_gru_module(module)
    n_a = module.hidden_size
    w_ih, w_hh = _grad(module, "weight_ih_l0"), _grad(module, "weight_hh_l0")
    b_ih, b_hh = _grad(module, "bias_ih_l0"), _grad(module, "bias_hh_l0")
    rows = {
        gate: slice(k * n_a, (k + 1) * n_a)
        for k, gate in enumerate(TORCH_GRU_GATE_ORDER)
    }
    sign = {"r": 1.0, "z": -1.0, "h": 1.0}
    gradients = {}
    for gate in "zrh":
        dW = np.concatenate([w_hh[rows[gate]], w_ih[rows[gate]]], axis=1)
        gradients["dW" + gate] = sign[gate] * dW
        gradients["db" + gate] = sign[gate] * b_ih[rows[gate]][:, None]
    gradients["dbha"] = b_hh[rows["h"]][:, None]
    return gradients


def torch_lstm_parameter_map(num_layers, bidirectional):
    """Where each tensor of ``nn.LSTM(num_layers=..., bidirectional=...)`` goes.

    The targets are the course's ``layers``, as :func:`lstm_layers_from_torch` fills them.

    Parameters
    ----------
    num_layers : int
    bidirectional : bool

    Returns
    -------
    list of (str, str, str)
        ``(PyTorch name, its shape in symbols, the course's arrays)``, one per tensor,
        in the order of ``module.named_parameters()``.
    """
    rows = []
    for k, suffixes in enumerate(_suffixes_for(num_layers, bidirectional)):
        n_in = "n_x" if k == 0 else ("2 n_a" if bidirectional else "n_a")
        for d, suffix in enumerate(suffixes):
            where = f"layers[{k}]" + (f"[{d}]" if bidirectional else "")
            gates = ", ".join(f"W{g}" for g in TORCH_GATE_ORDER)
            rows += [
                (
                    f"weight_ih{suffix}",
                    f"(4 n_a, {n_in})",
                    f"{where}: {gates} [:, n_a:]",
                ),
                (f"weight_hh{suffix}", "(4 n_a, n_a)", f"{where}: {gates} [:, :n_a]"),
                (f"bias_ih{suffix}", "(4 n_a,)", f"{where}: bi, bf, bc, bo (summed)"),
                (f"bias_hh{suffix}", "(4 n_a,)", f"{where}: bi, bf, bc, bo (summed)"),
            ]
    return rows
