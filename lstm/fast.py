"""The fast path: the same LSTM as :mod:`lstm.sequence`, reorganised so that numpy spends its time in a few large
matrix products instead of many small ones. Chapter 9 ("Making it fast") derives every step; this docstring is the
short version.

The stacked layout
------------------
Equations (1), (2), (3) and (5) multiply the same vector ``[a⟨t-1⟩; x⟨t⟩]`` by four matrices. Stacking the four
matrices on top of each other gives one matrix and one product::

    W = [Wo; Wf; Wi; Wc]    shape (4 n_a, n_a + n_x)        b = [bo; bf; bi; bc]    shape (4 n_a, 1)

    z⟨t⟩ = W [a⟨t-1⟩; x⟨t⟩] + b                                 shape (4 n_a, m)

whose four blocks of ``n_a`` rows are the pre-activations of Γo, Γf, Γu and c̃. The gates are stacked in the order
output, forget, update, candidate (``GATE_ORDER``, unlike PyTorch's i, f, g, o) so that the three sigmoid gates are
rows ``0:3 n_a`` and the three gate gradients that (8)-(10) multiply by the cell-state gradient ``dc_total`` are
rows ``n_a:4 n_a``: each is one contiguous block, handled by one numpy call.

Splitting W by *columns* (not rows: ``W[:, :n_a]`` multiplies the hidden state) separates the two inputs::

    z⟨t⟩ = W_a a⟨t-1⟩ + (W_x x⟨t⟩ + b)        W_a = W[:, :n_a]  (4 n_a, n_a),   W_x = W[:, n_a:]  (4 n_a, n_x)

The bracket does not depend on the recursion, so it is computed for all T_x steps by ONE product
``W_x X`` with ``X`` the inputs laid side by side, shape (n_x, T_x·m). Only ``W_a a⟨t-1⟩`` must wait for the
previous step: one product per step.

The backward pass reorganises the same way. The weight gradients (11)-(14) are sums over steps of
``dz⟨t⟩ [a⟨t-1⟩; x⟨t⟩]ᵀ``; stacked, they are ONE product ``dW = dZ Hᵀ`` with ``dZ`` the gate gradients of all steps,
shape (4 n_a, T_x·m), and ``H`` the concatenated inputs of all steps, shape (n_a + n_x, T_x·m). The input gradients
(17) ``dx⟨t⟩ = W_xᵀ dz⟨t⟩`` are ONE product too. Only (15), ``da⟨t-1⟩ = W_aᵀ dz⟨t⟩``, feeds the step before and
stays in the loop.

Memory layout
-------------
Numpy stores arrays row by row, so inside this module every array is the transpose of the course's, one row per
example: ``z⟨t⟩ᵀ = a⟨t-1⟩ᵀ W_aᵀ + x⟨t⟩ᵀ W_xᵀ + bᵀ``, shape (m, 4 n_a). The buffers hold time first:
``gates`` (T_x, m, 4 n_a), ``c`` (T_x + 1, m, n_a), and ``hx`` (T_x + 1, m, n_a + n_x), whose block t is
``[a⟨t-1⟩ᵀ, x⟨t⟩ᵀ]``. Step t is then one contiguous block, and all steps together are the (T_x·m, ...) matrices
the big products need, without a copy. Every buffer is allocated once per call and written with ``out=``
arguments, so the loop over time creates no temporary arrays. The largest temporary of the backward pass, the gate
gradients of every step, is kept between calls (one per thread, replaced when the shape changes): a training loop
calls the backward pass with the same shapes again and again, and fresh memory costs a page fault per page.

σ(z) = tanh(z/2)/2 + 1/2 never overflows (``z = ±1000`` gives exactly 0 and 1). With the sigmoid gates' rows of W
and b halved (exact in floating point), one call to tanh serves all four gates of a step.

Both functions accept ``dtype=np.float64`` (the default, equal to the reference to about 1e-15) or ``np.float32``
(half the memory and about twice the speed of the products; about 1e-6 relative accuracy).
"""

import threading
from dataclasses import dataclass, fields

import numpy as np

from .activations import softmax
from .parameters import as_array, check_lstm_parameters, check_nonempty_sequence, check_shape

#: The gates in the order they are stacked in ``W`` and ``b``: output, forget, update (keys ``Wi, bi``), candidate.
GATE_ORDER = ("o", "f", "i", "c")

#: The data types the fast path computes in.
DTYPES = (np.float64, np.float32)


@dataclass(frozen=True, eq=False)
class FastCaches:
    """What :func:`lstm_forward` keeps for :func:`lstm_backward`: five arrays, each owning its memory.

    Attributes
    ----------
    W : ndarray, shape (4 n_a, n_a + n_x)
        The stacked gate weights ``[Wo; Wf; Wi; Wc]`` in the computation's dtype.
    hx : ndarray, shape (T_x + 1, m, n_a + n_x)
        The inputs of the products, one row per example: ``hx[t]`` is ``[a⟨t-1⟩ᵀ, x⟨t⟩ᵀ]`` for step t (counting
        from 0, so ``hx[0, :, :n_a]`` is a0ᵀ). The last block holds the final hidden state beside zeros.
    gates : ndarray, shape (T_x, m, 4 n_a)
        The gate values after σ or tanh: ``gates[t]`` holds Γo, Γf, Γu, c̃ of step t side by side, in
        ``GATE_ORDER``, each (m, n_a).
    c : ndarray, shape (T_x + 1, m, n_a)
        Cell states, transposed; ``c[0]`` is the zero initial state, ``c[t + 1]`` the state after step t.
    tanh_c : ndarray, shape (T_x, m, n_a)
        tanh of the cell state after each step, computed once in the forward pass and reused by (7) and by the
        gradient ``dc_total``.
    """

    W: np.ndarray
    hx: np.ndarray
    gates: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray

    @property
    def nbytes(self):
        """Bytes held by the arrays of this cache (see :func:`cache_nbytes`)."""
        return sum(getattr(self, field.name).nbytes for field in fields(self))


def cache_nbytes(caches):
    """The memory, in bytes, held by the caches of :func:`lstm_forward`.

    About ``(7 n_a + n_x)·T_x·m`` numbers plus the stacked weights, in the dtype of the computation, against the
    reference's ten arrays per step in float64.

    Parameters
    ----------
    caches : FastCaches
        As returned by :func:`lstm_forward`.

    Returns
    -------
    int
        The sum of ``nbytes`` over the arrays held; none is a view of another, so this is the memory they occupy.
    """
    _check_caches(caches)
    return caches.nbytes


# --- conversion to and from the stacked layout ----------------------------------------------------------


def _float_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be np.float64 or np.float32, got {dtype!r}") from None
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be np.float64 or np.float32, got {dtype}")
    return dtype


def _sizes_from_parameters(parameters):
    """n_a and n_x read from ``parameters['Wf']``, so that the shared check can test everything against them."""
    W = parameters.get("Wf") if hasattr(parameters, "get") else None
    shape = np.shape(W) if W is not None else ()
    if len(shape) != 2 or not 0 < shape[0] < shape[1]:
        return 1, 1  # any sizes: the shared check will then report what is wrong with Wf (or a missing key)
    return shape[0], shape[1] - shape[0]


def _stack(p, dtype):
    W = np.concatenate([p["W" + gate] for gate in GATE_ORDER], axis=0).astype(dtype, copy=False)
    b = np.concatenate([p["b" + gate] for gate in GATE_ORDER], axis=0).astype(dtype, copy=False)
    return W, b


def stack_parameters(parameters, dtype=np.float64):
    """The four gates' weights and biases stacked in ``GATE_ORDER`` (output, forget, update, candidate).

    Parameters
    ----------
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), ``Wy`` (n_y, n_a), ``by`` (n_y, 1);
        the prediction layer is checked but not stacked.
    dtype : np.float64 or np.float32

    Returns
    -------
    W : ndarray, shape (4 n_a, n_a + n_x)
        ``[Wo; Wf; Wi; Wc]``, a new array.
    b : ndarray, shape (4 n_a, 1)
        ``[bo; bf; bi; bc]``, a new array.
    """
    dtype = _float_dtype(dtype)
    n_a, n_x = _sizes_from_parameters(parameters)
    p, _ = check_lstm_parameters(parameters, n_a, n_x)
    return _stack(p, dtype)


def _unstack(W, b, prefix):
    W = as_array(f"{prefix}W", W)
    b = as_array(f"{prefix}b", b)
    check_shape(f"{prefix}W", W, ("4 n_a", "n_a + n_x"), (None, None), "the four gates stacked")
    n_a = W.shape[0] // 4
    if W.shape[0] != 4 * n_a or n_a == 0 or W.shape[1] <= n_a:
        raise ValueError(f"{prefix}W must have shape (4 n_a, n_a + n_x) with n_x >= 1, got shape {W.shape}")
    check_shape(f"{prefix}b", b, ("4 n_a", "1"), (4 * n_a, 1), f"n_a = {n_a} from {prefix}W")
    out = {}
    for k, gate in enumerate(GATE_ORDER):
        rows = slice(k * n_a, (k + 1) * n_a)
        out[f"{prefix}W{gate}"] = W[rows].copy()
        out[f"{prefix}b{gate}"] = b[rows].copy()
    return out


def unstack_parameters(W, b):
    """The inverse of :func:`stack_parameters` for the gates: ``{"Wf": ..., "bf": ..., ...}``.

    Parameters
    ----------
    W : ndarray, shape (4 n_a, n_a + n_x)
    b : ndarray, shape (4 n_a, 1)

    Returns
    -------
    dict of ndarray
        ``Wf, bf, Wi, bi, Wc, bc, Wo, bo`` (new arrays), the keys of the reference, without ``Wy, by``.
    """
    out = _unstack(W, b, "")
    return {key: out[key] for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}


def unstack_gradients(dW, db):
    """Stacked gradients back in the course's names: ``{"dWf": ..., "dbf": ..., ...}``.

    Parameters
    ----------
    dW : ndarray, shape (4 n_a, n_a + n_x)
        Gradient of the stacked weights, rows in ``GATE_ORDER``.
    db : ndarray, shape (4 n_a, 1)

    Returns
    -------
    dict of ndarray
        ``dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo`` (new arrays), in the order of :func:`lstm.lstm_backward`.
    """
    out = _unstack(dW, db, "d")
    return {key: out[key] for key in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")}


# --- the two passes ---------------------------------------------------------------------------------------


def sigmoid_inplace(z):
    """Overwrite ``z`` with σ(z) = (1 + tanh(z/2)) / 2 and return it.

    The same function as :func:`lstm.sigmoid`, written with tanh, which never overflows: ``z = ±1000`` gives
    exactly 1 and 0 in float32 and float64, without a warning, and no temporary array is created.
    """
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.multiply(z, 0.5, out=z)
    np.add(z, 0.5, out=z)
    return z


def lstm_forward(x, a0, parameters, dtype=np.float64):
    """The LSTM over a whole sequence, equations (1)-(6) for every step, with the gates stacked.

    Same arguments and results as :func:`lstm.lstm_forward`; only the caches differ. The input half of
    (1), (2), (3), (5) is one product for all steps; the loop does one product per step, W_a a⟨t-1⟩, then the
    gates, (4) and (6) in place.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        Inputs: features, then the batch, then time.
    a0 : ndarray, shape (n_a, m)
        Initial hidden state a⟨0⟩ (the initial cell state is zero).
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), ``Wy`` (n_y, n_a), ``by`` (n_y, 1).
    dtype : np.float64 or np.float32
        The precision of every computation and result.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        Hidden states a⟨1⟩ ... a⟨T_x⟩, equation (6).
    y : ndarray, shape (n_y, m, T_x)
        Predictions softmax(Wy a⟨t⟩ + by).
    c : ndarray, shape (n_a, m, T_x)
        Cell states c⟨1⟩ ... c⟨T_x⟩, equation (4).
    caches : FastCaches
        What :func:`lstm_backward` needs; :func:`cache_nbytes` reports its size.
    """
    dtype = _float_dtype(dtype)
    # The reference's checks, so that a wrong call gets the same message on either path.
    x = as_array("x", x)
    a0 = as_array("a0", a0)
    check_shape("x", x, ("n_x", "m", "T_x"), (None, None, None), "features, then the batch, then time")
    n_x, m, T_x = x.shape
    check_nonempty_sequence(x)
    check_shape("a0", a0, ("n_a", "m"), (None, m), f"m = {m} from x")
    n_a = a0.shape[0]
    p, n_y = check_lstm_parameters(parameters, n_a, n_x)

    W, b = _stack(p, dtype)  # (4 n_a, n_a + n_x), (4 n_a, 1): converted once per call
    # Inside, rows are examples: z<t>ᵀ = a<t-1>ᵀ W_aᵀ + x<t>ᵀ W_xᵀ + bᵀ, shape (m, 4 n_a).
    # σ(z) = tanh(z/2)/2 + 1/2. With the three sigmoid gates' weights and biases halved, ONE call to tanh serves
    # all four gates, and one multiply-add (by 1 and 0 for the candidate) turns three of them into σ.
    # Halving is exact in binary floating point: the results do not change.
    half = np.full(4 * n_a, 0.5, dtype=dtype)
    half[3 * n_a:] = 1
    shift = np.full(4 * n_a, 0.5, dtype=dtype)
    shift[3 * n_a:] = 0
    W_aT = W[:, :n_a].T * half  # (n_a, 4 n_a): the columns of W that multiply a<t-1>, sigmoid gates halved
    W_xT = W[:, n_a:].T * half  # (n_x, 4 n_a): the columns that multiply x<t>
    b_half = b[:, 0] * half

    hx = np.empty((T_x + 1, m, n_a + n_x), dtype=dtype)  # hx[t] = [a<t-1>ᵀ, x<t>ᵀ]
    hx[0, :, :n_a] = a0.T
    hx[:T_x, :, n_a:] = x.transpose(2, 1, 0)  # (n_x, m, T_x) -> (T_x, m, n_x)
    hx[T_x, :, n_a:] = 0
    gates = np.empty((T_x, m, 4 * n_a), dtype=dtype)
    c = np.empty((T_x + 1, m, n_a), dtype=dtype)
    c[0] = 0  # c<0>
    tanh_c = np.empty((T_x, m, n_a), dtype=dtype)

    # The input half of (1), (2), (3), (5) for every step in ONE product: (T_x m, n_x) @ (n_x, 4 n_a), plus b.
    z = gates.reshape(T_x * m, 4 * n_a)
    np.matmul(hx[:T_x, :, n_a:].reshape(T_x * m, n_x), W_xT, out=z)
    np.add(z, b_half, out=z)

    recurrent = np.empty((m, 4 * n_a), dtype=dtype)  # a<t-1>ᵀ W_aᵀ: the one product per step
    candidate_in = np.empty((m, n_a), dtype=dtype)  # Γu ⊙ c̃
    # Views over every step, made once: o[t] is Γo of step t, (m, n_a); h[t] is a<t-1>ᵀ.
    o, f, i, cc = (gates[:, :, k * n_a:(k + 1) * n_a] for k in range(4))
    h = hx[:, :, :n_a]
    for t in range(T_x):
        zt = gates[t]  # (m, 4 n_a): this step's (halved) pre-activations, then its gate values
        np.matmul(h[t], W_aT, out=recurrent)
        np.add(zt, recurrent, out=zt)
        np.tanh(zt, out=zt)  # (3) the candidate c̃ in the last block; tanh(z/2) in the three others
        np.multiply(zt, half, out=zt)
        np.add(zt, shift, out=zt)  # (5), (1), (2): Γo, Γf, Γu = tanh(z/2)/2 + 1/2; c̃ unchanged
        np.multiply(f[t], c[t], out=c[t + 1])  # (4) c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃
        np.multiply(i[t], cc[t], out=candidate_in)
        np.add(c[t + 1], candidate_in, out=c[t + 1])
        np.tanh(c[t + 1], out=tanh_c[t])
        np.multiply(o[t], tanh_c[t], out=h[t + 1])  # (6) a<t> = Γo ⊙ tanh(c<t>)

    # Predictions for every step with one product; softmax over the n_y classes (axis 0).
    a_all = hx[1:, :, :n_a].reshape(T_x * m, n_a)
    y_all = softmax(p["Wy"].astype(dtype, copy=False) @ a_all.T + p["by"].astype(dtype, copy=False))

    # Back to the course's (rows, m, T_x); copies, so that changing a result cannot change the cache.
    a = _time_last(hx[1:, :, :n_a])
    c_out = _time_last(c[1:])
    y = np.ascontiguousarray(y_all.reshape(n_y, T_x, m).transpose(0, 2, 1))
    return a, y, c_out, FastCaches(W=W, hx=hx, gates=gates, c=c, tanh_c=tanh_c)


def _time_last(steps):
    """A new array (rows, m, T_x) holding ``steps`` (T_x, m, rows), the internal layout, in the course's layout.

    Copied one step at a time for large arrays: each step is then a block of memory read in order, which is
    several times faster than one transposing copy that jumps through the whole array for every number.
    """
    T_x, m, rows = steps.shape
    if steps.size < 1 << 14:
        return np.ascontiguousarray(steps.transpose(2, 1, 0))
    out = np.empty((rows, m, T_x), dtype=steps.dtype)
    for t in range(T_x):
        out[:, :, t] = steps[t].T
    return out


_WORKSPACE = threading.local()


def _workspace(name, shape, dtype):
    """A scratch array kept between calls (one per thread), so that repeated calls reuse its memory.

    Large arrays allocated anew at every call cost the operating system's page faults each time they are first
    written; a training loop calls the backward pass with the same shapes again and again.
    """
    array = getattr(_WORKSPACE, name, None)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = np.empty(shape, dtype=dtype)
        setattr(_WORKSPACE, name, array)
    return array


def _check_caches(caches):
    if not isinstance(caches, FastCaches):
        hint = " (the reference lstm.lstm_forward's caches do not fit)" if isinstance(caches, tuple) else ""
        raise ValueError(f"caches must be the FastCaches that lstm.fast.lstm_forward returns{hint}; "
                         f"got {type(caches).__name__}")


#: How many numbers a block of steps in the backward pass may hold (about 1 MB in float64, half a core's L2 cache).
_BLOCK_NUMBERS = 1 << 17


def _gate_factors(gates, c, tanh_c, dz, into_c, scratch):
    """The parts of (7)-(10) that the incoming gradients multiply, for a block of K steps at once.

    Parameters
    ----------
    gates : ndarray, shape (K, m, 4 n_a)
        Γo, Γf, Γu, c̃ of the K steps, stacked along the last axis.
    c : ndarray, shape (K, m, n_a)
        The cell states *before* each step, c⟨t-1⟩.
    tanh_c : ndarray, shape (K, m, n_a)
        tanh(c⟨t⟩) after each step.
    dz : ndarray, shape (K, m, 4 n_a)
        Filled with ``tanh(c⟨t⟩) Γo (1 - Γo)``, ``c⟨t-1⟩ Γf (1 - Γf)``, ``c̃ Γu (1 - Γu)``, ``Γu (1 - c̃²)``: (7) is
        the first times the gradient at a⟨t⟩, (10), (9), (8) are the others times ``dc_total``.
    into_c : ndarray, shape (K, m, n_a)
        Filled with ``Γo (1 - tanh²(c⟨t⟩))``, the derivative of a⟨t⟩ with respect to c⟨t⟩.
    scratch : ndarray, shape (K, m, 4 n_a)
        Working space, overwritten.
    """
    n_a = tanh_c.shape[2]
    o, i, cc = gates[:, :, :n_a], gates[:, :, 2 * n_a:3 * n_a], gates[:, :, 3 * n_a:]
    dzo, dzf, dzi, dzc = (dz[:, :, k * n_a:(k + 1) * n_a] for k in range(4))
    # Each gate's derivative with respect to its pre-activation, all four blocks at once:
    # σ' = (1 - σ) σ for Γo, Γf, Γu and tanh' = 1 - c̃² = (1 - c̃)(1 + c̃) for c̃, i.e. (1 - g)(g + [0, 0, 0, 1]).
    np.subtract(1, gates, out=dz)
    np.copyto(scratch, gates)
    np.add(scratch[:, :, 3 * n_a:], 1, out=scratch[:, :, 3 * n_a:])
    np.multiply(dz, scratch, out=dz)
    np.multiply(dzo, tanh_c, out=dzo)
    np.multiply(dzf, c, out=dzf)
    np.multiply(dzi, cc, out=dzi)
    np.multiply(dzc, i, out=dzc)
    np.multiply(tanh_c, tanh_c, out=into_c)
    np.subtract(1, into_c, out=into_c)
    np.multiply(into_c, o, out=into_c)


def lstm_backward(da, caches):
    """Backpropagation through time with the gates stacked: equations (7)-(17) for every step.

    Same results, with the same names, as :func:`lstm.lstm_backward`. The factors of (7)-(10) that do not depend
    on the incoming gradients are computed a block of steps at a time (:func:`_gate_factors`); the loop multiplies
    them by the gradients arriving at a⟨t⟩ and c⟨t⟩, applies (16), and does one product per step, (15). The gate
    gradients of every step are kept, so the weight gradients (11)-(14) and the input gradients (17) are one
    product each, after the loop.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient of the loss with respect to every hidden state a⟨t⟩.
    caches : FastCaches
        As returned by :func:`lstm_forward`; the gradients are computed in its dtype.

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x), (17); ``da0`` (n_a, m), (15) at the first step; ``dWf, dWi, dWc, dWo``
        (n_a, n_a + n_x), (11)-(14); ``dbf, dbi, dbc, dbo`` (n_a, 1), the sums beside (11)-(14). All in the
        dtype of the caches.
    """
    _check_caches(caches)
    W, hx, gates, c, tanh_c = caches.W, caches.hx, caches.gates, caches.c, caches.tanh_c
    T_x, m, n_a4 = gates.shape
    n_a = n_a4 // 4
    n_x = hx.shape[2] - n_a
    dtype = W.dtype
    da = as_array("da", da)
    check_shape("da", da, ("n_a", "m", "T_x"), (n_a, m, T_x), "its time axis must match the forward pass")

    da_steps = da.transpose(2, 1, 0)  # (T_x, m, n_a), a view: da_steps[t] is the upstream gradient on a<t>ᵀ
    if da.dtype != dtype:
        da_steps = da_steps.astype(dtype)
    dz = _workspace("dz", (T_x, m, 4 * n_a), dtype)  # the gate gradients of every step, stacked o, f, i, c

    W_a = np.ascontiguousarray(W[:, :n_a])  # (4 n_a, n_a)
    W_x = np.ascontiguousarray(W[:, n_a:])  # (4 n_a, n_x)
    dh = np.empty((m, n_a), dtype=dtype)  # the gradient reaching a<t>: from above, and from step t+1 by (15)
    dc_total = np.empty((m, n_a), dtype=dtype)  # the gradient reaching c<t> along both paths
    dc_next = np.zeros((m, n_a), dtype=dtype)  # the gradient on c<t> from step t+1 (none after the last step)
    da_prev = np.zeros((m, n_a), dtype=dtype)  # (15) of step t+1 (none after the last step)
    # The factors of (7)-(10) that do not depend on the incoming gradients are computed a block of steps at a
    # time: few numpy calls for short sequences, and blocks small enough to stay in the processor's cache.
    block = min(T_x, max(1, _BLOCK_NUMBERS // (m * 4 * n_a)))
    into_c = np.empty((block, m, n_a), dtype=dtype)  # Γo (1 - tanh²(c<t>)) for the steps of one block
    scratch = np.empty((block, m, 4 * n_a), dtype=dtype)
    # Views over every step, made once: dzo[t] is (m, n_a), dz_fic[t] the blocks of f, i, c as (m, 3, n_a).
    dzo, dz_fic, f = dz[:, :, :n_a], dz[:, :, n_a:].reshape(T_x, m, 3, n_a), gates[:, :, n_a:2 * n_a]
    dc_total_3 = dc_total[:, None, :]  # dc_total broadcast over the three blocks
    for stop in range(T_x, 0, -block):
        start = max(0, stop - block)
        _gate_factors(gates[start:stop], c[start:stop], tanh_c[start:stop], dz[start:stop], into_c[:stop - start],
                      scratch[:stop - start])
        for t in reversed(range(start, stop)):
            np.add(da_steps[t], da_prev, out=dh)
            np.multiply(dh, into_c[t - start], out=dc_total)
            np.add(dc_total, dc_next, out=dc_total)  # dc_total = dc_next + da<t> ⊙ Γo ⊙ (1 - tanh²(c<t>))
            np.multiply(dzo[t], dh, out=dzo[t])  # (7) dzo
            np.multiply(dz_fic[t], dc_total_3, out=dz_fic[t])  # (10) dzf, (9) dzi, (8) dzc
            np.multiply(dc_total, f[t], out=dc_next)  # (16) dc_prev = dc_total ⊙ Γf
            np.matmul(dz[t], W_a, out=da_prev)  # (15) da_prev, the one product per step

    dz_all = dz.reshape(T_x * m, 4 * n_a)  # every step's gate gradients, one row per (step, example)
    dW = dz_all.T @ hx[:T_x].reshape(T_x * m, n_a + n_x)  # (11)-(14): every gate and step in ONE product
    db = dz_all.sum(axis=0)[:, None]  # the bias gradients beside (11)-(14)
    dx_all = dz_all @ W_x  # (17) for every step in one product, (T_x m, n_x)
    dx = _time_last(dx_all.reshape(T_x, m, n_x))
    # The gate blocks of dW and db in the course's names (views of the two new arrays: no copy needed).
    blocks = {gate: slice(k * n_a, (k + 1) * n_a) for k, gate in enumerate(GATE_ORDER)}
    gradients = {"dx": dx, "da0": np.ascontiguousarray(da_prev.T)}
    for gate in "fico":
        gradients["dW" + gate], gradients["db" + gate] = dW[blocks[gate]], db[blocks[gate]]
    return gradients


__all__ = [
    "DTYPES",
    "GATE_ORDER",
    "FastCaches",
    "cache_nbytes",
    "lstm_backward",
    "lstm_forward",
    "sigmoid_inplace",
    "stack_parameters",
    "unstack_gradients",
    "unstack_parameters",
]
