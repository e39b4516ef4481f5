"""Stacked and bidirectional LSTMs, built from the LSTM layer of :mod:`lstm.sequence`.

A stacked LSTM feeds the hidden states of layer k, a (n_a, m, T_x), as the input
sequence of layer k + 1. A bidirectional layer runs two independent LSTMs over the same
input, one from the first step to the last and one from the last to the first, and
stacks their hidden states at each step: the forward direction's n_a rows on top, the
backward direction's below, as ``torch.nn.LSTM`` does.

Every layer starts from zero hidden and cell states. ``layers`` holds one entry per
layer: a dict of gate parameters ``Wf, bf, Wi, bi, Wc, bc, Wo, bo`` (no prediction
layer), or, for a bidirectional network, a pair ``(forward, backward)`` of such dicts.
Layer k's weights have shape (n_a, n_a + n_in) where n_in is n_x for the first layer and
the previous layer's output rows after it.
"""

from collections.abc import Mapping

import numpy as np

from .parameters import as_array, check_parameters, check_sequence_input, check_shape
from .sequence import GATE_GRADIENT_KEYS, lstm_backward, lstm_forward

#: The keys of one layer (one direction): the four gates, without the prediction layer.
LAYER_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")


def _as_lstm_parameters(name, gates, n_in):
    """``gates`` checked against an input of ``n_in`` rows, plus an unused output layer.

    :func:`lstm.lstm_forward` also computes predictions; a layer inside a stack has
    none, so it gets ``Wy = 0`` (1, n_a) and ``by = 0`` (1, 1), whose prediction is
    ignored.
    """
    if not isinstance(gates, Mapping):
        raise ValueError(
            f"{name} must be a dict of gate parameters ({', '.join(LAYER_KEYS)}), "
            f"got {type(gates).__name__}"
        )
    p = check_parameters(gates, LAYER_KEYS)
    Wf = p["Wf"]
    if Wf.ndim != 2 or Wf.shape[1] - Wf.shape[0] != n_in or Wf.shape[0] < 1:
        raise ValueError(
            f"{name}['Wf'] must have shape (n_a, n_a + n_in) with n_in = {n_in}, the "
            f"rows of this layer's input; got shape {Wf.shape}"
        )
    n_a = Wf.shape[0]
    return {**p, "Wy": np.zeros((1, n_a)), "by": np.zeros((1, 1))}


def _layer_directions(layers, bidirectional):
    """Check the structure of ``layers``; return it as a list of tuples of dicts."""
    if not isinstance(bidirectional, bool):
        raise ValueError(f"bidirectional must be True or False, got {bidirectional!r}")
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise ValueError("layers must be a non-empty list with one entry per layer")
    directions = []
    for k, layer in enumerate(layers):
        if bidirectional:
            if not (isinstance(layer, (list, tuple)) and len(layer) == 2):
                raise ValueError(
                    f"layers[{k}] must be a pair (forward, backward) of gate-parameter "
                    f"dicts, since bidirectional=True; got {type(layer).__name__}"
                )
            directions.append(tuple(layer))
        else:
            if not isinstance(layer, Mapping):
                raise ValueError(
                    f"layers[{k}] must be a dict of gate parameters since "
                    f"bidirectional=False; got {type(layer).__name__} (for a pair "
                    "(forward, backward) pass bidirectional=True)"
                )
            directions.append((layer,))
    return directions


def stacked_lstm_forward(x, layers, bidirectional=False):
    """Run a stack of LSTM layers over ``x``, each direction from zero states.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        Inputs of the first layer.
    layers : list
        One gate-parameter dict per layer, or with ``bidirectional=True`` one pair
        ``(forward, backward)`` of them per layer.
    bidirectional : bool
        Whether each layer reads the sequence in both directions.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x), or (2 n_a, m, T_x) if bidirectional
        The last layer's hidden states; the forward direction's rows first.
    caches : tuple
        ``(layer_caches, bidirectional)``: for each layer the cache of
        :func:`lstm.lstm_forward`, or a pair of them (the backward direction's cache is
        for the time-reversed sequence).
    """
    x = check_sequence_input(x)
    m = x.shape[1]
    layer_input = x
    layer_caches = []
    for k, directions in enumerate(_layer_directions(layers, bidirectional)):
        outputs, caches = [], []
        for d, gates in enumerate(directions):
            name = f"layers[{k}]" + (f"[{d}]" if bidirectional else "")
            p = _as_lstm_parameters(name, gates, layer_input.shape[0])
            a0 = np.zeros((p["Wf"].shape[0], m))
            if d == 0:  # forward in time
                a, _, _, cache = lstm_forward(layer_input, a0, p)
            else:  # backward in time: run on the reversed sequence, reverse back
                a, _, _, cache = lstm_forward(layer_input[:, :, ::-1], a0, p)
                a = a[:, :, ::-1]
            outputs.append(a)
            caches.append(cache)
        layer_input = np.concatenate(
            outputs, axis=0
        )  # [forward; backward] at every step
        layer_caches.append(tuple(caches) if bidirectional else caches[0])
    return layer_input, (layer_caches, bidirectional)


def _check_stacked_caches(caches):
    if not (
        isinstance(caches, tuple)
        and len(caches) == 2
        and isinstance(caches[0], list)
        and isinstance(caches[1], bool)
    ):
        raise ValueError(
            "caches must be the (layer_caches, bidirectional) pair that "
            "stacked_lstm_forward returns"
        )
    layer_caches, bidirectional = caches
    return [tuple(c) if bidirectional else (c,) for c in layer_caches], bidirectional


def stacked_lstm_backward(da, caches):
    """Backpropagation through a stack of (bidirectional) LSTM layers.

    The gradient on a layer's output is split by rows between its directions; the
    backward direction's part is reversed in time, passed through
    :func:`lstm.lstm_backward`, and its input gradient reversed back. The two
    directions' input gradients add up (both read the same input), and their sum is the
    gradient on the previous layer's output.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x), or (2 n_a, m, T_x) if bidirectional
        Gradient of the loss with respect to the last layer's hidden states.
    caches : tuple
        As returned by :func:`stacked_lstm_forward`.

    Returns
    -------
    dx : ndarray, shape (n_x, m, T_x)
        Gradient with respect to the input sequence.
    layer_gradients : list
        Shaped like ``layers``: per layer a dict (or a pair of dicts, forward then
        backward) with ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_in) and ``dbf, dbi, dbc,
        dbo`` (n_a, 1).
    """
    layer_caches, bidirectional = _check_stacked_caches(caches)
    da = as_array("da", da)
    last = layer_caches[-1]
    rows = sum(c[0][0][0].shape[0] for c in last)  # hidden units of each direction
    m, T_x = last[0][1].shape[1:]
    check_shape(
        "da",
        da,
        ("n_a" if len(last) == 1 else "2 n_a", "m", "T_x"),
        (rows, m, T_x),
        "the shape of the last layer's output in the forward pass",
    )
    layer_gradients = []
    d_output = da
    for directions in reversed(layer_caches):
        d_input, gradients, row = 0.0, [], 0
        for d, cache in enumerate(directions):
            n_a = cache[0][0][0].shape[0]
            da_direction = d_output[row : row + n_a]
            row += n_a
            if d == 0:
                step = lstm_backward(da_direction, cache)
                d_input = d_input + step["dx"]
            else:  # the cache is for the reversed sequence
                step = lstm_backward(da_direction[:, :, ::-1], cache)
                d_input = d_input + step["dx"][:, :, ::-1]
            gradients.append({key: step[key] for key in GATE_GRADIENT_KEYS})
        layer_gradients.append(tuple(gradients) if bidirectional else gradients[0])
        d_output = d_input
    layer_gradients.reverse()
    return d_output, layer_gradients


def stacked_lstm_final_states(caches):
    """The final hidden and cell states of each layer and direction, in PyTorch's order.

    Parameters
    ----------
    caches : tuple
        As returned by :func:`stacked_lstm_forward`.

    Returns
    -------
    a_last, c_last : list of ndarray, each (n_a, m)
        Layer by layer, forward direction before backward: the states after the last
        step the direction reads (step T_x forwards, step 1 backwards). PyTorch returns
        the same as ``h_n, c_n`` of shape (num_layers * num_directions, m, n_a).
    """
    layer_caches, _ = _check_stacked_caches(caches)
    a_last, c_last = [], []
    for directions in layer_caches:
        for step_caches, _ in directions:
            a_last.append(step_caches[-1][0])
            c_last.append(step_caches[-1][1])
    return a_last, c_last
