"""Fused element-wise kernels for :mod:`lstm.fast`, compiled by Numba when it is installed.

Each kernel does, in ONE pass over memory, the element-wise work of one step that the numpy path of
:mod:`lstm.fast` spreads over a dozen numpy calls: reading every number once, keeping the intermediate values in
registers, and writing each result once. The matrix products stay with numpy (and its BLAS).

- :func:`forward_step`: the four activations (1), (2), (3), (5), the cell update (4) and the hidden state (6).
- :func:`backward_step`: the gradient reaching c⟨t⟩ along both paths (``dc_total``), the gate gradients (7)-(10)
  and the cell-state gradient passed back, (16).

The kernels are plain Python loops over numbers: with Numba (``pip install -e ".[fast]"``) they are compiled to
machine code on first use and the result is cached on disk, so the compile is paid once per machine;
without Numba this module is not used (:data:`lstm.fast.BACKEND` says ``"numpy"``). Their arrays must be
C-contiguous and of one dtype (float32 or float64): two compiled versions of each kernel, no more.

σ is written ``tanh(z)/2 + 1/2`` where the caller has already halved the sigmoid gates' pre-activations (see
:mod:`lstm.fast`): tanh never overflows, so ``z = ±1000`` gives exactly 0 and 1.
"""

import math
import time

import numpy as np

try:
    import numba
except ImportError:  # the optional extra is not installed: lstm.fast uses its numpy path
    numba = None

#: True when Numba is installed and the kernels below are compiled.
AVAILABLE = numba is not None


def _jit(function):
    """Compile ``function`` with Numba (no Python objects inside, cached on disk), or leave it as it is."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)


@_jit
def forward_step(gates, recurrent, c, tanh_c, hx, t):
    """Step t of the forward pass after its one product: equations (1)-(6) element by element.

    Parameters
    ----------
    gates : ndarray, shape (T_x, m, 4 n_a)
        On entry ``gates[t]`` holds the input part of the pre-activations (the sigmoid gates' halved), blocks in
        the order o, f, i, c; on return, Γo, Γf, Γu and c̃.
    recurrent : ndarray, shape (m, 4 n_a)
        The recurrent part ``a⟨t-1⟩ᵀ W_aᵀ`` (halved likewise), added here.
    c : ndarray, shape (T_x + 1, m, n_a)
        Reads c⟨t-1⟩ = ``c[t]``, writes c⟨t⟩ = ``c[t + 1]``, (4).
    tanh_c : ndarray, shape (T_x, m, n_a)
        Writes tanh(c⟨t⟩) into ``tanh_c[t]``.
    hx : ndarray, shape (T_x + 1, m, n_a + n_x + 1)
        Writes a⟨t⟩ᵀ, (6), into the first n_a columns of ``hx[t + 1]``.
    t : int
    """
    m, n_a = tanh_c.shape[1], tanh_c.shape[2]
    for j in range(m):
        for k in range(n_a):
            o = 0.5 * math.tanh(gates[t, j, k] + recurrent[j, k]) + 0.5  # (5)
            f = 0.5 * math.tanh(gates[t, j, n_a + k] + recurrent[j, n_a + k]) + 0.5  # (1)
            i = 0.5 * math.tanh(gates[t, j, 2 * n_a + k] + recurrent[j, 2 * n_a + k]) + 0.5  # (2)
            cc = math.tanh(gates[t, j, 3 * n_a + k] + recurrent[j, 3 * n_a + k])  # (3)
            c_next = f * c[t, j, k] + i * cc  # (4)
            tc = math.tanh(c_next)
            gates[t, j, k] = o
            gates[t, j, n_a + k] = f
            gates[t, j, 2 * n_a + k] = i
            gates[t, j, 3 * n_a + k] = cc
            c[t + 1, j, k] = c_next
            tanh_c[t, j, k] = tc
            hx[t + 1, j, k] = o * tc  # (6)


@_jit
def backward_step(da_steps, da_prev, dc_next, gates, c, tanh_c, dz, t):
    """Step t of the backward pass before its one product: ``dc_total``, (7)-(10) and (16) element by element.

    Parameters
    ----------
    da_steps : ndarray, shape (T_x, m, n_a)
        The upstream gradients on a⟨t⟩ᵀ, time first.
    da_prev : ndarray, shape (m, n_a)
        (15) of step t + 1, the gradient on a⟨t⟩ᵀ through the next step (zeros after the last step).
    dc_next : ndarray, shape (m, n_a)
        On entry the gradient on c⟨t⟩ from step t + 1; on return (16), the gradient on c⟨t-1⟩.
    gates, c, tanh_c : ndarray
        The forward pass's caches, as in :func:`forward_step`.
    dz : ndarray, shape (T_x, m, 4 n_a)
        Writes the gate gradients of step t into ``dz[t]``, blocks o, f, i, c.
    t : int
    """
    m, n_a = tanh_c.shape[1], tanh_c.shape[2]
    for j in range(m):
        for k in range(n_a):
            dh = da_steps[t, j, k] + da_prev[j, k]  # the gradient reaching a<t>
            o = gates[t, j, k]
            f = gates[t, j, n_a + k]
            i = gates[t, j, 2 * n_a + k]
            cc = gates[t, j, 3 * n_a + k]
            tc = tanh_c[t, j, k]
            dc_total = dc_next[j, k] + dh * o * (1 - tc * tc)  # the gradient reaching c<t> along both paths
            dz[t, j, k] = dh * tc * o * (1 - o)  # (7)
            dz[t, j, n_a + k] = dc_total * c[t, j, k] * f * (1 - f)  # (10)
            dz[t, j, 2 * n_a + k] = dc_total * cc * i * (1 - i)  # (9)
            dz[t, j, 3 * n_a + k] = dc_total * i * (1 - cc * cc)  # (8)
            dc_next[j, k] = dc_total * f  # (16)


def compile_kernels():
    """Compile (or load from Numba's cache) both kernels for float64 and float32; return the seconds it took.

    The first call in a process pays it; later calls return about 0. With no Numba, returns 0.0.
    """
    if numba is None:
        return 0.0
    start = time.perf_counter()
    for dtype in (np.float64, np.float32):
        T_x, m, n_a, n_x = 1, 1, 1, 1
        gates = np.zeros((T_x, m, 4 * n_a), dtype)
        c = np.zeros((T_x + 1, m, n_a), dtype)
        tanh_c = np.zeros((T_x, m, n_a), dtype)
        hx = np.zeros((T_x + 1, m, n_a + n_x + 1), dtype)
        small = np.zeros((m, n_a), dtype)
        forward_step(gates, np.zeros((m, 4 * n_a), dtype), c, tanh_c, hx, 0)
        backward_step(np.zeros((T_x, m, n_a), dtype), small, small.copy(), gates, c, tanh_c, gates.copy(), 0)
    return time.perf_counter() - start
