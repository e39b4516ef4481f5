"""Fused element-wise kernels for :mod:`lstm.fast`, compiled by Numba when it is installed.

Each kernel does, in ONE pass over memory, the element-wise work of one step that the numpy path of
:mod:`lstm.fast` spreads over a dozen numpy calls: reading every number once, keeping the intermediate values in
registers, and writing each result once. The matrix products stay with numpy (and its BLAS).

- :func:`forward_step`: the four activations (1), (2), (3), (5), the cell update (4) and the hidden state (6).
- :func:`backward_step`: the gradient reaching c⟨t⟩ along both paths (``dc_total``), the gate gradients (7)-(10)
  and the cell-state gradient passed back, (16).

The arrays are laid out as in :mod:`lstm.fast`: one row per unit, one column per example and step, the m columns of
step t side by side (columns ``t m`` to ``t m + m``). Every loop below runs along a row, over the m examples of a
step, which are next to each other in memory: the compiler turns such a loop into vector instructions that work on
four float64 or eight float32 numbers at once.

With Numba (``pip install -e ".[fast]"``) the kernels are compiled to machine code on first use and the result is
cached on disk, so the compile is paid once per machine; without Numba this module is not used
(:data:`lstm.fast.BACKEND` says ``"numpy"``). Their arrays must be of one dtype (float32 or float64), each row
contiguous: two compiled versions of each kernel, no more.

σ, tanh and exp
---------------
σ and tanh are most of a step's element-wise time, and both come down to exp. The C library's exp works on one
number at a time, so a loop that calls it cannot use vector instructions; the exp below is written in arithmetic
the compiler can vectorise (the standard method of the C libraries themselves):

    e^x = 2^n e^r,   n = round(x / ln 2),   r = x - n ln 2,   |r| <= (ln 2) / 2

e^r is its Taylor polynomial (degree 13 in float64, 7 in float32: the first term left out is below half a unit in
the last place), and 2^n is built directly from its bits: a float's exponent field holds n + 1023 (float64) or
n + 127 (float32). It is only ever called with x <= 0, so it never overflows, and it returns exactly 0 below the
smallest normal number's logarithm. Then, with e = exp(-|z|), which lies in [0, 1]:

    σ(z) = 1 / (1 + e) for z >= 0,  e / (1 + e) for z < 0;    tanh(x) = sign(x) (1 - e) / (1 + e) with z = 2x

where tanh takes 1 - e from the polynomial itself (e - 1 = s q + (s - 1) with e = s (1 + q)), which keeps its
digits near x = 0, where subtracting e from 1 would lose them. Both are within a few units in the last place of the
true values, and exactly 0, 1 or ±1 at ±1000, with no warning (compiled code raises none). Each activation ends
with one division, and σ's two cases only choose the numerator, so the loop has no jumps for the compiler to avoid.
"""

import math
import struct
import time

import numpy as np

try:
    import numba
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic
except ImportError:  # the optional extra is not installed: lstm.fast uses its numpy path
    numba = None

#: True when Numba is installed and the kernels below are compiled.
AVAILABLE = numba is not None

#: Compiler flags: "contract" lets a multiply and an add become one fused multiply-add (FMA) instruction. No flag
#: that assumes away infinities or NaN: exp, σ and tanh rely on them at ±1000.
_FASTMATH = {"contract"}


def _jit(function):
    """Compile ``function`` with Numba (no Python objects inside, cached on disk), or leave it as it is."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)(function)


def _inline(function):
    """Compile ``function`` to be inlined into the kernels that call it, or leave it as it is."""
    if numba is None:
        return function
    return numba.njit(cache=True, inline="always", error_model="numpy", fastmath=_FASTMATH)(function)


# --- the bits of a float --------------------------------------------------------------------------------------

#: For each dtype: the struct codes of the integer of its width and of the float, and the bits of its significand.
_FORMATS = {np.dtype(np.float64): ("q", "d", 52), np.dtype(np.float32): ("i", "f", 23)}


def _bit_casts(dtype):
    """``to_bits(x)`` and ``from_bits(n)``: a float's bits as an int64 and back, for float64 or float32.

    Compiled, each is one instruction that reinterprets a register (no conversion of the value); float32 bits are
    sign-extended to 64 bits and truncated back. Without Numba, the same with :mod:`struct`.
    """
    integer, real, _ = _FORMATS[np.dtype(dtype)]
    if numba is None:
        width = struct.calcsize(integer) * 8

        def to_bits(x):
            return struct.unpack(integer, struct.pack(real, x))[0]

        def from_bits(n):  # the low bits of n, as the compiled code's truncation keeps them
            return struct.unpack(real, struct.pack(integer.upper(), n % 2**width))[0]
        return to_bits, from_bits

    wide = dtype == np.float64
    float_type = types.float64 if wide else types.float32
    float_ir = ir.DoubleType() if wide else ir.FloatType()
    int_ir = ir.IntType(64 if wide else 32)

    @intrinsic
    def to_bits(typingctx, x):
        if x != float_type:
            return None

        def codegen(context, builder, signature, arguments):
            bits = builder.bitcast(arguments[0], int_ir)
            return bits if wide else builder.sext(bits, ir.IntType(64))
        return types.int64(float_type), codegen

    @intrinsic
    def from_bits(typingctx, n):
        if n != types.int64:
            return None

        def codegen(context, builder, signature, arguments):
            bits = arguments[0] if wide else builder.trunc(arguments[0], int_ir)
            return builder.bitcast(bits, float_ir)
        return float_type(types.int64), codegen

    return to_bits, from_bits


#: ln 2 in two parts, high + low: n times the high part is exact for every n exp meets (Cephes's constants).
_LN2_PARTS = {np.dtype(np.float64): (6.93147180369123816490e-01, 1.90821492927058770002e-10),
              np.dtype(np.float32): (0.693359375, -2.12194440e-4)}

#: Below this x, exp(x) is returned as 0: 2^n would need an exponent below the smallest normal number's.
_EXP_LOWEST = {np.dtype(np.float64): -708.0, np.dtype(np.float32): -87.0}

#: The degree of the Taylor polynomial of e^r on |r| <= (ln 2) / 2: its first left-out term, (ln 2 / 2)^(d+1) /
#: (d+1)!, is 4e-18 in float64 (degree 13) and 5e-9 in float32 (degree 7), below half a unit in the last place.
_EXP_DEGREE = {np.dtype(np.float64): 13, np.dtype(np.float32): 7}


def _make_kernels(float_type):
    """The two kernels for one dtype, with every constant a ``float_type``.

    Numba compiles a closure's constants into the code: float32 data is then computed
    in float32 (with Python floats, it would be promoted to float64 at every step).
    """
    dtype = np.dtype(float_type)
    to_bits, from_bits = _bit_casts(dtype)
    zero, one, two = float_type(0.0), float_type(1.0), float_type(2.0)
    ln2_high, ln2_low = (float_type(value) for value in _LN2_PARTS[dtype])
    log2_e = float_type(1 / math.log(2))
    lowest = float_type(_EXP_LOWEST[dtype])
    significand_bits = _FORMATS[dtype][2]
    # Adding 1.5 * 2^52 (2^23 in float32) rounds to an integer, which then sits in the
    # low bits of the sum.
    rounder = float_type(1.5 * 2.0 ** significand_bits)
    # The bits of 1.0: the exponent field holds its bias, 1023 (127 in float32).
    one_bits = 1023 << 52 if dtype == np.float64 else 127 << 23
    # e^r - 1 = r (1 + r/2! + r²/3! + ... + r^(d-1)/d!), by Horner's rule from the
    # highest power down.
    degree = _EXP_DEGREE[dtype]
    taylor = tuple(float_type(1 / math.factorial(k)) for k in range(degree, 1, -1))
    c_first, c_rest = taylor[0], taylor[1:]

    @_inline
    def exp_parts(x):
        """e^x = s (1 + q) for x <= 0: s = 2^n (0 below ``lowest``) and q = e^r - 1.

        Kept apart, the two give e^x = s + s q and e^x - 1 = s q + (s - 1), both
        accurate: the second has no cancellation near x = 0, where n = 0 and s = 1.
        """
        x_in_range = max(x, lowest)
        shifted = x_in_range * log2_e + rounder  # n + 1.5 * 2^52: n in the low bits
        n = shifted - rounder
        r = (x_in_range - n * ln2_high) - n * ln2_low
        p = c_first
        for c in c_rest:  # unrolled by the compiler: a fixed number of multiply-adds
            p = p * r + c
        q = (p * r + one) * r
        # The low bits of `shifted` moved into the exponent field, plus the bits of 1.0:
        # the bits of 2^n.
        s = from_bits((to_bits(shifted) << significand_bits) + one_bits)
        return (s if x >= lowest else zero), q

    @_inline
    def sigmoid_of_twice(half_z):
        """σ(z) for z = 2 ``half_z``, with e = exp(-|z|).

        The caller halves the sigmoid gates' pre-activations (for the numpy loop).
        """
        s, q = exp_parts(-two * abs(half_z))
        e = s * q + s
        return (one if half_z >= zero else e) / (one + e)

    @_inline
    def tanh(x):
        """tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), written with e - 1.

        Exactly ±1 for large |x| (e is 0, e - 1 is -1); ±0 at ±0.
        """
        s, q = exp_parts(-two * abs(x))
        e_minus_1 = s * q + (s - one)
        return math.copysign(-e_minus_1 / (two + e_minus_1), x)

    @_jit
    def forward_step(gates, recurrent, c, tanh_c, hx, t):
        n_a, m = tanh_c.shape[0], recurrent.shape[1]
        now, after = t * m, (t + 1) * m  # the first column of step t, and of step t + 1
        for row in range(3 * n_a):  # Γo (5), Γf (1), Γu (2)
            z, r = gates[row, now:after], recurrent[row]
            for j in range(m):
                z[j] = sigmoid_of_twice(z[j] + r[j])
        for row in range(3 * n_a, 4 * n_a):  # c̃ (3)
            z, r = gates[row, now:after], recurrent[row]
            for j in range(m):
                z[j] = tanh(z[j] + r[j])
        for k in range(n_a):
            f, i = gates[n_a + k, now:after], gates[2 * n_a + k, now:after]
            cc = gates[3 * n_a + k, now:after]
            c_prev, c_next = c[k, now:after], c[k, after:after + m]
            for j in range(m):
                c_next[j] = f[j] * c_prev[j] + i[j] * cc[j]  # (4)
            o, tc, a = gates[k, now:after], tanh_c[k, now:after], hx[k, after:after + m]
            for j in range(m):
                tc[j] = tanh(c_next[j])
                a[j] = o[j] * tc[j]  # (6)

    @_jit
    def backward_step(da, da_prev, dc_next, gates, c, tanh_c, dz, t):
        n_a, m = da_prev.shape
        now, after = t * m, (t + 1) * m
        for k in range(n_a):
            da_k, da_prev_k, dc_k = da[k, now:after], da_prev[k], dc_next[k]
            o, f = gates[k, now:after], gates[n_a + k, now:after]
            i, cc = gates[2 * n_a + k, now:after], gates[3 * n_a + k, now:after]
            c_prev, tc = c[k, now:after], tanh_c[k, now:after]
            dzo, dzf = dz[k, now:after], dz[n_a + k, now:after]
            dzi, dzc = dz[2 * n_a + k, now:after], dz[3 * n_a + k, now:after]
            for j in range(m):
                dh = da_k[j] + da_prev_k[j]  # the gradient reaching a<t>
                # the gradient reaching c<t> along both paths
                dc_total = dc_k[j] + dh * o[j] * (one - tc[j] * tc[j])
                dzo[j] = dh * tc[j] * o[j] * (one - o[j])  # (7)
                dzf[j] = dc_total * c_prev[j] * f[j] * (one - f[j])  # (10)
                dzi[j] = dc_total * cc[j] * i[j] * (one - i[j])  # (9)
                dzc[j] = dc_total * i[j] * (one - cc[j] * cc[j])  # (8)
                dc_k[j] = dc_total * f[j]  # (16)

    return forward_step, backward_step, tanh, sigmoid_of_twice


#: dtype -> (forward_step, backward_step), each compiled for that dtype only (see :func:`forward_step`).
_ALL = {np.dtype(float_type): _make_kernels(float_type) for float_type in (np.float64, np.float32)}
KERNELS = {dtype: functions[:2] for dtype, functions in _ALL.items()}


def forward_step(gates, recurrent, c, tanh_c, hx, t):
    """Step t of the forward pass after its one product: equations (1)-(6) element by element.

    Parameters
    ----------
    gates : ndarray, shape (4 n_a, T_x m)
        On entry, columns ``t m`` to ``t m + m`` hold the input part of step t's pre-activations (the sigmoid
        gates' halved), blocks of n_a rows in the order o, f, i, c; on return, Γo, Γf, Γu and c̃.
    recurrent : ndarray, shape (4 n_a, m)
        The recurrent part ``W_a a⟨t-1⟩`` (halved likewise), added here.
    c : ndarray, shape (n_a, (T_x + 1) m)
        Reads c⟨t-1⟩ from the columns of step t, writes c⟨t⟩, (4), into those of step t + 1.
    tanh_c : ndarray, shape (n_a, T_x m)
        Writes tanh(c⟨t⟩) into the columns of step t.
    hx : ndarray, shape (n_a + n_x + 1, (T_x + 1) m)
        Writes a⟨t⟩, (6), into the first n_a rows of the columns of step t + 1.
    t : int

    The compiled kernel of ``gates.dtype`` (:data:`KERNELS`) does the work; :mod:`lstm.fast` calls it directly.
    """
    KERNELS[gates.dtype][0](gates, recurrent, c, tanh_c, hx, t)


def backward_step(da, da_prev, dc_next, gates, c, tanh_c, dz, t):
    """Step t of the backward pass before its one product: ``dc_total``, (7)-(10) and (16) element by element.

    Parameters
    ----------
    da : ndarray, shape (n_a, T_x m)
        The upstream gradients on every a⟨t⟩, the columns of step t side by side.
    da_prev : ndarray, shape (n_a, m)
        (15) of step t + 1, the gradient on a⟨t⟩ through the next step (zeros after the last step).
    dc_next : ndarray, shape (n_a, m)
        On entry the gradient on c⟨t⟩ from step t + 1; on return (16), the gradient on c⟨t-1⟩.
    gates, c, tanh_c : ndarray
        The forward pass's caches, as in :func:`forward_step`.
    dz : ndarray, shape (4 n_a, T_x m)
        Writes the gate gradients of step t into its columns, blocks o, f, i, c.
    t : int
    """
    KERNELS[gates.dtype][1](da, da_prev, dc_next, gates, c, tanh_c, dz, t)


def activations(dtype):
    """The compiled ``(tanh, sigmoid_of_twice)`` of one dtype, callable on single numbers (for the tests)."""
    return _ALL[np.dtype(dtype)][2:]


def compile_kernels():
    """Compile (or load from Numba's cache) both kernels for float64 and float32; return the seconds it took.

    The first call in a process pays it; later calls return about 0. With no Numba, returns 0.0.
    """
    if numba is None:
        return 0.0
    start = time.perf_counter()
    for dtype in (np.float64, np.float32):
        T_x, m, n_a, n_x = 1, 1, 1, 1
        gates = np.zeros((4 * n_a, T_x * m), dtype)
        c = np.zeros((n_a, (T_x + 1) * m), dtype)
        tanh_c = np.zeros((n_a, T_x * m), dtype)
        hx = np.zeros((n_a + n_x + 1, (T_x + 1) * m), dtype)
        small = np.zeros((n_a, m), dtype)
        forward_step(gates, np.zeros((4 * n_a, m), dtype), c, tanh_c, hx, 0)
        backward_step(tanh_c.copy(), small, small.copy(), gates, c, tanh_c, gates.copy(), 0)
    return time.perf_counter() - start
