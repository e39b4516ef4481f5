"""Truncated backpropagation through time, for chapter 13.

Full BPTT keeps the caches of every step and carries the gradient back to the first
step. Truncated BPTT cuts the sequence into chunks of ``k`` steps: the states (a, c)
still flow forward across chunk boundaries, but the gradient is stopped there, so only
one chunk's caches are alive at a time.
"""

import numpy as np

from .cell import lstm_cell_backward, lstm_cell_forward
from .parameters import as_array, check_lstm_parameters, check_shape
from .sequence import GATE_GRADIENT_KEYS, cache_nbytes


def truncated_lstm_gradients(x, a0, parameters, da, k):
    """Gradients of L = Σ da ⊙ a by BPTT truncated to chunks of ``k`` steps.

    Steps ``0..k-1`` form the first chunk, ``k..2k-1`` the second, and so on. Within a
    chunk the backward pass is :func:`lstm.lstm_backward`'s; at a chunk's last step the
    gradient arriving from the next chunk is dropped (``da_prev`` and ``dc_prev`` of the
    next chunk's first step are set to zero). With ``k >= T_x`` this is full BPTT.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
        Initial hidden state; the cell state starts at zero, as in
        :func:`lstm.lstm_forward`.
    parameters : dict
        The LSTM's parameters.
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient on every hidden state.
    k : int
        Chunk length, the number of steps a gradient may travel back.

    Returns
    -------
    gradients : dict of ndarray
        ``dx`` (n_x, m, T_x), the truncated gradient on every input, and ``dWf, dbf,
        ..., dWo, dbo``, summed over all chunks.
    peak_cache_bytes : int
        The largest memory that one chunk's caches held (counted by
        :func:`lstm.sequence.cache_nbytes`).
    """
    x, a0, da = as_array("x", x), as_array("a0", a0), as_array("da", da)
    check_shape(
        "x", x, ("n_x", "m", "T_x"), (None, None, None), "features, batch, time"
    )
    n_x, m, T_x = x.shape
    check_shape("a0", a0, ("n_a", "m"), (None, m), f"m = {m} from x")
    n_a = a0.shape[0]
    check_shape("da", da, ("n_a", "m", "T_x"), (n_a, m, T_x), "one gradient per state")
    check_lstm_parameters(parameters, n_a, n_x)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")

    gradients = {
        key: np.zeros_like(parameters[key[1:]], dtype=float)
        for key in GATE_GRADIENT_KEYS
    }
    dx = np.zeros((n_x, m, T_x))
    a_prev, c_prev = a0, np.zeros((n_a, m))
    peak = 0
    for start in range(0, T_x, k):
        steps = range(start, min(start + k, T_x))
        x_chunk = x[
            :, :, steps.start : steps.stop
        ].copy()  # only this chunk's inputs are held
        caches = []
        for t in steps:  # forward: the state carries over from the previous chunk
            xt = x_chunk[:, :, t - start]
            a_prev, c_prev, _, cache = lstm_cell_forward(xt, a_prev, c_prev, parameters)
            caches.append(cache)
        peak = max(peak, cache_nbytes((caches, x_chunk)))
        da_next, dc_next = np.zeros((n_a, m)), np.zeros((n_a, m))  # the truncation
        for t, cache in zip(reversed(steps), reversed(caches), strict=True):
            step = lstm_cell_backward(da[:, :, t] + da_next, dc_next, cache)
            dx[:, :, t] = step["dxt"]
            for key in GATE_GRADIENT_KEYS:
                gradients[key] += step[key]
            da_next, dc_next = step["da_prev"], step["dc_prev"]
    return {"dx": dx, **gradients}, peak
