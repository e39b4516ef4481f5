"""Benchmark the LSTM's forward + backward pass: the reference, the fast path, PyTorch and the hardware's limit.

    python bench/bench_lstm.py                  # the full run (about a minute on 2 cores)
    python bench/bench_lstm.py --quick          # a few seconds: small and medium only, fewer repeats
    python bench/bench_lstm.py --json results/benchmark.json    # also write every timing and the machine

In ONE process it times, for each configuration (n_x, n_a, m, T): the reference functions
(:func:`lstm.lstm_forward` / :func:`lstm.lstm_backward`), the fast path (:mod:`lstm.fast`) in float64 and float32,
PyTorch's ``nn.LSTM`` in float64 and float32 when torch is installed (with as many threads as numpy's BLAS), and a
plain matrix product of the recurrent shape, (4 n_a, n_a + n_x) @ (n_a + n_x, m), run 3 T times: the FLOPs of the
LSTM, about 3 x 2 T m 4 n_a (n_a + n_x), at the speed the BLAS reaches on that shape. That is the "limit"; an
implementation's share of it is limit time / its time.

Timings are interleaved (each round runs every implementation in turn), so that a change of load on a shared machine
hits all of them alike; within a round each implementation runs twice and only the second run is timed, so that
switching libraries (PyTorch's OpenMP threads spin for milliseconds after a call) costs nothing to the next one.
The medians and their ratios are reported. Before timing, every implementation is checked against the reference,
so a fast wrong answer cannot be reported.

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
import sys
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

#: (n_x, n_a, m, T) of each configuration, as in issue 6.
CONFIGS = {"small": (3, 5, 10, 7), "medium": (64, 128, 32, 100), "large": (256, 512, 64, 50)}

#: Interleaved rounds per configuration: the full run, and --quick.
REPEATS = {"small": 300, "medium": 30, "large": 9}
QUICK_REPEATS = {"small": 40, "medium": 3}

#: Number of output classes of the prediction layer (part of the forward pass of ours, not of nn.LSTM).
N_Y = 10

#: The implementations, in the order they are printed.
IMPLEMENTATIONS = ("reference", "fast64", "fast32", "torch64", "torch32", "limit64", "limit32")

#: The targets of issue 6: (ratio key, what it is, {config: (comparison, value)}).
TARGETS = (
    ("reference/fast64", "reference ÷ fast (float64)",
     {"small": (">=", 2.5), "medium": (">=", 1.8), "large": (">=", 1.5)}),
    ("fast64/torch64", "fast ÷ torch (float64)",
     {"small": ("<=", 0.5), "medium": ("<=", 1.0), "large": ("<=", 1.0)}),
    ("fast32/torch32", "fast ÷ torch (float32, oneDNN)",
     {"small": ("<=", 0.5), "medium": ("<=", 2.5), "large": ("<=", 1.6)}),
    ("share64", "share of the matmul limit (float64)",
     {"medium": (">=", 0.35), "large": (">=", 0.50)}),
)

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

    def fast_path(dtype):
        def run():
            _, _, _, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
            return fast.lstm_backward(da, caches)
        return run

    def limit(dtype):
        rng = np.random.default_rng(1)
        W = rng.normal(size=(4 * n_a, n_a + n_x)).astype(dtype)
        h = rng.normal(size=(n_a + n_x, m)).astype(dtype)
        out = np.empty((4 * n_a, m), dtype=dtype)

        def run():  # 3 T products of the recurrent shape: the FLOPs of forward + backward
            for _ in range(3 * T):
                np.matmul(W, h, out=out)
        return run

    functions = {"reference": reference, "fast64": fast_path(np.float64), "fast32": fast_path(np.float32)}
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
    for name, tolerance in (("fast64", 1e-10), ("fast32", 1e-3)):
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


def summarise(times, shape):
    """Medians, the ratios of issue 6 and the shares of the matrix-product limit."""
    median = {name: statistics.median(values) for name, values in times.items()}
    ratios = {"reference/fast64": median["reference"] / median["fast64"]}
    if "torch64" in median:
        ratios["fast64/torch64"] = median["fast64"] / median["torch64"]
        ratios["fast32/torch32"] = median["fast32"] / median["torch32"]
    share = {}
    for name in median:
        if name.startswith("limit"):
            continue
        limit = median["limit32"] if name.endswith("32") else median["limit64"]
        share[name] = limit / median[name]
    ratios["share64"] = share["fast64"]
    return {"shape": dict(zip(("n_x", "n_a", "m", "T"), shape, strict=True)), "flops": flops(*shape),
            "median_s": median, "ratios": ratios, "share_of_limit": share, "times_s": times,
            "gflops_per_s": {name: flops(*shape) / value / 1e9 for name, value in median.items()}}


def run_benchmark(config_names=("small", "medium", "large"), repeats=None, torch="auto", check=True,
                  progress=None):
    """Measure the configurations ``config_names``; return a dict of results (what ``--json`` writes).

    Parameters
    ----------
    repeats : dict, optional
        Rounds per configuration; defaults to :data:`REPEATS`.
    torch : "auto", None or the torch module
        "auto" imports torch when it is installed; None leaves it out.
    check : bool
        Check every implementation against the reference before timing it.
    progress : callable, optional
        Called with a line of text as each configuration starts.
    """
    repeats = {**REPEATS, **(repeats or {})}
    torch = import_torch() if torch == "auto" else torch
    blas = blas_info()
    if torch is not None:
        torch.set_num_threads(int(blas["threads"] or os.cpu_count() or 1))  # the same thread count as numpy
    results = {"date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine_info(blas),
               "torch": None if torch is None else {"version": torch.__version__,
                                                    "threads": torch.get_num_threads(),
                                                    "mkldnn": bool(torch.backends.mkldnn.is_available())},
               "load_average_before": load_average(), "cpu_busy_percent_before": cpu_busy_percent(),
               "configs": {}}
    for name in config_names:
        shape = CONFIGS[name]
        if progress:
            progress(f"{name} (n_x, n_a, m, T) = {shape}: {repeats[name]} rounds")
        problem = make_problem(*shape)
        functions = implementations(problem, torch)
        errors = check_agreement(problem, functions) if check else {}
        summary = summarise(measure(functions, repeats[name]), shape)
        summary["repeats"] = repeats[name]
        summary["max_relative_error_vs_reference"] = errors
        results["configs"][name] = summary
    results["load_average_after"] = load_average()
    results["cpu_busy_percent_after"] = cpu_busy_percent()
    results["targets"] = evaluate_targets(results)
    return results


def evaluate_targets(results):
    """[{ratio, config, comparison, target, value, met}] for every target whose ratio was measured."""
    verdicts = []
    for key, _, per_config in TARGETS:
        for config, (comparison, target) in per_config.items():
            value = results["configs"].get(config, {}).get("ratios", {}).get(key)
            if value is None:
                continue
            met = value >= target if comparison == ">=" else value <= target
            verdicts.append({"ratio": key, "config": config, "comparison": comparison, "target": target,
                             "value": value, "met": bool(met)})
    return verdicts


# --- printing --------------------------------------------------------------------------------------------


def _format_ratio(key, value):
    return f"{100 * value:.0f}%" if key.startswith("share") else f"{value:.2f}"


def format_report(results):
    """The medians table and the ratios table, as text."""
    configs = results["configs"]
    names = list(configs)
    machine = results["machine"]
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores; numpy {machine['numpy']} with "
             f"{machine['blas']['library']} {machine['blas']['version']} (kernel {machine['blas']['kernel']}, "
             f"{machine['blas']['threads']} threads)"
             + (f"; torch {results['torch']['version']} ({results['torch']['threads']} threads)"
                if results["torch"] else "; torch not installed"),
             f"load average before / after: {results['load_average_before']} / {results['load_average_after']}; "
             f"processors busy in the second before / after: {results.get('cpu_busy_percent_before')}% / "
             f"{results.get('cpu_busy_percent_after')}%",
             "", "median time of one forward + backward pass, ms"]
    header = f"{'':<12}" + "".join(f"{name:>12}" for name in names)
    lines += [header]
    for impl in IMPLEMENTATIONS:
        if not all(impl in configs[name]["median_s"] for name in names):
            continue
        lines.append(f"{impl:<12}" + "".join(f"{1e3 * configs[name]['median_s'][impl]:>12.3f}" for name in names))
    lines += ["", "share of the matrix-product limit (limit time / time; float32 against the float32 limit)"]
    lines.append(header)
    for impl in IMPLEMENTATIONS:
        if impl.startswith("limit") or not all(impl in configs[name]["share_of_limit"] for name in names):
            continue
        lines.append(f"{impl:<12}" + "".join(f"{100 * configs[name]['share_of_limit'][impl]:>11.0f}%"
                                             for name in names))
    lines += ["", "ratios of medians against the targets of issue 6"]
    verdicts = {(v["ratio"], v["config"]): v for v in results["targets"]}
    for key, label, _ in TARGETS:
        cells = []
        for name in names:
            value = configs[name]["ratios"].get(key)
            verdict = verdicts.get((key, name))
            if value is None:
                cells.append(f"{'—':>22}")
            elif verdict is None:
                cells.append(f"{_format_ratio(key, value) + ' (no target)':>22}")
            else:
                mark = "met" if verdict["met"] else "NOT met"
                target = f"{verdict['comparison']}{_format_ratio(key, verdict['target'])}"
                cells.append(f"{_format_ratio(key, value) + f' {target} {mark}':>22}")
        lines.append(f"{label:<38}" + "".join(cells))
    lines.append(f"{'':<38}" + "".join(f"{name:>22}" for name in names))
    return "\n".join(lines)


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
                            torch=None if args.no_torch else "auto", progress=print)
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
