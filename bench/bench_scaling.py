"""How the cost of forward + backward grows with the sequence length T and the hidden size n_a.

    python bench/bench_scaling.py --json results/scaling.json

Times the fast path (float64) and the reference at fixed (n_x, n_a, m) for several T, and at fixed (n_x, m, T) for
several n_a; the best and the median of interleaved rounds, in one process. Chapter 9 plots the committed
results: the work is proportional to T·n_a·(n_a + n_x), so time grows linearly in T and, once the products dominate,
quadratically in n_a. Like bench_lstm.py, it runs without the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides
unless told to keep them.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

import bench_lstm
from bench_lstm import (
    cpu_busy_percent,
    flops,
    implementations,
    load_average,
    machine_info,
    machine_state,
    make_problem,
    measure,
)

#: (n_x, n_a, m) for the sweep over T, and the values of T.
T_SWEEP = {"fixed": {"n_x": 64, "n_a": 128, "m": 32}, "values": [10, 20, 40, 80, 160]}
#: (n_x, m, T) for the sweep over n_a, and the values of n_a.
N_A_SWEEP = {"fixed": {"n_x": 64, "m": 32, "T": 20}, "values": [16, 32, 64, 128, 256, 512, 1024]}
ROUNDS = 5


def sweep(shapes, rounds, progress=print):
    """Seconds of the reference and the fast path (float64) for each (n_x, n_a, m, T) in ``shapes``.

    ``reference_s`` and ``fast64_s`` are the best of ``rounds`` interleaved rounds (other processes on the machine
    can only add time, so the minimum is the steadiest estimate of a curve's shape); the medians are kept too.
    """
    out = {"reference_s": [], "fast64_s": [], "reference_median_s": [], "fast64_median_s": [],
           "reference_max_s": [], "fast64_max_s": [], "ratio_reference_fast64": [], "flops": []}
    for shape in shapes:
        progress(f"(n_x, n_a, m, T) = {shape}")
        functions = implementations(make_problem(*shape))
        times = measure({name: functions[name] for name in ("reference", "fast64")}, rounds)
        for name in ("reference", "fast64"):
            out[f"{name}_s"].append(min(times[name]))
            out[f"{name}_median_s"].append(statistics.median(times[name]))
            out[f"{name}_max_s"].append(max(times[name]))
        # reference ÷ fast of each round (the two ran one after the other): min, median and max over the rounds
        ratios = [ref / fast for ref, fast in zip(times["reference"], times["fast64"], strict=True)]
        out["ratio_reference_fast64"].append(bench_lstm.spread(ratios))
        out["flops"].append(flops(*shape))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="PATH", required=True, help="where to write the results")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--keep-openblas-env", action="store_true")
    args = parser.parse_args(argv)
    if argv is None and not args.keep_openblas_env:
        bench_lstm._reexec_without_openblas_overrides()

    blas = bench_lstm.blas_info()
    machine = machine_info(blas)
    load_before, busy_before = load_average(), cpu_busy_percent()
    results = {"command": "python bench/bench_scaling.py " + " ".join(sys.argv[1:] if argv is None else argv),
               "machine": machine, "fast_backend": bench_lstm.fast.backend(),
               "load_average_before": load_before, "cpu_busy_percent_before": busy_before,
               "machine_state_before": machine_state(load_before, busy_before, machine["cores"]),
               "rounds": args.rounds}
    bench_lstm.fast.compile_kernels()  # compiled or loaded from the cache before any timing
    fixed = T_SWEEP["fixed"]
    results["vs_T"] = {**T_SWEEP, **sweep([(fixed["n_x"], fixed["n_a"], fixed["m"], T) for T in T_SWEEP["values"]],
                                          args.rounds)}
    fixed = N_A_SWEEP["fixed"]
    results["vs_n_a"] = {**N_A_SWEEP, **sweep([(fixed["n_x"], n_a, fixed["m"], fixed["T"])
                                               for n_a in N_A_SWEEP["values"]], args.rounds)}
    results["load_average_after"] = load_average()
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path} (machine {results['machine_state_before']} before the run, "
          f"load average {load_before})")


if __name__ == "__main__":
    main()
