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

The C library's tanh is several times slower than its exp, and at these sizes the transcendental functions are most
of the element-wise time. So σ(z) = 1 / (1 + exp(-z)) is computed with exp (at z = -1000, exp(1000) is inf and
σ exactly 0, with no warning: compiled code raises none), and tanh with :func:`tanh`, which uses one exp for
|x| > 0.625 and a rational function below, where ``1 - 2 / (exp(2x) + 1)`` would lose digits: both within about
three units in the last place of the true value, as accurate as numpy's tanh.
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


def _inline(function):
    """Compile ``function`` to be inlined into the kernels that call it, or leave it as it is."""
    if numba is None:
        return function
    return numba.njit(cache=True, inline="always")(function)


# The rational approximation of tanh(x) = x + x³ P(x²) / Q(x²) on |x| <= 0.625, from the Cephes library.
_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)


def _make_kernels(float_type):
    """The two kernels for one dtype, with every constant a ``float_type``.

    Numba compiles a closure's constants into the code: float32 data is then computed
    in float32 (with Python floats, it would be promoted to float64 at every step).
    """
    one, two, cut = float_type(1.0), float_type(2.0), float_type(0.625)
    p0, p1, p2 = (float_type(value) for value in _P)
    q0, q1, q2 = (float_type(value) for value in _Q)

    @_inline
    def tanh(x):
        """tanh(x): ``±(1 - 2 / (exp(2|x|) + 1))`` above 0.625, a rational below.

        Exactly ±1 for large |x| (exp overflows to inf, the fraction is 0); 0 at 0.
        """
        a = abs(x)
        if a > cut:
            r = one - two / (math.exp(two * a) + one)
            return r if x > 0 else -r
        z = x * x
        return x + x * z * ((p0 * z + p1) * z + p2) / (((z + q0) * z + q1) * z + q2)

    @_inline
    def sigmoid_of_twice(half_z):
        """σ(z) = 1 / (1 + exp(-z)) for z = 2 ``half_z`` (stored halved)."""
        return one / (one + math.exp(-two * half_z))

    @_jit
    def forward_step(gates, recurrent, c, tanh_c, hx, t):
        m, n_a = tanh_c.shape[1], tanh_c.shape[2]
        for j in range(m):
            for k in range(n_a):
                zo = gates[t, j, k] + recurrent[j, k]
                zf = gates[t, j, n_a + k] + recurrent[j, n_a + k]
                zi = gates[t, j, 2 * n_a + k] + recurrent[j, 2 * n_a + k]
                zc = gates[t, j, 3 * n_a + k] + recurrent[j, 3 * n_a + k]
                o = sigmoid_of_twice(zo)  # (5)
                f = sigmoid_of_twice(zf)  # (1)
                i = sigmoid_of_twice(zi)  # (2)
                cc = tanh(zc)  # (3)
                c_next = f * c[t, j, k] + i * cc  # (4)
                tc = tanh(c_next)
                gates[t, j, k] = o
                gates[t, j, n_a + k] = f
                gates[t, j, 2 * n_a + k] = i
                gates[t, j, 3 * n_a + k] = cc
                c[t + 1, j, k] = c_next
                tanh_c[t, j, k] = tc
                hx[t + 1, j, k] = o * tc  # (6)

    @_jit
    def backward_step(da_steps, da_prev, dc_next, gates, c, tanh_c, dz, t):
        m, n_a = tanh_c.shape[1], tanh_c.shape[2]
        for j in range(m):
            for k in range(n_a):
                dh = da_steps[t, j, k] + da_prev[j, k]  # the gradient reaching a<t>
                o = gates[t, j, k]
                f = gates[t, j, n_a + k]
                i = gates[t, j, 2 * n_a + k]
                cc = gates[t, j, 3 * n_a + k]
                tc = tanh_c[t, j, k]
                # the gradient reaching c<t> along both paths
                dc_total = dc_next[j, k] + dh * o * (one - tc * tc)
                dz[t, j, k] = dh * tc * o * (one - o)  # (7)
                dz[t, j, n_a + k] = dc_total * c[t, j, k] * f * (one - f)  # (10)
                dz[t, j, 2 * n_a + k] = dc_total * cc * i * (one - i)  # (9)
                dz[t, j, 3 * n_a + k] = dc_total * i * (one - cc * cc)  # (8)
                dc_next[j, k] = dc_total * f  # (16)

    return forward_step, backward_step


#: dtype -> (forward_step, backward_step), each compiled for that dtype only (see :func:`forward_step`).
KERNELS = {np.dtype(float_type): _make_kernels(float_type) for float_type in (np.float64, np.float32)}


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

    The compiled kernel of ``gates.dtype`` (:data:`KERNELS`) does the work; :mod:`lstm.fast` calls it directly.
    """
    KERNELS[gates.dtype][0](gates, recurrent, c, tanh_c, hx, t)


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
    KERNELS[gates.dtype][1](da_steps, da_prev, dc_next, gates, c, tanh_c, dz, t)


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
