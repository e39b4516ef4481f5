"""The bridge to PyTorch's ``torch.nn.LSTM``, for cross-checking this course's numbers against a framework.

PyTorch stacks the four gates in the order input, forget, cell (candidate), output — i, f, g, o — into
``weight_ih_l0`` (4 n_a, n_x), which multiplies x⟨t⟩, and ``weight_hh_l0`` (4 n_a, n_a), which multiplies
a⟨t-1⟩, and it adds two biases, ``bias_ih_l0`` and ``bias_hh_l0``. This course keeps one matrix per gate acting on
``[a_prev; xt]``: its first n_a columns are PyTorch's hidden-to-hidden block, the remaining n_x columns the
input-to-hidden block. PyTorch's input gate is this course's update gate Γu.

Its tensors are laid out time first, then batch, then features: (T_x, m, n_x), where this course uses (n_x, m, T_x).

Torch is imported only when a function here is called: ``import lstm`` never needs it.
"""

import numpy as np

from .parameters import check_lstm_parameters, lstm_sizes

#: Our gate keys in PyTorch's order: input (= update) i, forget f, cell candidate g, output o.
TORCH_GATE_ORDER = ("i", "f", "c", "o")


def to_torch_lstm(parameters, dtype=None):
    """A ``torch.nn.LSTM`` (one layer, not bidirectional) holding the same gate weights as ``parameters``.

    The prediction layer ``Wy, by`` has no counterpart in ``nn.LSTM`` and is not copied. Our single bias per gate
    goes into ``bias_ih_l0``; ``bias_hh_l0`` is set to zero, since PyTorch only ever uses their sum.

    Parameters
    ----------
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), ``Wy``, ``by``.
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
    with torch.no_grad():
        net.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([W[:, :n_a] for W in weights])))
        net.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[:, n_a:] for W in weights])))
        net.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p["b" + gate][:, 0] for gate in TORCH_GATE_ORDER])))
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
        ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x) and ``dbf, dbi, dbc, dbo`` (n_a, 1). Each bias gradient is the
        gradient of PyTorch's ``bias_ih_l0`` (equal to that of ``bias_hh_l0``, as both enter as a sum).
    """
    n_a = net.hidden_size
    w_hh = net.weight_hh_l0.grad.detach().cpu().numpy()
    w_ih = net.weight_ih_l0.grad.detach().cpu().numpy()
    b_ih = net.bias_ih_l0.grad.detach().cpu().numpy()
    gradients = {}
    for k, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        gradients["dW" + gate] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)
        gradients["db" + gate] = b_ih[rows][:, None]
    return gradients


def sequence_to_torch(x):
    """Our (n_x, m, T_x) array as PyTorch's (T_x, m, n_x) layout, as a float64 numpy array."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)))


def sequence_from_torch(x):
    """PyTorch's (T_x, m, n_x) layout back to ours, (n_x, m, T_x)."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)))
