"""Benchmark the LSTM's forward + backward pass: the reference, the fast path, PyTorch and the hardware's limit.

    python bench/bench_lstm.py                  # the full run (about four minutes on 2 cores)
    python bench/bench_lstm.py --quick          # a few seconds: small and medium only, fewer repeats
    python bench/bench_lstm.py --json results/benchmark.json    # also write every timing and the machine

In ONE process it times, for each configuration (n_x, n_a, m, T): the reference functions
(:func:`lstm.lstm_forward` / :func:`lstm.lstm_backward`), the fast path (:mod:`lstm.fast`) in float64 and float32
on its fused kernels (``lstm.fast.BACKEND``, "numba" when Numba is installed), the fast path's numpy loop in float64
("fast64_numpy": the same code before fusing), PyTorch's ``nn.LSTM`` in float64 and float32 when torch is installed
(with as many threads as numpy's BLAS), and a plain matrix product of the recurrent shape,
(4 n_a, n_a + n_x) @ (n_a + n_x, m), run 3 T times: the FLOPs of the LSTM, about 3 x 2 T m 4 n_a (n_a + n_x), at
the speed the BLAS reaches on that shape. That is the "limit"; an implementation's share of it is limit time / its
time.

Timings are interleaved (each round runs every implementation in turn), so that a change of load on a shared machine
hits all of them alike; within a round each implementation runs twice and only the second run is timed, so that
switching libraries (PyTorch's OpenMP threads spin for milliseconds after a call) costs nothing to the next one.
The rounds are grouped into RUNS repeated runs: each run gives its medians and its ratios, and every ratio is
reported as min - median - max over the runs. A target is judged on the median and printed with the spread, which
says whether every run met it. Before timing, every implementation is checked against the reference, so a fast wrong
answer cannot be reported. The Numba kernels are compiled (or loaded from Numba's cache) before any timing; the
compile time is measured apart, in fresh processes with an empty cache and then with the cache filled.

Where the time of one step goes (``step_breakdown``): for the numpy loop (before fusing) and the fused kernels
(after), the time of one forward + backward pass divided by T is split into the matrix products (the same products,
shapes and layouts, replayed alone), the fixed cost of the calls (the whole pass on a problem of the same T with
n_x = n_a = m = 1, less its products) and the element-wise work (what remains).

The orientation of the recurrent product (``recurrent_product``): the product of the forward pass that stays in
the loop, timed with one column per example, as lstm.fast lays out its arrays, and with one row per example,
the transpose: the same numbers and FLOPs, which the BLAS does not run at the same speed.

The load: the script records the load average and how busy the processors were just before and after the run, and
calls the machine "idle" only when nothing else was running (see :func:`machine_state`); a run on a loaded machine
says so in its report and in its JSON.

OpenBLAS: some machines set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) to pin an older kernel that is safe for old
OpenBLAS builds; it slows a current numpy. By default this script removes both from ITS OWN environment and
re-executes itself (same process id), then reports which kernel numpy's OpenBLAS runs; ``--keep-openblas-env``
keeps them. Tests and CI never change them.
"""

import argparse
import ctypes
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing: python bench/bench_lstm.py
    sys.path.insert(0, str(ROOT))

import lstm  # noqa: E402
from lstm import fast  # noqa: E402
from lstm.gradcheck import relative_error  # noqa: E402

#: (n_x, n_a, m, T) of each configuration.
CONFIGS = {"small": (3, 5, 10, 7), "medium": (64, 128, 32, 100), "large": (256, 512, 64, 50)}

#: Repeated runs per configuration (each ratio is reported as min - median - max over them) ...
RUNS = 5
#: ... and interleaved rounds per run: the full run, and --quick.
REPEATS = {"small": 60, "medium": 8, "large": 3}
QUICK_REPEATS = {"small": 10, "medium": 2}
QUICK_RUNS = 3

#: Number of output classes of the prediction layer (part of the forward pass of ours, not of nn.LSTM).
N_Y = 10

#: The implementations, in the order they are printed.
IMPLEMENTATIONS = ("reference", "fast64_numpy", "fast64", "fast32", "torch64", "torch32", "limit64", "limit32")

#: The targets: (ratio key, what it is, {config: (comparison, value)}), judged on the median over the runs.
TARGETS = (
    ("reference/fast64", "reference ÷ fast (float64)",
     {"small": (">=", 2.5), "medium": (">=", 1.8), "large": (">=", 1.5)}),
    ("fast64/torch64", "fast ÷ torch (float64)",
     {"small": ("<=", 0.5), "medium": ("<=", 0.8), "large": ("<=", 0.8)}),
    ("fast32/torch32", "fast ÷ torch (float32)",
     {"small": ("<=", 0.5), "medium": ("<=", 1.3), "large": ("<=", 1.3)}),
    ("share64", "share of the matmul limit (float64)",
     {"medium": (">=", 0.60), "large": (">=", 0.85)}),
)

#: Ratios reported without a target: what fusing buys (the numpy loop ÷ the fused kernels).
EXTRA_RATIOS = (("fast64_numpy/fast64", "numpy loop ÷ fused (float64)", {}),)

#: The machine counts as idle when, just before the run, its processors were busy less than this share of the time
#: and the 1-minute load average was below this many processes per core.
IDLE_BUSY_PERCENT = 10.0
IDLE_LOAD_PER_CORE = 0.25

OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_REMOVED = "LSTM_BENCH_REMOVED_OPENBLAS_ENV"


# --- the machine -------------------------------------------------------------------------------------------


def _openblas_library():
    """numpy's bundled OpenBLAS, loaded through ctypes (it is already in the process), or None."""
    folder = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(folder / "libscipy_openblas*.so*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def blas_info():
    """Which BLAS numpy runs, with which kernel and how many threads (threadpoolctl if installed, else ctypes)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return {"source": "threadpoolctl", "library": pool.get("internal_api"),
                        "version": pool.get("version"), "kernel": pool.get("architecture"),
                        "threads": pool.get("num_threads")}
    library = _openblas_library()
    if library is not None:
        get = {name: getattr(library, f"scipy_openblas_{name}64_", None)
               for name in ("get_corename", "get_config", "get_num_threads")}
        if all(get.values()):
            get["get_corename"].restype = ctypes.c_char_p
            get["get_config"].restype = ctypes.c_char_p
            return {"source": "ctypes (threadpoolctl is not installed)", "library": "openblas",
                    "version": get["get_config"]().decode().split()[1],
                    "kernel": get["get_corename"]().decode(), "threads": int(get["get_num_threads"]())}
    return {"source": "unknown", "library": "unknown", "version": None, "kernel": None, "threads": os.cpu_count()}


def machine_info(blas):
    """The facts a reader needs to compare this run with another."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    removed = os.environ.get(_REMOVED, "")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "openblas_environment": {name: os.environ.get(name) for name in OPENBLAS_VARIABLES},
        "openblas_environment_removed_for_this_run": dict(item.split("=", 1) for item in removed.split(";") if item),
    }


def load_average():
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def cpu_busy_percent(seconds=1.0):
    """How busy all processors were over the next ``seconds`` (from /proc/stat; None where it does not exist).

    The load average lags by minutes; this says whether other work is running right now.
    """
    def sample():
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, idle

    try:
        busy_1, idle_1 = sample()
        time.sleep(seconds)
        busy_2, idle_2 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = (busy_2 - busy_1) + (idle_2 - idle_1)
    return round(100 * (busy_2 - busy_1) / total, 1) if total else None


def machine_state(load_before, busy_before, cores):
    """"idle" when nothing else was running just before the run (see IDLE_*), else "loaded"; None if unknown."""
    if load_before is None or busy_before is None:
        return None
    idle = busy_before < IDLE_BUSY_PERCENT and load_before[0] < IDLE_LOAD_PER_CORE * (cores or 1)
    return "idle" if idle else "loaded"


def compile_times():
    """Seconds to compile the Numba kernels in a fresh process with an empty cache, then to load them from it.

    Both in child processes (``NUMBA_CACHE_DIR`` pointing at a new temporary folder), so that this process's cache
    and the repository's are left alone. None when Numba is not installed.
    """
    if not fast.fast_kernels.AVAILABLE:
        return None
    code = ("import time; start = time.perf_counter(); from lstm import fast; imported = time.perf_counter(); "
            "compiled = fast.compile_kernels(); print(imported - start, compiled)")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        for label in ("cold_s", "cached_s"):
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                    cwd=ROOT, check=True)
            import_s, compile_s = (float(value) for value in result.stdout.split())
            out[label] = compile_s
            out[f"import_{label}"] = import_s
    return out


# --- the problems and the implementations ----------------------------------------------------------------


def make_problem(n_x, n_a, m, T, seed=0):
    """Parameters, inputs, initial state and upstream gradient, all seeded."""
    rng = np.random.default_rng(seed)
    parameters = lstm.initialize_lstm_parameters(n_a, n_x, N_Y, seed=seed)
    parameters = {key: value + (0.1 * rng.normal(size=value.shape) if key.startswith("b") else 0)
                  for key, value in parameters.items()}
    x = rng.normal(size=(n_x, m, T))
    a0 = rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T))
    return parameters, x, a0, da


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_step(torch, parameters, x, a0, da, dtype):
    """Forward + backward of nn.LSTM with the same weights and the loss Σ da ⊙ a; gradients for x, a0, weights."""
    from lstm.pytorch import sequence_to_torch, to_torch_lstm

    net = to_torch_lstm(parameters, dtype=dtype)
    x_t = torch.tensor(sequence_to_torch(x), dtype=dtype, requires_grad=True)
    h0 = torch.tensor(a0.T[None].copy(), dtype=dtype, requires_grad=True)
    c0 = torch.zeros_like(h0)
    upstream = torch.tensor(sequence_to_torch(da), dtype=dtype)

    def run():
        net.zero_grad(set_to_none=True)
        x_t.grad = h0.grad = None
        outputs, _ = net(x_t, (h0, c0))
        outputs.backward(upstream)
        return net, outputs, x_t, h0

    return run


def implementations(problem, torch=None):
    """name -> a function that runs one forward + backward pass (or the limit's matrix products)."""
    parameters, x, a0, da = problem
    n_x, m, T = x.shape
    n_a = a0.shape[0]

    def reference():
        _, _, _, caches = lstm.lstm_forward(x, a0, parameters)
        return lstm.lstm_backward(da, caches)

    def fast_path(dtype, backend=None):
        def run():
            _, _, _, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
            return fast.lstm_backward(da, caches)

        def run_on_backend():
            with fast.use_backend(backend):
                return run()
        return run if backend is None else run_on_backend

    def limit(dtype):
        rng = np.random.default_rng(1)
        W = rng.normal(size=(4 * n_a, n_a + n_x)).astype(dtype)
        h = rng.normal(size=(n_a + n_x, m)).astype(dtype)
        out = np.empty((4 * n_a, m), dtype=dtype)

        def run():  # 3 T products of the recurrent shape: the FLOPs of forward + backward
            for _ in range(3 * T):
                np.matmul(W, h, out=out)
        return run

    functions = {"reference": reference, "fast64_numpy": fast_path(np.float64, "numpy"),
                 "fast64": fast_path(np.float64), "fast32": fast_path(np.float32)}
    if torch is not None:
        functions["torch64"] = _torch_step(torch, parameters, x, a0, da, torch.float64)
        functions["torch32"] = _torch_step(torch, parameters, x, a0, da, torch.float32)
    functions["limit64"] = limit(np.float64)
    functions["limit32"] = limit(np.float32)
    return functions


def check_agreement(problem, functions):
    """Every implementation's gradients against the reference's; raise if one is wrong. Returns the errors."""
    reference = functions["reference"]()
    errors = {}
    for name, tolerance in (("fast64_numpy", 1e-10), ("fast64", 1e-10), ("fast32", 1e-5)):
        ours = functions[name]()
        errors[name] = max(relative_error(ours[key], reference[key]) for key in reference)
        if errors[name] > tolerance:
            raise AssertionError(f"{name} differs from the reference by {errors[name]:.1e} (> {tolerance})")
    for name, tolerance in (("torch64", 1e-10), ("torch32", 1e-3)):
        if name not in functions:
            continue
        from lstm.pytorch import gate_gradients_from_torch, sequence_from_torch

        net, _, x_t, h0 = functions[name]()
        theirs = gate_gradients_from_torch(net)
        theirs["dx"] = sequence_from_torch(x_t.grad.double().numpy())
        theirs["da0"] = h0.grad[0].double().numpy().T
        errors[name] = max(relative_error(theirs[key], reference[key]) for key in theirs)
        if errors[name] > tolerance:
            raise AssertionError(f"{name} differs from the reference by {errors[name]:.1e} (> {tolerance})")
    return errors


def measure(functions, repeats):
    """Interleaved timings: ``repeats`` rounds, each running every function twice and timing the second run.

    The untimed run absorbs the cost of switching from one library to another (PyTorch's OpenMP threads keep
    spinning for milliseconds after a call, and a library's own threads may have gone to sleep), so each timed run
    sees its implementation in the steady state of a training loop, which calls it again and again.
    Returns name -> list of seconds.
    """
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            function()
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return times


def flops(n_x, n_a, m, T):
    """Forward + backward floating-point operations of the matrix products: 3 x 2 T m 4 n_a (n_a + n_x)."""
    return 3 * 2 * T * m * 4 * n_a * (n_a + n_x)


def _ratios(median):
    """The ratios of one run from its medians (name -> seconds)."""
    ratios = {"reference/fast64": median["reference"] / median["fast64"],
              "fast64_numpy/fast64": median["fast64_numpy"] / median["fast64"]}
    if "torch64" in median:
        ratios["fast64/torch64"] = median["fast64"] / median["torch64"]
        ratios["fast32/torch32"] = median["fast32"] / median["torch32"]
    ratios["share64"] = median["limit64"] / median["fast64"]
    return ratios


def _shares(median):
    """Each implementation's share of the matrix-product limit (float32 ones against the float32 limit)."""
    return {name: (median["limit32"] if name.endswith("32") else median["limit64"]) / median[name]
            for name in median if not name.startswith("limit")}


def spread(values):
    """min, median and max of a list of numbers, as a dict (what every reported ratio carries)."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def summarise(runs, shape):
    """Medians, ratios and shares of the limit: per run, and as min - median - max over the runs.

    ``runs`` is a list (one per run) of name -> list of seconds.
    """
    run_medians = [{name: statistics.median(values) for name, values in times.items()} for times in runs]
    run_ratios = [_ratios(median) for median in run_medians]
    run_shares = [_shares(median) for median in run_medians]
    all_times = {name: [value for times in runs for value in times[name]] for name in runs[0]}
    median = {name: statistics.median(values) for name, values in all_times.items()}
    return {"shape": dict(zip(("n_x", "n_a", "m", "T"), shape, strict=True)), "flops": flops(*shape),
            "runs": len(runs), "median_s": median,
            "run_medians_s": {name: [m[name] for m in run_medians] for name in median},
            "ratios": {key: {**spread([r[key] for r in run_ratios]), "runs": [r[key] for r in run_ratios]}
                       for key in run_ratios[0]},
            "share_of_limit": {name: spread([s[name] for s in run_shares]) for name in run_shares[0]},
            "gflops_per_s": {name: flops(*shape) / value / 1e9 for name, value in median.items()},
            "times_s": all_times}


# --- where the time of one step goes ----------------------------------------------------------------------


def product_replay(n_x, n_a, m, T, dtype=np.float64):
    """A function doing the matrix products of one fast forward + backward pass, alone, with the same shapes and
    layouts: the input product for all steps, T recurrent products, the prediction layer; T products (15), the
    weight gradients and (17) for all steps."""
    rng = np.random.default_rng(2)
    hx = rng.normal(size=(n_a + n_x + 1, (T + 1) * m)).astype(dtype)
    W = rng.normal(size=(4 * n_a, n_a + n_x)).astype(dtype)
    Wb = rng.normal(size=(4 * n_a, n_a + n_x + 1)).astype(dtype)
    W_a, W_x1, W_aT, W_xT = Wb[:, :n_a], Wb[:, n_a:], W[:, :n_a].T, W[:, n_a:].T
    Wy = rng.normal(size=(N_Y, n_a)).astype(dtype)
    a = rng.normal(size=(n_a, m * T)).astype(dtype)
    gates = np.empty((4 * n_a, T * m), dtype)
    dz = rng.normal(size=(4 * n_a, T * m)).astype(dtype)
    recurrent = np.empty((4 * n_a, m), dtype)
    scores = np.empty((N_Y, m * T), dtype)
    da_prev = np.empty((n_a, m), dtype)
    dWb = np.empty((4 * n_a, n_a + n_x + 1), dtype)
    dx_all = np.empty((n_x, T * m), dtype)

    def run():
        np.matmul(W_x1, hx[n_a:, :T * m], out=gates)
        for t in range(T):
            np.matmul(W_a, hx[:n_a, t * m:(t + 1) * m], out=recurrent)
        np.matmul(Wy, a, out=scores)
        for t in range(T - 1, -1, -1):
            np.matmul(W_aT, dz[:, t * m:(t + 1) * m], out=da_prev)
        np.matmul(dz, hx[:, :T * m].T, out=dWb)
        np.matmul(W_xT, dz, out=dx_all)
    return run


def step_breakdown(shape, rounds, backends):
    """Microseconds per step of one forward + backward pass (float64), split into products, calls and the rest.

    For each backend: ``total`` (the pass / T), ``products`` (:func:`product_replay` / T), ``calls`` (the pass on
    n_x = n_a = m = 1 with the same T, less its products, / T: what every call costs before doing any work) and
    ``elementwise`` (total - products - calls). Medians of ``rounds`` interleaved rounds.
    """
    n_x, n_a, m, T = shape
    full, tiny = make_problem(n_x, n_a, m, T), make_problem(1, 1, 1, T)

    def pass_on(problem, backend):
        parameters, x, a0, da = problem

        def run():
            with fast.use_backend(backend):
                _, _, _, caches = fast.lstm_forward(x, a0, parameters)
                fast.lstm_backward(da, caches)
        return run

    functions = {"products": product_replay(n_x, n_a, m, T), "tiny_products": product_replay(1, 1, 1, T)}
    for backend in backends:
        functions[f"{backend}_total"] = pass_on(full, backend)
        functions[f"{backend}_tiny"] = pass_on(tiny, backend)
    median = {name: statistics.median(values) for name, values in measure(functions, rounds).items()}
    out = {"shape": dict(zip(("n_x", "n_a", "m", "T"), shape, strict=True)), "rounds": rounds, "backends": {}}
    for backend in backends:
        total, products = median[f"{backend}_total"], median["products"]
        calls = median[f"{backend}_tiny"] - median["tiny_products"]
        out["backends"][backend] = {key: 1e6 * value / T for key, value in (
            ("total", total), ("products", products), ("calls", calls),
            ("elementwise", total - products - calls))}
    return out


def recurrent_product_orientation(shape, rounds, runs=RUNS):
    """Microseconds of the forward pass's recurrent product, W_a a⟨t-1⟩, in the two orientations, float64.

    The same numbers and FLOPs: ``W_a A`` with A of shape (n_a, m), one column per example (the course's
    orientation, which lstm.fast uses), and its transpose ``Aᵀ W_aᵀ`` with one row per example; each result is
    written into a contiguous array, as a loop over time needs it. Returns, for each, the median over ``rounds``
    interleaved rounds in each of ``runs`` runs as min - median - max, and the ratio rows ÷ columns likewise.
    """
    n_x, n_a, m, T = shape
    rng = np.random.default_rng(3)
    W_a = rng.normal(size=(4 * n_a, n_a))
    W_aT = np.ascontiguousarray(W_a.T)
    A = rng.normal(size=(n_a, m))
    A_T = np.ascontiguousarray(A.T)
    out, out_T = np.empty((4 * n_a, m)), np.empty((m, 4 * n_a))

    def columns():
        for _ in range(T):
            np.matmul(W_a, A, out=out)

    def rows():
        for _ in range(T):
            np.matmul(A_T, W_aT, out=out_T)

    per_run = []
    for _ in range(runs):
        times = measure({"columns": columns, "rows": rows}, rounds)
        per_run.append({name: 1e6 * statistics.median(values) / T for name, values in times.items()})
    ratios = [run["rows"] / run["columns"] for run in per_run]
    return {"shape": dict(zip(("n_x", "n_a", "m", "T"), shape, strict=True)),
            "columns_us": spread([run["columns"] for run in per_run]),
            "rows_us": spread([run["rows"] for run in per_run]),
            "rows/columns": {**spread(ratios), "runs": ratios}}


# --- a whole run ------------------------------------------------------------------------------------------


def run_benchmark(config_names=("small", "medium", "large"), repeats=None, runs=RUNS, torch="auto", check=True,
                  progress=None, breakdown=("medium", "large"), compile_in_fresh_processes=True):
    """Measure the configurations ``config_names``; return a dict of results (what ``--json`` writes).

    Parameters
    ----------
    repeats : dict, optional
        Interleaved rounds per run, per configuration; defaults to :data:`REPEATS`.
    runs : int
        Repeated runs per configuration; each ratio is reported as min - median - max over them.
    torch : "auto", None or the torch module
        "auto" imports torch when it is installed; None leaves it out.
    check : bool
        Check every implementation against the reference before timing it.
    progress : callable, optional
        Called with a line of text as each configuration starts.
    breakdown : tuple of str
        The configurations whose step is split into products, calls and element-wise work.
    compile_in_fresh_processes : bool
        Measure the kernels' compile time in fresh processes (:func:`compile_times`; a few seconds).
    """
    repeats = {**REPEATS, **(repeats or {})}
    torch = import_torch() if torch == "auto" else torch
    blas = blas_info()
    if torch is not None:
        torch.set_num_threads(int(blas["threads"] or os.cpu_count() or 1))  # the same thread count as numpy
    machine = machine_info(blas)
    load_before, busy_before = load_average(), cpu_busy_percent()
    results = {"date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine,
               "torch": None if torch is None else {"version": torch.__version__,
                                                    "threads": torch.get_num_threads(),
                                                    "mkldnn": bool(torch.backends.mkldnn.is_available())},
               "fast_backend": fast.backend(),
               "load_average_before": load_before, "cpu_busy_percent_before": busy_before,
               "configs": {}}
    if progress and compile_in_fresh_processes:
        progress(f"compiling the kernels of lstm.fast ({fast.backend()} backend) in fresh processes")
    results["compile"] = compile_times() if compile_in_fresh_processes else None
    results["compile_in_this_process_s"] = fast.compile_kernels()  # loads them from the cache: not timed below
    for name in config_names:
        shape = CONFIGS[name]
        if progress:
            progress(f"{name} (n_x, n_a, m, T) = {shape}: {runs} runs of {repeats[name]} rounds")
        problem = make_problem(*shape)
        functions = implementations(problem, torch)
        errors = check_agreement(problem, functions) if check else {}
        summary = summarise([measure(functions, repeats[name]) for _ in range(runs)], shape)
        summary["repeats"] = repeats[name]
        summary["max_relative_error_vs_reference"] = errors
        results["configs"][name] = summary
    results["step_breakdown"], results["recurrent_product"] = {}, {}
    backends = ("numpy", "numba") if fast.fast_kernels.AVAILABLE else ("numpy",)
    for name in (name for name in breakdown if name in config_names):
        if progress:
            progress(f"where the time of one step goes: {name}")
        results["step_breakdown"][name] = step_breakdown(CONFIGS[name], 3 * repeats[name], backends)
        results["recurrent_product"][name] = recurrent_product_orientation(CONFIGS[name], repeats[name], runs)
    results["load_average_after"] = load_average()
    results["cpu_busy_percent_after"] = cpu_busy_percent()
    results["machine_state_before"] = machine_state(load_before, busy_before, machine["cores"])
    results["targets"] = evaluate_targets(results)
    return results


def evaluate_targets(results):
    """[{ratio, config, comparison, target, value, min, max, met, met_in_every_run}] for every measured target.

    ``value`` is the median over the runs and decides ``met``; ``met_in_every_run`` says whether the whole spread,
    from min to max, is on the right side of the target.
    """
    verdicts = []
    for key, _, per_config in TARGETS:
        for config, (comparison, target) in per_config.items():
            ratio = results["configs"].get(config, {}).get("ratios", {}).get(key)
            if ratio is None:
                continue

            def meets(value, comparison=comparison, target=target):
                return value >= target if comparison == ">=" else value <= target

            verdicts.append({"ratio": key, "config": config, "comparison": comparison, "target": target,
                             "value": ratio["median"], "min": ratio["min"], "max": ratio["max"],
                             "met": bool(meets(ratio["median"])),
                             "met_in_every_run": bool(all(meets(value) for value in ratio["runs"]))})
    return verdicts


# --- printing --------------------------------------------------------------------------------------------


def _format_ratio(key, value):
    return f"{100 * value:.1f}%" if key.startswith("share") else f"{value:.2f}"


def _format_spread(key, ratio):
    """'1.23 (1.10–1.31)': the median, then min–max over the runs."""
    return (f"{_format_ratio(key, ratio['median'])} "
            f"({_format_ratio(key, ratio['min'])}–{_format_ratio(key, ratio['max'])})")


def format_report(results):
    """The machine, the medians, the ratios with their spread, the targets and the step breakdown, as text.

    Every line is at most 88 characters, so that the report fits a page's column.
    """
    configs = results["configs"]
    names = list(configs)
    machine, blas = results["machine"], results["machine"]["blas"]
    state = results.get("machine_state_before")
    removed = machine.get("openblas_environment_removed_for_this_run") or {}
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores; numpy {machine['numpy']}",
             f"BLAS: {blas['library']} {blas['version']}, kernel {blas['kernel']}, {blas['threads']} threads"
             + (f"; torch {results['torch']['version']}" if results["torch"] else "; torch not installed"),
             f"fast path: {results.get('fast_backend')} backend" + (
                 f"; compiled once in {results['compile']['cold_s']:.1f} s, loaded from the cache "
                 f"in {results['compile']['cached_s']:.2f} s" if results.get("compile") else ""),
             *([f"removed from the environment for this run: "
                f"{', '.join(f'{k}={v}' for k, v in removed.items())}"] if removed else []),
             f"load average before / after: {results['load_average_before']} / "
             f"{results['load_average_after']}",
             f"processors busy just before / after: {results.get('cpu_busy_percent_before')}% / "
             f"{results.get('cpu_busy_percent_after')}%"]
    if state == "idle":
        lines.append("the machine was idle before the run")
    elif state == "loaded":
        lines.append("THE MACHINE WAS LOADED: these timings are not those of an idle machine")
    runs = configs[names[0]]["runs"] if names else 0
    lines += ["", "median time of one forward + backward pass, ms"]
    header = f"{'':<14}" + "".join(f"{name:>12}" for name in names)
    lines.append(header)
    for impl in IMPLEMENTATIONS:
        if not all(impl in configs[name]["median_s"] for name in names):
            continue
        lines.append(f"{impl:<14}" + "".join(f"{1e3 * configs[name]['median_s'][impl]:>12.3f}"
                                             for name in names))
    lines += ["", f"ratios: median (min–max) over {runs} runs"]
    verdicts = {(v["ratio"], v["config"]): v for v in results["targets"]}
    for key, label, _ in (*TARGETS, *EXTRA_RATIOS):
        lines.append(f"{label}")
        for name in names:
            ratio = configs[name]["ratios"].get(key)
            if ratio is None:
                continue
            verdict = verdicts.get((key, name))
            cell = f"  {name:<8}{_format_spread(key, ratio):<22}"
            if verdict is not None:
                target = f"{verdict['comparison']} {_format_ratio(key, verdict['target'])}"
                mark = "met" if verdict["met"] else "NOT met"
                every = "in every run" if verdict["met_in_every_run"] else "not in every run"
                cell += f"target {target:<7} {mark}, {every}"
            lines.append(cell.rstrip())
    breakdown = results.get("step_breakdown") or {}
    if breakdown:
        lines += ["", "one step, µs: products + calls + element-wise = total (float64)"]
        for name, parts in breakdown.items():
            for backend, b in parts["backends"].items():
                lines.append(f"  {name:<8}{backend:<7}{b['products']:>9.1f} +{b['calls']:>7.1f} +"
                             f"{b['elementwise']:>7.1f} ={b['total']:>9.1f}")
    orientation = results.get("recurrent_product") or {}
    if orientation:
        lines += ["", "one recurrent product, µs: one column per example (as used), one row per example"]
        for name, result in orientation.items():
            lines.append(f"  {name:<8}columns {_format_us(result['columns_us'])}")
            lines.append(f"  {'':<8}rows    {_format_us(result['rows_us'])}, "
                         f"{_format_spread('rows/columns', result['rows/columns'])} times as long")
    return "\n".join(lines)


def _format_us(values):
    """'70.1 (68.0–75.3)': microseconds, the median then min–max over the runs."""
    return f"{values['median']:.1f} ({values['min']:.1f}–{values['max']:.1f})"


# --- the command -----------------------------------------------------------------------------------------


def _reexec_without_openblas_overrides():
    """Re-run this script with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its own environment."""
    found = {name: os.environ[name] for name in OPENBLAS_VARIABLES if name in os.environ}
    if not found:
        return
    environment = {key: value for key, value in os.environ.items() if key not in found}
    environment[_REMOVED] = ";".join(f"{key}={value}" for key, value in found.items())
    print(f"note: {', '.join(f'{k}={v}' for k, v in found.items())} pin an older OpenBLAS kernel here; "
          "re-running without them (--keep-openblas-env keeps them)", flush=True)
    os.execve(sys.executable, [sys.executable, *sys.argv], environment)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small and medium only, few repeats (seconds)")
    parser.add_argument("--json", metavar="PATH", help="write every timing, the machine and the load as JSON")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when it is installed")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as the environment sets them")
    args = parser.parse_args(argv)
    if argv is None and not args.keep_openblas_env:
        _reexec_without_openblas_overrides()

    names = ("small", "medium") if args.quick else tuple(CONFIGS)
    results = run_benchmark(names, repeats=QUICK_REPEATS if args.quick else None,
                            runs=QUICK_RUNS if args.quick else RUNS,
                            torch=None if args.no_torch else "auto", progress=print,
                            breakdown=("medium",) if args.quick else ("medium", "large"))
    results["command"] = "python bench/bench_lstm.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print()
    print(format_report(results))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
