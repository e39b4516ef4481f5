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
previous step: one product per step. The bias rides along in that product as the weight of an extra input that is
always 1: ``W_x x⟨t⟩ + b = [W_x, b] [x⟨t⟩; 1]``.

The backward pass reorganises the same way. The weight gradients (11)-(14) are sums over steps of
``dz⟨t⟩ [a⟨t-1⟩; x⟨t⟩]ᵀ``; stacked, they are ONE product ``dW = dZ Hᵀ`` with ``dZ`` the gate gradients of all steps,
shape (4 n_a, T_x·m), and ``H`` the concatenated inputs of all steps, shape (n_a + n_x, T_x·m); with the row of ones
below ``H``, the same product gives the bias gradients ``db = dZ 1`` as its last column. The input gradients
(17) ``dx⟨t⟩ = W_xᵀ dz⟨t⟩`` are ONE product too. Only (15), ``da⟨t-1⟩ = W_aᵀ dz⟨t⟩``, feeds the step before and
stays in the loop.

Memory layout
-------------
Every array keeps the course's orientation, one column per example, and lays the steps side by side: the m columns
of step t are columns ``t m`` to ``t m + m``. ``gates`` (4 n_a, T_x m) holds z⟨t⟩ and then the gates of every step,
``c`` (n_a, (T_x + 1) m) the cell states from c⟨0⟩, and ``hx`` (n_a + n_x + 1, (T_x + 1) m) the inputs of the
products, whose columns of step t are ``[a⟨t-1⟩; x⟨t⟩; 1]``. All steps together are then exactly the matrices
``X``, ``dZ`` and ``H`` of the big products above, without a copy, and a step is a block of columns that the
products read in place (numpy hands the BLAS the distance between rows). The orientation matters for speed: the
product that stays in the loop, ``W_a a⟨t-1⟩`` of shape (4 n_a, n_a) x (n_a, m), runs faster than its transpose
``a⟨t-1⟩ᵀ W_aᵀ`` on the BLAS measured in chapter 9, when m is small. Every operation writes into an existing array
with an ``out=`` argument, so the loop over time creates no temporary arrays.

numpy's fixed cost per call is about a quarter of a microsecond when every array is contiguous, and more when one
is a block of a larger array (such as one step's columns). On small problems that difference is most of the time,
so the numpy loop computes each step's gates in a contiguous buffer, works on whole blocks where it can (σ and tanh
over the four gates at once), and in the backward pass computes what does not depend on the incoming gradients for
a block of steps at a time.

Workspaces
----------
Memory that numpy has not touched before costs the operating system a page fault per 4 KiB page when it is first
written, and the C library returns large freed blocks to the operating system, so a call that allocated its arrays
afresh can pay those faults again at every call (on the medium benchmark, up to about 1,600 faults and several
milliseconds per call, depending on what else the process has allocated). A training loop calls both passes with the
same shapes again and again, so every large array -- the caches, the temporaries and the results -- comes from a
small pool (:func:`_workspace`, one pool per thread) and is used again by a later call of the same shape and dtype.
An array is lent again only when nothing else refers to it: while a caller holds a result, the caches or a view of
one of their arrays, a new array is allocated instead, so no call can overwrite what an earlier call returned. Every
element of a workspace is written before it is read, so nothing left by an earlier call reaches a result. The pool
keeps the arrays of the last two shapes used per thread; :func:`workspace_nbytes` reports what it holds and
:func:`release_workspaces` frees it.

In the numpy loop, σ(z) = tanh(z/2)/2 + 1/2, which never overflows (``z = ±1000`` gives exactly 0 and 1). With the
sigmoid gates' rows of W and b halved (exact in floating point), one call to tanh serves all four gates of a step.

Fused element-wise work
-----------------------
At the sizes of a small course model, a step's matrix product is a few microseconds, and so is the element-wise
work around it when numpy does it: each of its dozen calls reads and writes whole arrays and pays its fixed cost.
With Numba installed (the optional extra, ``pip install -e ".[fast]"``), the loops over time call two compiled
kernels of :mod:`lstm.fast_kernels` instead, one per step and direction, which do all of a step's element-wise work
in one pass: the four activations, (4) and (6) in the forward pass; ``dc_total``, (7)-(10) and (16) in the backward
pass. Their loops run along the rows, over the m examples of a step, which sit next to each other in memory, so the
compiled code works on several numbers at once (vector instructions), exp, σ and tanh included. The numpy code
below stays as the readable statement of what the kernels fuse, and runs when Numba is not installed or when
:func:`set_backend` asks for it; :data:`BACKEND` (or :func:`backend`) says which one runs. The two give the same
numbers to rounding (about 1e-16 relative in float64).

Both functions accept ``dtype=np.float64`` (the default, equal to the reference to about 1e-15) or ``np.float32``
(half the memory and about twice the speed of the products; about 1e-6 relative accuracy).
"""

import contextlib
import os
import sys
import threading
from dataclasses import dataclass, fields
from functools import lru_cache
from math import prod

import numpy as np

from . import fast_kernels
from .parameters import (
    LSTM_PARAMETER_KEYS,
    as_array,
    check_lstm_parameters,
    check_sequence_inputs,
    check_shape,
    lstm_sizes,
)

#: The gates in the order they are stacked in ``W`` and ``b``: output, forget, update (keys ``Wi, bi``), candidate.
GATE_ORDER = ("o", "f", "i", "c")

#: The data types the fast path computes in.
DTYPES = (np.float64, np.float32)

#: The ways the element-wise work of a step can run: compiled by Numba, or as numpy calls.
BACKENDS = ("numba", "numpy")

#: Which of ``BACKENDS`` the two passes use now: "numba" when Numba is installed, unless the environment variable
#: ``LSTM_FAST_BACKEND=numpy`` or :func:`set_backend` says otherwise.
BACKEND = "numba" if fast_kernels.AVAILABLE and os.environ.get("LSTM_FAST_BACKEND", "") != "numpy" else "numpy"


def backend():
    """The backend the two passes use now: ``"numba"`` or ``"numpy"`` (see :data:`BACKEND`)."""
    return BACKEND


def set_backend(name):
    """Use ``name`` (``"numba"`` or ``"numpy"``) for the element-wise work from now on; return the previous one.

    Raises
    ------
    ValueError
        For another name, or for ``"numba"`` when Numba is not installed (the error says how to install it).
    """
    global BACKEND
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    if name == "numba" and not fast_kernels.AVAILABLE:
        raise ValueError('the numba backend needs Numba: .venv/bin/pip install -e ".[fast]"')
    previous, BACKEND = BACKEND, name
    return previous


@contextlib.contextmanager
def use_backend(name):
    """``with use_backend("numpy"): ...`` runs the block on that backend, then restores the previous one."""
    previous = set_backend(name)
    try:
        yield name
    finally:
        set_backend(previous)


def compile_kernels():
    """Compile the Numba kernels (or load them from Numba's cache on disk) for both dtypes; return the seconds.

    Called by nothing here: the first call of each pass compiles what it needs. A benchmark calls it first, so
    that compiling is reported apart from running. 0.0 when Numba is not installed.
    """
    return fast_kernels.compile_kernels()


@dataclass(frozen=True, eq=False)
class FastCaches:
    """What :func:`lstm_forward` keeps for :func:`lstm_backward`: five arrays, each owning its memory.

    Attributes
    ----------
    W : ndarray, shape (4 n_a, n_a + n_x)
        The stacked gate weights ``[Wo; Wf; Wi; Wc]`` in the computation's dtype.
    hx : ndarray, shape (n_a + n_x + 1, (T_x + 1) m)
        The inputs of the products, one column per example and step: columns ``t m`` to ``t m + m`` hold
        ``[a⟨t-1⟩; x⟨t⟩; 1]`` for step t (counting from 0, so ``hx[:n_a, :m]`` is a0); the row of ones carries the
        bias. The last block holds the final hidden state above zeros (and the ones).
    gates : ndarray, shape (4 n_a, T_x m)
        The gate values after σ or tanh: the columns of step t hold Γo, Γf, Γu, c̃ of that step, blocks of n_a
        rows in ``GATE_ORDER``.
    c : ndarray, shape (n_a, (T_x + 1) m)
        Cell states; the first m columns are the zero initial state, the columns of block t + 1 the state after
        step t.
    tanh_c : ndarray, shape (n_a, T_x m)
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

    About ``(7 n_a + n_x + 1)·T_x·m`` numbers plus the stacked weights, in the dtype of the computation, against
    the reference's ten arrays per step in float64. The arrays come from the pool of workspaces (see
    :func:`workspace_nbytes`), which uses them again once the caches are dropped.

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
    n_a, n_x = lstm_sizes(parameters)
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


def _checked_forward_inputs(x, a0, parameters):
    """``x, a0``, the parameters by key and ``n_y``, after the reference's checks.

    The common case (ndarrays of numbers with the right shapes, in a dict) is recognised with a few comparisons;
    anything else goes through the shared checks of :mod:`lstm.parameters`, which the reference uses, so that a
    wrong call gets the reference's message on either path. The quick test accepts nothing the shared checks refuse.
    """
    if type(x) is np.ndarray and type(a0) is np.ndarray and type(parameters) is dict and x.ndim == 3 \
            and a0.ndim == 2 and x.shape[2] > 0 and a0.shape[1] == x.shape[1] and x.dtype.kind in "biuf" \
            and a0.dtype.kind in "biuf":
        p = {key: parameters.get(key) for key in LSTM_PARAMETER_KEYS}
        Wy = p["Wy"]
        if type(Wy) is np.ndarray and Wy.ndim == 2:
            n_a, n_x, n_y = a0.shape[0], x.shape[0], Wy.shape[0]
            weights, bias = (n_a, n_a + n_x), (n_a, 1)
            shapes = (weights, bias, weights, bias, weights, bias, weights, bias, (n_y, n_a), (n_y, 1))
            for array, shape in zip(p.values(), shapes, strict=True):
                if type(array) is not np.ndarray or array.shape != shape or array.dtype.kind not in "biuf":
                    break
            else:
                return x, a0, p, n_y
    x, a0 = check_sequence_inputs(x, a0)
    p, n_y = check_lstm_parameters(parameters, a0.shape[0], x.shape[0])
    return x, a0, p, n_y


@lru_cache(maxsize=4)
def _sigmoid_scales(m, n_a, dtype):
    """``half`` and ``shift``, shape (4 n_a, m): 1/2 and 1/2 in the sigmoid gates' rows, 1 and 0 in the candidate's.

    σ(z) = tanh(z/2)/2 + 1/2: multiplying the sigmoid gates' weights and biases by ``half`` before the tanh, and the
    tanh by ``half`` and adding ``shift`` after it, gives Γo, Γf, Γu and leaves c̃ = tanh(z) as it is. Both have the
    shape of one step's gates, because numpy combines arrays of equal shape several times faster than it broadcasts a
    column over a matrix. Made once per (m, n_a, dtype) and read-only, since every call shares them (the last four
    kinds are kept, for all threads; :func:`release_workspaces` lets them go too).
    """
    half = np.full((4 * n_a, m), 0.5, dtype=dtype)
    half[3 * n_a:] = 1
    shift = np.full((4 * n_a, m), 0.5, dtype=dtype)
    shift[3 * n_a:] = 0
    half.flags.writeable = shift.flags.writeable = False
    return half, shift


def lstm_forward(x, a0, parameters, dtype=np.float64):
    """The LSTM over a sequence, equations (1)-(6) for each step, gates stacked.

    Same arguments and results as :func:`lstm.lstm_forward`; only the caches differ.
    The input half of (1), (2), (3), (5) is one product for all steps; the loop does
    one product per step, W_a a⟨t-1⟩, then the gates, (4) and (6) in place.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        Inputs: features, then the batch, then time.
    a0 : ndarray, shape (n_a, m)
        Initial hidden state a⟨0⟩ (the initial cell state is zero).
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1),
        ``Wy`` (n_y, n_a), ``by`` (n_y, 1).
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

    No later call writes into ``a``, ``y``, ``c`` or the caches while they are referred
    to (see the module's notes on workspaces).
    """
    dtype = _float_dtype(dtype)
    # The reference's checks and messages:
    x, a0, p, n_y = _checked_forward_inputs(x, a0, parameters)
    n_x, m, T_x = x.shape
    n_a = a0.shape[0]

    # The caches' arrays, from the pool of workspaces: every element of each is written
    # below before it is read. One column per example and step, step t in columns
    # t m to t m + m (see "Memory layout" above).
    W = _workspace("W", (4 * n_a, n_a + n_x), dtype)
    hx = _workspace("hx", (n_a + n_x + 1, (T_x + 1) * m), dtype)  # [a<t-1>; x<t>; 1]
    gates = _workspace("gates", (4 * n_a, T_x * m), dtype)
    c = _workspace("c", (n_a, (T_x + 1) * m), dtype)
    tanh_c = _workspace("tanh_c", (n_a, T_x * m), dtype)

    # The stacked weights [Wo; Wf; Wi; Wc] (4 n_a, n_a + n_x), converted once per call.
    W_blocks = [p["W" + gate] for gate in GATE_ORDER]
    np.concatenate(W_blocks, axis=0, out=W, casting="unsafe")
    # z<t> = W_a a<t-1> + [W_x, b] [x<t>; 1], shape (4 n_a, m): the bias is the weight
    # of an input that is always 1, so the product adds it.
    # σ(z) = tanh(z/2)/2 + 1/2. With the sigmoid gates' weights and biases halved, ONE
    # call to tanh serves all four gates in the numpy loop, and one multiply-add (by 1
    # and 0 for the candidate) turns three of them into σ; the kernels compute σ(2 z).
    # Halving is exact in binary floating point: the results do not change.
    half, shift = _sigmoid_scales(m, n_a, dtype)
    Wb_half = _workspace("Wb_half", (4 * n_a, n_a + n_x + 1), dtype)  # [W, b], halved
    np.multiply(W, half[:, :1], out=Wb_half[:, :-1])
    b = np.concatenate([p["b" + gate] for gate in GATE_ORDER], axis=0)
    np.multiply(b, half[:, :1], out=Wb_half[:, -1:], casting="unsafe")
    # (4 n_a, n_a) multiplies a<t-1>; (4 n_a, n_x + 1) multiplies [x<t>; 1].
    W_a_half, W_x1_half = Wb_half[:, :n_a], Wb_half[:, n_a:]

    hx[:n_a, :m] = a0
    # A view with the steps on an axis of their own:
    steps = hx.reshape(n_a + n_x + 1, T_x + 1, m)
    steps[n_a:-1, :T_x] = x.transpose(0, 2, 1)  # (n_x, m, T_x) -> (n_x, T_x, m)
    steps[n_a:-1, T_x] = 0
    hx[-1] = 1
    c[:, :m] = 0  # c<0>

    # The input half of (1), (2), (3), (5) and the bias for every step in ONE product:
    # (4 n_a, n_x + 1) @ (n_x + 1, T_x m).
    np.matmul(W_x1_half, hx[n_a:, :T_x * m], out=gates)

    recurrent = np.empty((4 * n_a, m), dtype=dtype)  # W_a a<t-1>, one product a step
    a_all = hx[:n_a]  # the columns of step t are a<t-1>, (n_a, m)
    if BACKEND == "numba":  # each step's element-wise work in one compiled pass
        forward_step = fast_kernels.KERNELS[dtype][0]
        for t in range(T_x):
            np.matmul(W_a_half, a_all[:, t * m:(t + 1) * m], out=recurrent)
            forward_step(gates, recurrent, c, tanh_c, hx, t)
    else:
        _forward_loop_numpy(gates, recurrent, c, tanh_c, a_all, W_a_half, half, shift)

    # Back to the course's (rows, m, T_x), in arrays that the caller owns (changing
    # them cannot change the cache).
    a = _time_last(a_all[:, m:], m, "a")
    c_out = _time_last(c[:, m:], m, "c_out")

    # Predictions for every step with one product, Wy a + by over the columns of a
    # (n_a, m T_x), already in the course's order; then the softmax over the n_y
    # classes (axis 0): the operations of lstm.softmax, in place.
    y = _workspace("y", (n_y, m, T_x), dtype)
    scores = y.reshape(n_y, m * T_x)
    Wy, by = p["Wy"].astype(dtype, copy=False), p["by"].astype(dtype, copy=False)
    np.matmul(Wy, a.reshape(n_a, m * T_x), out=scores)
    np.add(scores, by, out=scores)
    largest = np.maximum.reduce(scores, axis=0)  # the largest score of each column
    np.subtract(scores, largest, out=scores)
    np.exp(scores, out=scores)
    np.divide(scores, np.add.reduce(scores, axis=0), out=scores)  # by each column's sum
    return a, y, c_out, FastCaches(W=W, hx=hx, gates=gates, c=c, tanh_c=tanh_c)


def _forward_loop_numpy(gates, z_t, c, tanh_c, a_all, W_a_half, half, shift):
    """The loop of :func:`lstm_forward` in numpy calls: what the forward kernel fuses.

    ``gates`` holds the input part of every step's (halved) pre-activations on entry
    and the gates on return; the columns of step t + 1 of ``c`` and ``a_all`` (the first
    n_a rows of ``hx``) and those of step t of ``tanh_c`` are written for every step t.
    ``z_t`` (4 n_a, m) is a contiguous buffer in which each step's gates are computed.
    """
    n_a, m = tanh_c.shape[0], z_t.shape[1]
    T_x = tanh_c.shape[1] // m
    candidate_in = np.empty((n_a, m), dtype=gates.dtype)  # Γu ⊙ c̃
    # Views of z_t, (n_a, m) each:
    o, f, i, cc = (z_t[k * n_a:(k + 1) * n_a] for k in range(4))
    for t in range(T_x):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        c_next, tanh_c_t = c[:, after], tanh_c[:, now]
        np.matmul(W_a_half, a_all[:, now], out=z_t)
        # The (halved) pre-activations, then the gates:
        np.add(z_t, gates[:, now], out=z_t)
        np.tanh(z_t, out=z_t)  # (3) c̃ in the last block; tanh(z/2) in the others
        np.multiply(z_t, half, out=z_t)
        np.add(z_t, shift, out=z_t)  # (5), (1), (2): Γ = tanh(z/2)/2 + 1/2; c̃ as is
        gates[:, now] = z_t
        np.multiply(f, c[:, now], out=c_next)  # (4) c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃
        np.multiply(i, cc, out=candidate_in)
        np.add(c_next, candidate_in, out=c_next)
        np.tanh(c_next, out=tanh_c_t)
        np.multiply(o, tanh_c_t, out=a_all[:, after])  # (6) a<t> = Γo ⊙ tanh(c<t>)


def _time_last(steps, m, name):
    """An array (rows, m, T_x) holding ``steps`` (rows, T_x m), the internal layout, in the course's layout.

    ``steps`` may be a view whose rows are further apart than T_x m numbers (a block of rows of ``hx``). The
    array is the workspace ``name`` (:func:`_workspace`): nothing else refers to it, and it is overwritten whole.
    """
    rows, T_x = steps.shape[0], steps.shape[1] // m
    out = _workspace(name, (rows, m, T_x), steps.dtype)
    np.copyto(out, steps.reshape(rows, T_x, m).transpose(0, 2, 1))
    return out


def _time_first(values, name, dtype):
    """The workspace ``name``, shape (rows, T_x m), holding ``values`` (rows, m, T_x) converted to ``dtype``.

    The inverse of :func:`_time_last`.
    """
    rows, m, T_x = values.shape
    out = _workspace(name, (rows, T_x * m), dtype)
    np.copyto(out.reshape(rows, T_x, m), values.transpose(0, 2, 1))
    return out


#: How many shapes (each with its dtype) the pool keeps each workspace for, per thread: the most recently used.
_SHAPES_KEPT = 2

#: Arrays smaller than this (in bytes) do not go through the pool.
_POOL_MIN_BYTES = 1 << 16


class _Pool(threading.local):
    """The workspaces of one thread: ``arrays[name]`` maps (shape, dtype) to an array, least recently used first."""

    def __init__(self):
        self.arrays = {}


_POOL = _Pool()


def _workspace(name, shape, dtype):
    """An array of ``shape`` and ``dtype`` that nothing else refers to, kept between calls to be used again.

    A training loop calls both passes with the same shapes again and again; handing it the same memory each time
    saves the operating system's page faults on fresh memory. The array is lent again only if the pool holds the
    only reference to it: ``sys.getrefcount`` counts every name, container, cache and view that still refers to an
    array (a view refers to its base), so an array that a caller still holds, directly or through the caches, is
    never handed out; a new one is allocated and takes its place in the pool. The contents are whatever the last
    call left: every caller writes all of an array before reading it. Arrays under ``_POOL_MIN_BYTES`` are simply
    allocated: the C library reuses small blocks without page faults, and the bookkeeping would cost more.
    """
    if dtype.itemsize * prod(shape) < _POOL_MIN_BYTES:  # dtype is an np.dtype
        return np.empty(shape, dtype=dtype)
    kept = _POOL.arrays.setdefault(name, {})
    array = kept.pop((shape, dtype), None)
    # What getrefcount counts for its own argument differs between Python versions (3.14 borrows it), so compare
    # with an object that only a local name refers to, counted the same way: more means someone else holds it.
    alone = object()
    if array is None or sys.getrefcount(array) > sys.getrefcount(alone):
        array = np.empty(shape, dtype=dtype)
    kept[shape, dtype] = array  # re-inserted last, as the most recently used
    if len(kept) > _SHAPES_KEPT:
        del kept[next(iter(kept))]
    return array


def workspace_nbytes():
    """The bytes held by this thread's pool of workspaces (see :func:`_workspace`).

    Some of them may also be counted by :func:`cache_nbytes`: the arrays of caches that are still alive belong to the
    pool too, which uses them again once the caches are dropped. At most the arrays of two calls' shapes are kept.
    """
    return sum(array.nbytes for kept in _POOL.arrays.values() for array in kept.values())


def release_workspaces():
    """Let this thread's pool of workspaces go (caches still alive keep their arrays); the next call starts afresh.

    The constants of :func:`_sigmoid_scales`, shared by all threads, are let go too.
    """
    _POOL.arrays.clear()
    _sigmoid_scales.cache_clear()


def _check_caches(caches):
    if not isinstance(caches, FastCaches):
        hint = " (the reference lstm.lstm_forward's caches do not fit)" if isinstance(caches, tuple) else ""
        raise ValueError(f"caches must be the FastCaches that lstm.fast.lstm_forward returns{hint}; "
                         f"got {type(caches).__name__}")


#: The names of the gradients of each gate, in the reference's order, and the gate's block of rows in dW and db.
_GRADIENT_BLOCKS = tuple((f"dW{gate}", f"db{gate}", GATE_ORDER.index(gate)) for gate in "fico")

#: How many numbers a block of steps in the backward pass may hold (about 1 MB in float64, half a core's L2 cache).
_BLOCK_NUMBERS = 1 << 17


def _gate_factors(gates, c, tanh_c, dz, into_c):
    """The parts of (7)-(10) that the incoming gradients multiply, for a block of K steps at once.

    Every array holds the K steps' columns side by side (K m columns), as in :class:`FastCaches`.

    Parameters
    ----------
    gates : ndarray, shape (4 n_a, K m)
        Γo, Γf, Γu, c̃ of the K steps, blocks of n_a rows in ``GATE_ORDER``.
    c : ndarray, shape (n_a, K m)
        The cell states *before* each step, c⟨t-1⟩.
    tanh_c : ndarray, shape (n_a, K m)
        tanh(c⟨t⟩) after each step.
    dz : ndarray, shape (4 n_a, K m)
        Filled with ``tanh(c⟨t⟩) Γo (1 - Γo)``, ``c⟨t-1⟩ Γf (1 - Γf)``, ``c̃ Γu (1 - Γu)``, ``Γu (1 - c̃²)``: (7) is
        the first times the gradient at a⟨t⟩, (10), (9), (8) are the others times ``dc_total``.
    into_c : ndarray, shape (n_a, K m)
        Filled with ``Γo (1 - tanh²(c⟨t⟩))``, the derivative of a⟨t⟩ with respect to c⟨t⟩.
    """
    n_a = tanh_c.shape[0]
    o, i, cc = gates[:n_a], gates[2 * n_a:3 * n_a], gates[3 * n_a:]
    dzo, dzf, dzi, dzc = (dz[k * n_a:(k + 1) * n_a] for k in range(4))
    # Each gate's derivative with respect to its pre-activation: σ' = (1 - σ) σ for Γo, Γf, Γu, computed over all
    # four blocks (one call over the whole array is cheaper than three calls over blocks of it) ...
    np.subtract(1, gates, out=dz)
    np.multiply(dz, gates, out=dz)
    np.multiply(cc, cc, out=dzc)  # ... then the candidate's block replaced by tanh' = 1 - c̃²
    np.subtract(1, dzc, out=dzc)
    np.multiply(dzo, tanh_c, out=dzo)  # (7) without da<t>
    np.multiply(dzf, c, out=dzf)  # (10) without dc_total
    np.multiply(dzi, cc, out=dzi)  # (9) without dc_total
    np.multiply(dzc, i, out=dzc)  # (8) without dc_total
    np.multiply(tanh_c, tanh_c, out=into_c)
    np.subtract(1, into_c, out=into_c)
    np.multiply(into_c, o, out=into_c)


def lstm_backward(da, caches):
    """Backpropagation through time with the gates stacked: (7)-(17) for every step.

    Same results, with the same names, as :func:`lstm.lstm_backward`. The loop over
    time computes each step's gate gradients (7)-(10), with the gradient reaching c⟨t⟩
    along both paths and (16), then does one product, (15). The gate gradients of every
    step are kept, so the weight gradients (11)-(14) and the input gradients (17) are
    one product each, after the loop (:func:`_backward_products`).

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        Upstream gradient of the loss with respect to every hidden state a⟨t⟩.
    caches : FastCaches
        As returned by :func:`lstm_forward`; the gradients are computed in its dtype.

    Returns
    -------
    dict of ndarray
        ``dx`` (n_x, m, T_x), (17); ``da0`` (n_a, m), (15) at the first step;
        ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x), (11)-(14); ``dbf, dbi, dbc, dbo``
        (n_a, 1), the sums beside (11)-(14). All in the dtype of the caches; the
        weight and bias gradients are blocks (views) of one array of shape
        (4 n_a, n_a + n_x + 1). No later call writes into them while any of them is
        referred to.
    """
    _check_caches(caches)
    W, hx, gates = caches.W, caches.hx, caches.gates
    c, tanh_c = caches.c, caches.tanh_c
    n_a, T_x_m = tanh_c.shape
    m = hx.shape[1] - T_x_m  # hx holds one more step's columns than tanh_c
    T_x = T_x_m // m
    dtype = W.dtype
    expected = (n_a, m, T_x)
    if not (type(da) is np.ndarray and da.shape == expected and da.dtype.kind in "iuf"):
        da = as_array("da", da)
        check_shape("da", da, ("n_a", "m", "T_x"), expected,
                    "its time axis must match the forward pass")

    # The upstream gradients in the layout of the caches (n_a, T_x m), in their dtype.
    da_steps = _time_first(da, "da_steps", dtype)
    # The gate gradients of every step, stacked o, f, i, c: (4 n_a, T_x m).
    dz = _workspace("dz", (4 * n_a, T_x * m), dtype)
    # (n_a, 4 n_a), (n_x, 4 n_a): transposed views, which the products read in place.
    W_aT, W_xT = W[:, :n_a].T, W[:, n_a:].T
    if BACKEND == "numba":  # each step's element-wise work in one compiled pass
        da_prev = np.zeros((n_a, m), dtype=dtype)  # (15) of step t+1 (none at first)
        dc_next = np.zeros((n_a, m), dtype=dtype)  # dc<t> from step t+1, then (16)
        backward_step = fast_kernels.KERNELS[dtype][1]
        for t in range(T_x - 1, -1, -1):
            backward_step(da_steps, da_prev, dc_next, gates, c, tanh_c, dz, t)
            # (15), the one product per step:
            np.matmul(W_aT, dz[:, t * m:(t + 1) * m], out=da_prev)
    else:
        da_prev = _backward_loop_numpy(da_steps, gates, c, tanh_c, dz, W_aT, m)
    return _backward_products(dz, hx, W_xT, da_prev, m)


def _backward_loop_numpy(da, gates, c, tanh_c, dz, W_aT, m):
    """The loop over time of :func:`lstm_backward` in numpy calls: what :func:`lstm.fast_kernels.backward_step` fuses.

    ``da`` (n_a, T_x m) holds the upstream gradients in the caches' layout; m is the number of examples. Fills ``dz``
    with the gate gradients of every step, (7)-(10); returns (15) at the first step, da0 (n_a, m).
    """
    n_a, T_x = W_aT.shape[0], tanh_c.shape[1] // m
    dtype = dz.dtype
    dh = np.empty((n_a, m), dtype=dtype)  # the gradient reaching a<t>: from above, and from step t+1 by (15)
    dc_total = np.empty((n_a, m), dtype=dtype)  # the gradient reaching c<t> along both paths
    dc_next = np.zeros((n_a, m), dtype=dtype)  # the gradient on c<t> from step t+1 (none after the last step)
    da_prev = np.zeros((n_a, m), dtype=dtype)  # (15) of step t+1 (none after the last step)
    # The factors of (7)-(10) that do not depend on the incoming gradients are computed a block of steps at a
    # time: few numpy calls for short sequences, and blocks small enough to stay in the processor's cache.
    block = min(T_x, max(1, _BLOCK_NUMBERS // (m * 4 * n_a)))
    into_c = np.empty((n_a, block * m), dtype=dtype)  # Γo (1 - tanh²(c<t>)) for the steps of one block
    for stop in range(T_x, 0, -block):
        start = max(0, stop - block)
        columns = slice(start * m, stop * m)
        _gate_factors(gates[:, columns], c[:, columns], tanh_c[:, columns], dz[:, columns],
                      into_c[:, :(stop - start) * m])
        for t in reversed(range(start, stop)):
            # Step t's columns in the caches, and in this block's into_c.
            now, in_block = slice(t * m, (t + 1) * m), slice((t - start) * m, (t - start + 1) * m)
            np.add(da[:, now], da_prev, out=dh)
            np.multiply(dh, into_c[:, in_block], out=dc_total)
            np.add(dc_total, dc_next, out=dc_total)  # dc_total = dc_next + da<t> ⊙ Γo ⊙ (1 - tanh²(c<t>))
            dz_t = dz[:, now]
            np.multiply(dz_t[:n_a], dh, out=dz_t[:n_a])  # (7) dzo
            gated = dz_t[n_a:].reshape(3, n_a, m)  # a view: the blocks of Γf, Γu, c̃
            np.multiply(gated, dc_total, out=gated)  # (10) dzf, (9) dzi, (8) dzc
            np.multiply(dc_total, gates[n_a:2 * n_a, now], out=dc_next)  # (16) dc_prev = dc_total ⊙ Γf
            np.matmul(W_aT, dz_t, out=da_prev)  # (15) da_prev, the one product per step
    return da_prev


def _backward_products(dz, hx, W_xT, da_prev, m):
    """The products after the loop: (11)-(14) with the bias gradients, and (17); the gradients by name."""
    n_a4, T_x_m = dz.shape
    n_a, n_x, dtype = n_a4 // 4, W_xT.shape[0], dz.dtype
    # (11)-(14) for all gates and steps in ONE product, with the bias gradients beside them: the gradient of the
    # weight of the input that is always 1, Σ dz, is the last column. (4 n_a, T_x m) @ (T_x m, n_a + n_x + 1).
    dWb = _workspace("dWb", (4 * n_a, n_a + n_x + 1), dtype)
    np.matmul(dz, hx[:, :T_x_m].T, out=dWb)
    dW, db = dWb[:, :-1], dWb[:, -1:]  # (4 n_a, n_a + n_x), (4 n_a, 1)
    dx_all = _workspace("dx_all", (n_x, T_x_m), dtype)  # a temporary, copied into dx below
    np.matmul(W_xT, dz, out=dx_all)  # (17) for every step in one product, (n_x, T_x m)
    dx = _time_last(dx_all, m, "dx")
    # The gate blocks of dW and db in the course's names (views of one array, which the caller owns).
    gradients = {"dx": dx, "da0": da_prev}
    for dW_name, db_name, k in _GRADIENT_BLOCKS:
        rows = slice(k * n_a, (k + 1) * n_a)
        gradients[dW_name], gradients[db_name] = dW[rows], db[rows]
    return gradients


__all__ = [
    "DTYPES",
    "GATE_ORDER",
    "FastCaches",
    "cache_nbytes",
    "lstm_backward",
    "lstm_forward",
    "release_workspaces",
    "sigmoid_inplace",
    "stack_parameters",
    "unstack_gradients",
    "unstack_parameters",
    "workspace_nbytes",
]
