"""The fast path (:mod:`lstm.fast`) against the reference, finite differences and PyTorch.

Every test runs twice: on the fused kernels compiled by Numba (skipped where Numba is not installed, a failure under
CI) and on the numpy path. No timing here: the benchmark (bench/bench_lstm.py) measures speed; these tests prove
equality.
"""

import dataclasses
import importlib
import json
import os
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import lstm
from lstm import fast
from lstm.gradcheck import gradient_check, relative_error
from lstm.pytorch import gate_gradients_from_torch, sequence_from_torch, sequence_to_torch, to_torch_lstm
from tests.conftest import import_or_skip, skip_or_fail
from tests.helpers import SHAPES, random_lstm_problem

#: SHAPES (n_x, n_a, n_y, m, T_x) holds m = 1 and T_x = 1. The larger shapes add blocks of several steps in the
#: backward pass of the numpy path (5, 40, ...) and results large enough to go through the pool (6, 70, ...).
FAST_SHAPES = [*SHAPES, (7, 11, 3, 6, 9), (5, 40, 4, 8, 30), (6, 70, 3, 10, 25)]
GRADIENT_KEYS = ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")

#: The float32 path against the float64 reference: relative error (lstm.relative_error) below this, with the
#: course's initial scales.
FLOAT32_TOLERANCE = 1e-5
#: ... and with saturated gates: σ' = σ (1 - σ) is then computed from a σ rounded to float32, whose spacing near 1
#: (6e-8) is no longer small against 1 - σ, so a gradient through a nearly closed or open gate loses digits.
FLOAT32_SATURATED_TOLERANCE = 1e-3

ROOT = Path(__file__).resolve().parent.parent

FAST_EXTRA_HINT = 'install the fast extra: .venv/bin/pip install -e ".[fast]"'


@pytest.fixture(autouse=True, params=fast.BACKENDS)
def backend(request):
    """Run the test on each backend: the Numba kernels, then the numpy path."""
    if request.param == "numba":
        import_or_skip("numba", FAST_EXTRA_HINT)
    with fast.use_backend(request.param):
        yield request.param


def both(parameters, x, a0, da, dtype=np.float64):
    """Reference and fast results: (outputs, gradients) of each."""
    a, y, c, caches = lstm.lstm_forward(x, a0, parameters)
    reference = ({"a": a, "y": y, "c": c}, lstm.lstm_backward(da, caches))
    a, y, c, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
    return reference, ({"a": a, "y": y, "c": c}, fast.lstm_backward(da, caches))


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", FAST_SHAPES)
def test_equal_to_the_reference_in_float64(rng, n_x, n_a, n_y, m, T_x):
    (ref_out, ref_grads), (out, grads) = both(*random_lstm_problem(rng, n_x, n_a, n_y, m, T_x))
    assert list(grads) == list(ref_grads), "same gradient names, in the same order"
    for name in ref_out:
        assert out[name].shape == ref_out[name].shape and out[name].dtype == np.float64
        assert relative_error(out[name], ref_out[name]) < 1e-10, name
    for name in ref_grads:
        assert grads[name].shape == ref_grads[name].shape and grads[name].dtype == np.float64
        assert relative_error(grads[name], ref_grads[name]) < 1e-10, name


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", FAST_SHAPES)
def test_float32_is_float32_throughout_and_close_to_float64(rng, n_x, n_a, n_y, m, T_x):
    (ref_out, ref_grads), (out, grads) = both(*random_lstm_problem(rng, n_x, n_a, n_y, m, T_x), dtype=np.float32)
    for name, value in [*out.items(), *grads.items()]:
        assert value.dtype == np.float32, name
    # float32 keeps about 7 significant digits; after T_x steps of rounding, 1e-5 relative is a tight bound.
    for name in ref_out:
        assert relative_error(out[name], ref_out[name]) < FLOAT32_TOLERANCE, name
    for name in ref_grads:
        assert relative_error(grads[name], ref_grads[name]) < FLOAT32_TOLERANCE, name


def test_float32_caches_hold_float32(rng):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    caches = fast.lstm_forward(x, a0, parameters, dtype=np.float32)[3]
    for field in dataclasses.fields(caches):
        assert getattr(caches, field.name).dtype == np.float32, field.name


def test_gradients_agree_with_finite_differences(rng):
    """Independent of the reference: loss = Σ da ⊙ a, every parameter and input checked numerically."""
    parameters, x, a0, da = random_lstm_problem(rng, 2, 3, 2, 2, 4)
    grads = fast.lstm_backward(da, fast.lstm_forward(x, a0, parameters)[3])

    def loss(inputs):
        p = {**parameters, **{key: inputs[key] for key in inputs if key in parameters}}
        return float(np.sum(da * fast.lstm_forward(inputs["x"], inputs["a0"], p)[0]))

    inputs = {"x": x, "a0": a0, **{key: parameters[key] for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}}
    analytic = {"x": grads["dx"], "a0": grads["da0"], **{key: grads["d" + key] for key in inputs if key in parameters}}
    errors = gradient_check(loss, inputs, analytic)
    assert max(errors.values()) < 1e-7, errors


def test_blocks_of_steps_in_the_backward_pass(rng, monkeypatch):
    """With tiny blocks (3 steps, then 1), the backward pass still equals the reference."""
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 5, 8)
    for block_numbers in (3 * 5 * 4 * 4, 1):
        monkeypatch.setattr(fast, "_BLOCK_NUMBERS", block_numbers)
        (_, ref_grads), (_, grads) = both(parameters, x, a0, da)
        for name in ref_grads:
            assert relative_error(grads[name], ref_grads[name]) < 1e-10, (block_numbers, name)


def test_step_by_step_equals_the_batched_sequence(rng):
    """One cell at a time (T_x calls of lstm_cell_forward/backward, chained) equals one fast call over T_x steps."""
    n_x, n_a, n_y, m, T_x = 4, 6, 3, 5, 7
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    a, y, c, caches = fast.lstm_forward(x, a0, parameters)
    grads = fast.lstm_backward(da, caches)

    a_t, c_t, step_caches = a0, np.zeros((n_a, m)), []
    for t in range(T_x):
        a_t, c_t, y_t, cache = lstm.lstm_cell_forward(x[:, :, t], a_t, c_t, parameters)
        step_caches.append(cache)
        assert relative_error(a[:, :, t], a_t) < 1e-12 and relative_error(c[:, :, t], c_t) < 1e-12
        assert relative_error(y[:, :, t], y_t) < 1e-12
    da_next, dc_next = np.zeros((n_a, m)), np.zeros((n_a, m))
    summed = {key: 0 for key in GRADIENT_KEYS[2:]}
    for t in reversed(range(T_x)):
        step = lstm.lstm_cell_backward(da[:, :, t] + da_next, dc_next, step_caches[t])
        assert relative_error(grads["dx"][:, :, t], step["dxt"]) < 1e-10
        for key in summed:
            summed[key] = summed[key] + step[key]
        da_next, dc_next = step["da_prev"], step["dc_prev"]
    assert relative_error(grads["da0"], da_next) < 1e-10
    for key, value in summed.items():
        assert relative_error(grads[key], value) < 1e-10, key


def test_examples_in_a_batch_do_not_interact(rng):
    """Each column run alone (m = 1) gives that column of the batched run; weight gradients add over examples."""
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 5, 6)
    a, y, c, caches = fast.lstm_forward(x, a0, parameters)
    grads = fast.lstm_backward(da, caches)
    summed = {key: 0 for key in GRADIENT_KEYS[2:]}
    for j in range(x.shape[1]):
        a_j, y_j, c_j, caches_j = fast.lstm_forward(x[:, j:j + 1], a0[:, j:j + 1], parameters)
        grads_j = fast.lstm_backward(da[:, j:j + 1], caches_j)
        for name, batched, alone in (("a", a, a_j), ("y", y, y_j), ("c", c, c_j),
                                     ("dx", grads["dx"], grads_j["dx"]), ("da0", grads["da0"], grads_j["da0"])):
            assert relative_error(batched[:, j:j + 1], alone) < 1e-12, name
        for key in summed:
            summed[key] = summed[key] + grads_j[key]
    for key, value in summed.items():
        assert relative_error(grads[key], value) < 1e-12, key


def torch_results(torch, parameters, x, a0, da, dtype):
    """States and every gradient from torch.nn.LSTM, with the loss Σ da ⊙ a."""
    net = to_torch_lstm(parameters, dtype=dtype)
    x_t = torch.tensor(sequence_to_torch(x), dtype=dtype, requires_grad=True)
    h0 = torch.tensor(a0.T[None].copy(), dtype=dtype, requires_grad=True)
    outputs, (_, c_n) = net(x_t, (h0, torch.zeros_like(h0)))
    (outputs * torch.tensor(sequence_to_torch(da), dtype=dtype)).sum().backward()
    return {"a": sequence_from_torch(outputs.detach().double().numpy()), "c_last": c_n[0].detach().double().numpy().T,
            "dx": sequence_from_torch(x_t.grad.double().numpy()), "da0": h0.grad[0].double().numpy().T,
            **{key: value.astype(np.float64) for key, value in gate_gradients_from_torch(net).items()}}


def fast_results(parameters, x, a0, da, dtype):
    a, _, c, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
    return {"a": a, "c_last": c[:, :, -1], **fast.lstm_backward(da, caches)}


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", FAST_SHAPES)
def test_equal_to_pytorch_in_float64(torch, rng, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.8)
    theirs = torch_results(torch, parameters, x, a0, da, torch.float64)
    ours = fast_results(parameters, x, a0, da, np.float64)
    for key, value in theirs.items():
        assert relative_error(ours[key], value) < 1e-10, key


#: How many random problems the float32 comparison with PyTorch draws per shape, and what it allows: the median
#: over the problems of (our worst error ÷ PyTorch's worst error), and the largest single ratio.
FLOAT32_PROBLEMS, FLOAT32_MEDIAN_RATIO, FLOAT32_WORST_RATIO = 5, 2.5, 10.0


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", FAST_SHAPES)
def test_as_accurate_as_pytorch_in_float32(torch, rng, n_x, n_a, n_y, m, T_x):
    """Against the float64 result (equal to PyTorch's, above), float32 errs about as much as PyTorch's float32.

    Rounding errors grow along the sequence, and by how much depends on the problem: on one problem a float32
    result may be several times further from the truth than another float32 result that rounded differently (the
    order of a sum, a fused multiply-add), although neither is less accurate in general. So several problems are
    drawn, and the ratio of the worst relative errors must be small on the median and never large. An error of
    1e-6 or less counts as 1e-6 (a few units of float32's last place).
    """
    ratios = []
    for _ in range(FLOAT32_PROBLEMS):
        parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.8)
        truth = fast_results(parameters, x, a0, da, np.float64)
        theirs = torch_results(torch, parameters, x, a0, da, torch.float32)
        ours = fast_results(parameters, x, a0, da, np.float32)
        assert all(value.dtype == np.float32 for value in ours.values())
        our_error = max(relative_error(ours[key], truth[key]) for key in theirs)
        their_error = max(relative_error(theirs[key], truth[key]) for key in theirs)
        ratios.append(max(our_error, 1e-6) / max(their_error, 1e-6))
    assert np.median(ratios) <= FLOAT32_MEDIAN_RATIO, ratios
    assert max(ratios) <= FLOAT32_WORST_RATIO, ratios


def test_inputs_and_caches_are_not_modified(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    before = {"x": x.copy(), "a0": a0.copy(), "da": da.copy(), **{k: v.copy() for k, v in parameters.items()}}
    a, y, c, caches = fast.lstm_forward(x, a0, parameters)
    held = {field.name: getattr(caches, field.name).copy() for field in dataclasses.fields(caches)}
    first = fast.lstm_backward(da, caches)
    first_values = {key: value.copy() for key, value in first.items()}
    a[...] = 0  # the results are the caller's: changing them must not change the caches
    c[...] = 0
    second = fast.lstm_backward(da, caches)  # reuses the backward pass's workspace: first must not change
    for key, value in first_values.items():
        assert np.array_equal(first[key], value), f"a second call changed the first call's {key}"
    after = {"x": x, "a0": a0, "da": da, **parameters}
    for key, value in before.items():
        assert np.array_equal(after[key], value), f"{key} was modified"
    for name, value in held.items():
        assert np.array_equal(getattr(caches, name), value), f"the backward pass modified caches.{name}"
    for key in first:
        assert np.array_equal(first[key], second[key]), key


def test_integer_and_list_inputs_are_accepted(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 2, 3, 2, 2, 3)
    a = fast.lstm_forward(np.round(x).astype(int), a0.tolist(), parameters)[0]
    a_ref = lstm.lstm_forward(np.round(x).astype(int), a0, parameters)[0]
    assert relative_error(a, a_ref) < 1e-12


# --- errors: the same messages as the reference --------------------------------------------------------


def bad_calls(rng):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    wrong_wf = {**parameters, "Wf": parameters["Wf"][:, :-1]}
    wrong_bo = {**parameters, "bo": parameters["bo"][:-1]}
    missing = {key: value for key, value in parameters.items() if key not in ("Wc", "by")}
    return {
        "x 2-D": (x[:, :, 0], a0, parameters),
        "a0 batch": (x, a0[:, :-1], parameters),
        "Wf columns": (x, a0, wrong_wf),
        "bo rows": (x, a0, wrong_bo),
        "missing keys": (x, a0, missing),
        "no steps": (x[:, :, :0], a0, parameters),
        "not numeric": (np.array([["a"]]), a0, parameters),
        "parameters not a dict": (x, a0, [1, 2]),
    }


@pytest.mark.parametrize("case", list(bad_calls(np.random.default_rng(0))))
def test_bad_forward_arguments_raise_the_reference_message(rng, case):
    arguments = bad_calls(rng)[case]
    with pytest.raises(Exception) as reference:
        lstm.lstm_forward(*arguments)
    with pytest.raises(type(reference.value)) as ours:
        fast.lstm_forward(*arguments)
    assert str(ours.value) == str(reference.value)


def test_bad_upstream_gradient_raises_the_reference_message(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    for wrong in (da[:, :, :-1], da[:, :-1], da[0]):
        with pytest.raises(ValueError) as reference:
            lstm.lstm_backward(wrong, lstm.lstm_forward(x, a0, parameters)[3])
        with pytest.raises(ValueError) as ours:
            fast.lstm_backward(wrong, fast.lstm_forward(x, a0, parameters)[3])
        assert str(ours.value) == str(reference.value)
        assert "da must have shape (n_a, m, T_x) = (5, 4, 6)" in str(ours.value)


def test_the_reference_caches_are_refused_with_a_clear_message(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match="FastCaches that lstm.fast.lstm_forward returns .*reference"):
        fast.lstm_backward(da, lstm.lstm_forward(x, a0, parameters)[3])


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "complex128", "nonsense"])
def test_unsupported_dtypes_are_refused(rng, dtype):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match="dtype must be np.float64 or np.float32"):
        fast.lstm_forward(x, a0, parameters, dtype=dtype)


# --- the stacked layout ---------------------------------------------------------------------------------


def test_stacked_layout_and_its_inverse(rng):
    parameters, *_ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    W, b = fast.stack_parameters(parameters)
    assert W.shape == (20, 8) and b.shape == (20, 1) and fast.GATE_ORDER == ("o", "f", "i", "c")
    for k, gate in enumerate(fast.GATE_ORDER):  # rows k n_a ... (k + 1) n_a hold gate k
        assert np.array_equal(W[5 * k:5 * (k + 1)], parameters["W" + gate])
        assert np.array_equal(b[5 * k:5 * (k + 1)], parameters["b" + gate])
    back = fast.unstack_parameters(W, b)
    assert list(back) == ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"]
    for key, value in back.items():
        assert np.array_equal(value, parameters[key]) and not np.shares_memory(value, W) and value is not b
    grads = fast.unstack_gradients(W, b)
    assert list(grads) == ["dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    assert np.array_equal(grads["dWc"], parameters["Wc"])
    assert fast.stack_parameters(parameters, dtype=np.float32)[0].dtype == np.float32


def test_stacking_checks_the_parameters(rng):
    parameters, *_ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match=r"parameters\['Wi'\] must have shape \(n_a, n_a \+ n_x\) = \(5, 8\)"):
        fast.stack_parameters({**parameters, "Wi": parameters["Wi"][:-1]})
    with pytest.raises(KeyError, match="missing 1 key: bc"):
        fast.stack_parameters({key: value for key, value in parameters.items() if key != "bc"})
    with pytest.raises(ValueError, match=r"dW must have shape \(4 n_a, n_a \+ n_x\)"):
        fast.unstack_gradients(np.zeros((7, 9)), np.zeros((7, 1)))
    with pytest.raises(ValueError, match=r"db must have shape \(4 n_a, 1\) = \(8, 1\)"):
        fast.unstack_gradients(np.zeros((8, 5)), np.zeros((8,)))


# --- memory and numerical safety ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_memory_report_is_what_the_caches_hold(rng, dtype):
    n_x, n_a, n_y, m, T_x = 6, 20, 3, 8, 12
    parameters, x, a0, _ = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x)
    caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)[3]
    arrays = [getattr(caches, field.name) for field in dataclasses.fields(caches)]
    assert all(isinstance(array, np.ndarray) and array.base is None for array in arrays), "no views"
    assert not any(np.shares_memory(p, q) for k, p in enumerate(arrays) for q in arrays[k + 1:])
    assert fast.cache_nbytes(caches) == caches.nbytes == sum(array.nbytes for array in arrays)
    numbers = 4 * n_a * (n_a + n_x) + (T_x + 1) * m * (n_a + n_x + 1) + T_x * m * 4 * n_a + (T_x + 1) * m * n_a \
        + T_x * m * n_a
    assert fast.cache_nbytes(caches) == numbers * np.dtype(dtype).itemsize


def test_memory_report_matches_the_memory_that_stays_allocated(rng):
    """numpy reports its allocations to tracemalloc: what the forward pass leaves behind is its pool of workspaces.

    The pool holds the caches' arrays (lent to the caches while they live) and the arrays of the results and
    temporaries that the caller has dropped, kept for the next call; workspace_nbytes counts all of them.
    """
    parameters, x, a0, _ = random_lstm_problem(rng, 16, 64, 3, 16, 40)
    fast.release_workspaces()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        caches = fast.lstm_forward(x, a0, parameters)[3]  # a, y, c are dropped at once
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert fast.cache_nbytes(caches) > 500_000
    assert fast.cache_nbytes(caches) < fast.workspace_nbytes() < 1.5 * fast.cache_nbytes(caches)
    scales = sum(array.nbytes for array in fast._sigmoid_scales(16, 64, np.dtype(np.float64)))  # 2 (4 n_a, m)
    assert abs(held - fast.workspace_nbytes() - scales) < 0.02 * fast.workspace_nbytes()
    fast.release_workspaces()
    assert fast.workspace_nbytes() == 0
    assert fast.cache_nbytes(caches) > 500_000, "releasing the pool leaves live caches alone"


def test_cache_nbytes_refuses_other_caches(rng):
    parameters, x, a0, _ = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match="FastCaches"):
        fast.cache_nbytes(lstm.lstm_forward(x, a0, parameters)[3])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_at_extremes(dtype):
    z = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = fast.sigmoid_inplace(z.copy())
    assert s.dtype == dtype and s[0] == 0 and s[-1] == 1 and s[3] == 0.5
    assert np.allclose(s, lstm.sigmoid(z), rtol=0, atol=10 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_gates_give_finite_results_without_warnings(rng, dtype):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    huge = {key: 1000 * value for key, value in parameters.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, y, c, caches = fast.lstm_forward(x, a0, huge, dtype=dtype)
        grads = fast.lstm_backward(da, caches)
    for value in (a, y, c, *grads.values()):
        assert np.all(np.isfinite(value))


# --- the two backends -----------------------------------------------------------------------------------

#: (n_x, n_a, n_y, m, T_x): one example, one step, one feature, more hidden units than features and fewer.
BACKEND_SHAPES = [(1, 4, 2, 3, 5), (5, 3, 2, 1, 4), (4, 6, 3, 2, 1), (2, 9, 3, 4, 7), (12, 3, 2, 5, 6),
                  (1, 1, 1, 1, 1)]


def all_results(problem, dtype=np.float64):
    parameters, x, a0, da = problem
    a, y, c, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
    return {"a": a, "y": y, "c": c, **fast.lstm_backward(da, caches)}


def test_the_backend_is_reported_and_can_be_chosen(backend):
    assert fast.backend() == fast.BACKEND == backend
    with fast.use_backend("numpy"):
        assert fast.backend() == "numpy"
    assert fast.backend() == backend
    with pytest.raises(ValueError, match="backend must be one of"):
        fast.set_backend("cuda")


def test_without_numba_the_numba_backend_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setattr(fast.fast_kernels, "AVAILABLE", False)
    with pytest.raises(ValueError, match=r'pip install -e "\.\[fast\]"'):
        fast.set_backend("numba")


def test_numba_is_the_default_when_it_is_installed():
    import_or_skip("numba", FAST_EXTRA_HINT)
    code = "from lstm import fast; print(fast.BACKEND)"
    env = {key: value for key, value in os.environ.items() if key != "LSTM_FAST_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert out.stdout.strip() == "numba"


@pytest.mark.parametrize("how", ["numba is not installed", "LSTM_FAST_BACKEND=numpy"])
def test_the_numpy_path_runs_when_numba_is_absent_or_refused(how):
    """In a fresh process without Numba (its import blocked) or told not to use it: the numpy path, still exact."""
    block = "import sys; sys.modules['numba'] = None\n" if how.startswith("numba") else ""
    code = block + (
        "import numpy as np, lstm\n"
        "from lstm import fast\n"
        "from tests.helpers import random_lstm_problem\n"
        "p, x, a0, da = random_lstm_problem(np.random.default_rng(3), 3, 5, 2, 4, 6)\n"
        "a, y, c, caches = fast.lstm_forward(x, a0, p)\n"
        "g = fast.lstm_backward(da, caches)\n"
        "a_r, y_r, c_r, caches_r = lstm.lstm_forward(x, a0, p)\n"
        "g_r = lstm.lstm_backward(da, caches_r)\n"
        "err = max(lstm.relative_error(g[k], g_r[k]) for k in g_r)\n"
        "err = max(err, lstm.relative_error(a, a_r), lstm.relative_error(c, c_r))\n"
        "print(fast.BACKEND, 'numba' in sys.modules and sys.modules['numba'] is not None, err < 1e-10)\n")
    env = dict(os.environ, LSTM_FAST_BACKEND="numpy" if how.startswith("LSTM") else "")
    out = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    backend, numba_loaded, exact = out.stdout.split()
    assert backend == "numpy" and exact == "True"
    if how.startswith("numba"):
        assert numba_loaded == "False"


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", BACKEND_SHAPES)
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_the_fused_kernels_equal_the_numpy_path_and_the_reference(rng, n_x, n_a, n_y, m, T_x, scale):
    """Both backends, float64 to 1e-10 of the reference and of each other; float32 to FLOAT32_TOLERANCE.

    ``scale = 3`` (weights and inputs) drives many gates close to 0 or 1. There σ' = σ (1 - σ) and tanh' = 1 - c̃²
    cancel: a difference of one unit in the last place between two correct tanh functions (numpy's and the C
    library's, which Numba calls) becomes a relative difference of about 1e-16 / (1 - c̃²) in the gradients. The
    states and predictions still agree to 1e-10 there; the gradients to 1e-7 in float64 (a wrong formula is off by
    order 1), and float32 to FLOAT32_SATURATED_TOLERANCE of the largest value of each result (a gradient that is
    small everywhere, such as 1 - c̃² for a saturated candidate, can round to exactly 0 in float32).
    """
    import_or_skip("numba", FAST_EXTRA_HINT)
    problem = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=scale)
    parameters, x, a0, da = problem
    x = scale * x
    problem = (parameters, x, a0, da)
    a, y, c, caches = lstm.lstm_forward(x, a0, parameters)
    reference = {"a": a, "y": y, "c": c, **lstm.lstm_backward(da, caches)}
    results = {}
    for name in fast.BACKENDS:
        with fast.use_backend(name):
            for dtype in (np.float64, np.float32):
                results[name, dtype] = all_results(problem, dtype)
    tolerance32 = FLOAT32_TOLERANCE if scale < 1 else FLOAT32_SATURATED_TOLERANCE
    for key, expected in reference.items():
        tolerance64 = 1e-10 if scale < 1 or key in ("a", "y", "c") else 1e-7
        for name in fast.BACKENDS:
            assert relative_error(results[name, np.float64][key], expected) < tolerance64, (name, key)
            assert results[name, np.float32][key].dtype == np.float32
            if scale < 1:
                assert relative_error(results[name, np.float32][key], expected) < tolerance32, (name, key)
            else:  # a gradient that is tiny everywhere may round to exactly 0 in float32: compare to its size
                size = max(1.0, float(np.abs(expected).max()))
                assert np.allclose(results[name, np.float32][key], expected, rtol=tolerance32,
                                   atol=tolerance32 * size), (name, key)
        numba_vs_numpy = relative_error(results["numba", np.float64][key], results["numpy", np.float64][key])
        assert numba_vs_numpy < (1e-12 if scale < 1 else tolerance64), key


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pre_activations_near_1000_give_the_reference_without_warnings(rng, dtype):
    """Weights of ±1000: σ and tanh at ±1000 are exactly 0, 1 or -1 and no warning is raised on either backend.

    Most gradients then underflow to zero (the reference leaves numbers like 1e-300 where the fast path has 0), so
    they are compared against the largest value of each result.
    """
    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    huge = {key: 1000 * value for key, value in parameters.items()}
    a, y, c, caches = lstm.lstm_forward(x, a0, huge)
    reference = {"a": a, "y": y, "c": c, **lstm.lstm_backward(da, caches)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = all_results((huge, x, a0, da), dtype)
    tolerance = 1e-10 if dtype == np.float64 else FLOAT32_SATURATED_TOLERANCE
    for key, expected in reference.items():
        scale = max(1.0, float(np.abs(expected).max()))
        assert np.allclose(ours[key], expected, rtol=tolerance, atol=tolerance * scale), key
    assert np.all(np.abs(ours["a"]) <= 1) and np.any(np.abs(ours["a"]) > 0.5)


def test_the_kernels_are_compiled_once_per_dtype(rng):
    """Every call, whatever its shapes, inputs' dtypes and layouts, reuses the one compiled version of its dtype."""
    import_or_skip("numba", FAST_EXTRA_HINT)
    with fast.use_backend("numba"):
        for shape in BACKEND_SHAPES[:3]:
            parameters, x, a0, da = random_lstm_problem(rng, *shape)
            for dtype in (np.float64, np.float32):
                all_results((parameters, x, a0, da), dtype)
                all_results((parameters, np.asfortranarray(x).astype(np.float32), a0, np.round(da).astype(int)),
                             dtype)
    assert fast.compile_kernels() >= 0
    for dtype, kernels in fast.fast_kernels.KERNELS.items():
        for kernel in kernels:
            assert len(kernel.signatures) == 1, kernel.signatures
            arrays = [argument for argument in kernel.signatures[0] if hasattr(argument, "dtype")]
            assert arrays and all(str(argument.dtype) == dtype.name for argument in arrays), kernel.signatures


def test_the_kernels_alone_do_one_step_of_each_pass(rng):
    """forward_step and backward_step against equations (1)-(10) and (16) written out here, on step t = 1 of 3.

    The arrays hold one column per example and step (step t in columns t m to t m + m); the kernels must read and
    write the columns of their step and no others.
    """
    kernels = import_or_skip("lstm.fast_kernels", FAST_EXTRA_HINT)
    if not kernels.AVAILABLE:
        skip_or_fail(f"numba is not installed; {FAST_EXTRA_HINT}")
    m, n_a, n_x, T_x, t = 3, 4, 2, 3, 1
    now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
    z_input = rng.normal(size=(4 * n_a, m)) * 3  # the input part of the pre-activations, then the recurrent part
    z_recurrent = rng.normal(size=(4 * n_a, m)) * 3
    c_prev = rng.normal(size=(n_a, m))
    gates = rng.normal(size=(4 * n_a, T_x * m))
    c = rng.normal(size=(n_a, (T_x + 1) * m))
    tanh_c = rng.normal(size=(n_a, T_x * m))
    hx = rng.normal(size=(n_a + n_x + 1, (T_x + 1) * m))
    # The kernel expects the sigmoid gates' pre-activations halved (its caller halves the weights).
    gates[:, now] = z_input
    gates[:3 * n_a, now] /= 2
    recurrent = z_recurrent.copy()
    recurrent[:3 * n_a] /= 2
    c[:, now] = c_prev
    before = {"gates": gates.copy(), "c": c.copy(), "tanh_c": tanh_c.copy(), "hx": hx.copy()}
    kernels.forward_step(gates, recurrent, c, tanh_c, hx, t)
    z = z_input + z_recurrent
    o, f, i = (lstm.sigmoid(z[k * n_a:(k + 1) * n_a]) for k in range(3))
    cc = np.tanh(z[3 * n_a:])
    c_t = f * c_prev + i * cc
    assert np.allclose(gates[:, now], np.vstack([o, f, i, cc]), rtol=1e-14, atol=1e-15)
    assert np.allclose(c[:, after], c_t, rtol=1e-14, atol=1e-15)
    assert np.allclose(tanh_c[:, now], np.tanh(c_t), rtol=1e-14, atol=1e-15)
    assert np.allclose(hx[:n_a, after], o * np.tanh(c_t), rtol=1e-14, atol=1e-15)
    written = {"gates": (slice(None), now), "c": (slice(None), after), "tanh_c": (slice(None), now),
               "hx": (slice(0, n_a), after)}
    for name, array in (("gates", gates), ("c", c), ("tanh_c", tanh_c), ("hx", hx)):
        untouched = np.ones(array.shape, bool)
        untouched[written[name]] = False
        assert np.array_equal(array[untouched], before[name][untouched]), f"forward_step wrote outside its step: {name}"

    da = rng.normal(size=(n_a, T_x * m))
    da_prev = rng.normal(size=(n_a, m))
    dc_next = rng.normal(size=(n_a, m))
    dc_in = dc_next.copy()
    dz = rng.normal(size=(4 * n_a, T_x * m))
    dz_before = dz.copy()
    kernels.backward_step(da, da_prev, dc_next, gates, c, tanh_c, dz, t)
    dh = da[:, now] + da_prev
    dc_total = dc_in + dh * o * (1 - np.tanh(c_t) ** 2)
    expected = np.vstack([dh * np.tanh(c_t) * o * (1 - o),  # (7)
                          dc_total * c_prev * f * (1 - f),  # (10)
                          dc_total * cc * i * (1 - i),  # (9)
                          dc_total * i * (1 - cc ** 2)])  # (8)
    assert np.allclose(dz[:, now], expected, rtol=1e-13, atol=1e-15)
    assert np.allclose(dc_next, dc_total * f, rtol=1e-13, atol=1e-15)  # (16)
    others = np.ones(dz.shape, bool)
    others[:, now] = False
    assert np.array_equal(dz[others], dz_before[others]), "backward_step wrote outside its step"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_kernels_activations_are_as_accurate_as_numpy(dtype):
    """The kernels' own σ and tanh (written with a vectorisable exp) against numpy, in units of the dtype's epsilon.

    On a million points from -60 to 60 and the awkward ones: zeros of both signs, the tiniest numbers, the ends of
    exp's range, ±1000 and the infinities. σ and tanh within 4 epsilon of the float64 truth where the result is a
    normal number; exactly 0, 1 and ±1 at ±1000; odd tanh, σ(-z) = 1 - σ(z) to rounding.
    """
    kernels = import_or_skip("lstm.fast_kernels", FAST_EXTRA_HINT)
    if not kernels.AVAILABLE:
        skip_or_fail(f"numba is not installed; {FAST_EXTRA_HINT}")
    import numba

    tanh, sigmoid_of_twice = kernels.activations(dtype)
    half = dtype(0.5)

    @numba.njit
    def apply(x, tanh_out, sigmoid_out):
        for k in range(x.size):
            tanh_out[k] = tanh(x[k])
            sigmoid_out[k] = sigmoid_of_twice(x[k] * half)

    info = np.finfo(dtype)
    awkward = [0.0, -0.0, info.tiny, -info.tiny, info.smallest_subnormal, 1e-30, 0.3, 0.625, 1.0, 9.0, 20.0,
               87.0, 88.0, 100.0, 708.0, 710.0, 746.0, 1000.0, np.inf]
    x = np.concatenate([np.random.default_rng(5).uniform(-60, 60, 1_000_000), np.linspace(-2, 2, 40_001),
                        awkward, np.negative(awkward)]).astype(dtype)
    tanh_x, sigmoid_x = np.empty_like(x), np.empty_like(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        apply(x, tanh_x, sigmoid_x)
    truth64 = x.astype(np.float64)
    with np.errstate(over="ignore"):
        true_sigmoid = 1 / (1 + np.exp(-truth64))
    for ours, truth in ((tanh_x, np.tanh(truth64)), (sigmoid_x, true_sigmoid)):
        assert ours.dtype == dtype
        normal = np.abs(truth) >= info.tiny
        error = np.abs(ours[normal] - truth[normal]) / np.abs(truth[normal]) / info.eps
        assert error.max() < 4, (float(error.max()), x[normal][np.argmax(error)])
        assert np.all(np.abs(ours[~normal] - truth[~normal]) <= info.tiny)
    saturated = np.isin(np.abs(x), (1000.0, np.inf))
    assert np.array_equal(tanh_x[saturated], np.sign(x[saturated]))
    assert np.array_equal(sigmoid_x[saturated], (x[saturated] > 0).astype(dtype))
    assert np.array_equal(tanh_x[x == 0], x[x == 0]) and np.array_equal(np.signbit(tanh_x), np.signbit(x))
    assert np.all(sigmoid_x[x == 0] == 0.5)
    middle = np.abs(x) < 30
    tanh_minus, sigmoid_minus = np.empty_like(x), np.empty_like(x)
    apply(-x, tanh_minus, sigmoid_minus)
    assert np.array_equal(tanh_minus, -tanh_x)
    assert np.allclose(sigmoid_minus[middle], 1 - sigmoid_x[middle], rtol=0, atol=2 * info.eps)


#: Where the kernels' σ and tanh are compared with and without Numba: both saturations, both signs, near 0.
PROBE_VALUES = (-1000.0, -20.0, -3.0, -0.5, -1e-8, 0.0, 1e-8, 0.5, 3.0, 20.0, 1000.0)


def test_the_kernels_without_numba_are_the_same_python():
    """Without Numba the kernels' σ and tanh are plain Python, and the same functions of numbers as compiled.

    Run in a fresh process with Numba's import blocked, against the compiled functions in this one.
    """
    kernels = import_or_skip("lstm.fast_kernels", FAST_EXTRA_HINT)
    if not kernels.AVAILABLE:
        skip_or_fail(f"numba is not installed; {FAST_EXTRA_HINT}")
    code = (
        "import sys, json\n"
        "sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from lstm import fast_kernels\n"
        "assert not fast_kernels.AVAILABLE\n"
        "out = {}\n"
        "for name in ('float64', 'float32'):\n"
        "    tanh, sigmoid_of_twice = fast_kernels.activations(name)\n"
        f"    xs = [np.dtype(name).type(v) for v in {PROBE_VALUES!r}]\n"
        "    out[name] = [[float(tanh(x)) for x in xs], [float(sigmoid_of_twice(x)) for x in xs]]\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    plain = json.loads(result.stdout)
    for name, (tanh_values, sigmoid_values) in plain.items():
        tanh, sigmoid_of_twice = kernels.activations(name)
        xs = [np.dtype(name).type(v) for v in PROBE_VALUES]
        compiled_tanh = [float(tanh(x)) for x in xs]
        compiled_sigmoid = [float(sigmoid_of_twice(x)) for x in xs]
        # The same arithmetic, but the compiled code may fuse a multiply and an add: equal to a few epsilon.
        eps = float(np.finfo(name).eps)
        assert np.allclose(tanh_values, compiled_tanh, rtol=4 * eps, atol=0), name
        assert np.allclose(sigmoid_values, compiled_sigmoid, rtol=4 * eps, atol=0), name
        assert tanh_values[0] == -1 and tanh_values[-1] == 1 and sigmoid_values[0] == 0 and sigmoid_values[-1] == 1


# --- the pool of workspaces ------------------------------------------------------------------------------

#: Problems large enough for their arrays to go through the pool (fast._POOL_MIN_BYTES), of different shapes.
POOLED_SHAPES = [(16, 64, 3, 16, 40), (6, 70, 3, 10, 25)]


def run_both_passes(problem, dtype):
    """Every result of one forward and one backward pass, as copies; and the caches' arrays' addresses."""
    parameters, x, a0, da = problem
    a, y, c, caches = fast.lstm_forward(x, a0, parameters, dtype=dtype)
    results = {"a": a, "y": y, "c": c, **fast.lstm_backward(da, caches)}
    addresses = {field.name: getattr(caches, field.name).ctypes.data for field in dataclasses.fields(caches)}
    return {key: value.copy() for key, value in results.items()}, addresses


def test_results_do_not_change_when_the_workspaces_are_reused(rng):
    """Alone on a fresh pool, again and again, interleaved with other shapes and dtypes: bit for bit the same."""
    problems = [random_lstm_problem(rng, *shape) for shape in POOLED_SHAPES]
    cases = [(k, dtype) for k in range(len(problems)) for dtype in (np.float64, np.float32)]
    alone = {}
    for k, dtype in cases:
        fast.release_workspaces()
        alone[k, dtype] = run_both_passes(problems[k], dtype)[0]
    for k, dtype in [*cases, *cases[::-1], *cases, cases[0], cases[0]]:
        again = run_both_passes(problems[k], dtype)[0]
        for key, value in alone[k, dtype].items():
            assert np.array_equal(again[key], value), (k, np.dtype(dtype).name, key)


def test_dropped_caches_lend_their_memory_to_the_next_call(rng):
    """The point of the pool: a training loop's second call writes into the first call's memory, not fresh pages."""
    fast.release_workspaces()
    first = run_both_passes(random_lstm_problem(rng, *POOLED_SHAPES[0]), np.float64)[1]
    second = run_both_passes(random_lstm_problem(rng, *POOLED_SHAPES[0]), np.float64)[1]
    assert first == second
    assert fast.workspace_nbytes() > 0


def test_a_later_call_never_writes_into_what_an_earlier_call_returned(rng):
    parameters, x, a0, da = random_lstm_problem(rng, *POOLED_SHAPES[0])
    a, y, c, caches = fast.lstm_forward(x, a0, parameters)
    grads = fast.lstm_backward(da, caches)
    kept = {"a": a, "y": y, "c": c, **grads}
    copies = {key: value.copy() for key, value in kept.items()}
    held = {field.name: getattr(caches, field.name).copy() for field in dataclasses.fields(caches)}
    dW_view = grads["dWo"][:3]  # only a view of a result is kept: its base must not be reused either
    del grads["dWo"]
    for scale in (2.0, -1.0):  # same shapes, other values: every pooled array would be a candidate
        other = {key: scale * value for key, value in parameters.items()}
        a2, y2, c2, caches2 = fast.lstm_forward(scale * x, a0, other)
        grads2 = fast.lstm_backward(scale * da, caches2)
        for mine in (a2, y2, c2, *grads2.values(), *(getattr(caches2, f.name) for f in dataclasses.fields(caches2))):
            for theirs in (*kept.values(), dW_view, *(getattr(caches, f.name) for f in dataclasses.fields(caches))):
                assert not np.shares_memory(mine, theirs)
    for key, value in copies.items():
        assert np.array_equal(kept[key], value), f"a later call changed the earlier {key}"
    assert np.array_equal(dW_view, copies["dWo"][:3])
    for name, value in held.items():
        assert np.array_equal(getattr(caches, name), value), f"a later call changed the earlier caches.{name}"
    # The earlier caches still give the earlier gradients.
    again = fast.lstm_backward(da, caches)
    for key, value in again.items():
        assert np.array_equal(value, copies[key]), key


def test_each_thread_has_its_own_pool(rng):
    """Two threads computing at once (numpy lets go of the GIL) both get the reference's results."""
    from concurrent.futures import ThreadPoolExecutor

    problems = [random_lstm_problem(rng, *POOLED_SHAPES[0]) for _ in range(4)]

    def worst_error(problem):
        worst = 0.0
        for _ in range(3):
            (ref_out, ref_grads), (out, grads) = both(*problem)
            worst = max(worst, *(relative_error(grads[key], ref_grads[key]) for key in ref_grads),
                        *(relative_error(out[key], ref_out[key]) for key in ref_out))
        return worst

    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = list(pool.map(worst_error, problems))
    assert max(errors) < 1e-10, errors


def test_other_mappings_and_array_types_take_the_checked_path(rng):
    """The quick check accepts only plain dicts of ndarrays; anything else is checked fully and gives the same."""
    from collections import OrderedDict

    parameters, x, a0, da = random_lstm_problem(rng, 3, 5, 2, 4, 6)
    expected = fast.lstm_forward(x, a0, parameters)[0]
    for variant in (OrderedDict(parameters), {key: value.tolist() for key, value in parameters.items()},
                    {key: value.astype(np.float32) for key, value in parameters.items()}):
        a = fast.lstm_forward(x, a0, variant)[0]
        assert relative_error(a, expected) < 1e-6
    a = fast.lstm_forward(x.tolist(), np.asfortranarray(a0), parameters)[0]
    assert np.array_equal(a, expected)


# --- the committed benchmark results are those of the current benchmark ---------------------------------


@pytest.fixture
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("bench_lstm"), importlib.import_module("bench_scaling")


def test_committed_benchmark_is_current(bench_modules):
    """results/benchmark.json, which chapter 9 shows, ran the configurations, runs and rounds the script now has."""
    bench_lstm, _ = bench_modules
    results = json.loads((ROOT / "results" / "benchmark.json").read_text())
    assert {name: tuple(config["shape"].values()) for name, config in results["configs"].items()} == \
        bench_lstm.CONFIGS
    for name, config in results["configs"].items():
        assert config["repeats"] == bench_lstm.REPEATS[name] and config["runs"] == bench_lstm.RUNS
        assert set(config["median_s"]) == set(bench_lstm.IMPLEMENTATIONS), "a full run includes PyTorch"
        assert config["max_relative_error_vs_reference"]["fast64"] < 1e-10
        for ratio in config["ratios"].values():
            assert len(ratio["runs"]) == bench_lstm.RUNS
            assert ratio["min"] <= ratio["median"] <= ratio["max"]
            assert ratio == {**bench_lstm.spread(ratio["runs"]), "runs": ratio["runs"]}
    assert results["fast_backend"] == "numba", "the committed run uses the fused kernels"
    assert results["compile"]["cold_s"] > 0 and results["compile"]["cached_s"] > 0
    assert set(results["step_breakdown"]) == {"medium", "large"}
    assert results["machine"]["cpu"] and results["machine"]["blas"]["kernel"]
    assert results["targets"] == bench_lstm.evaluate_targets(results)
    assert results["machine_state_before"] == bench_lstm.machine_state(
        results["load_average_before"], results["cpu_busy_percent_before"], results["machine"]["cores"])


def test_committed_scaling_results_are_current(bench_modules):
    _, bench_scaling = bench_modules
    results = json.loads((ROOT / "results" / "scaling.json").read_text())
    for key, sweep in (("vs_T", bench_scaling.T_SWEEP), ("vs_n_a", bench_scaling.N_A_SWEEP)):
        assert results[key]["values"] == sweep["values"] and results[key]["fixed"] == sweep["fixed"]
        assert len(results[key]["fast64_s"]) == len(results[key]["reference_s"]) == len(sweep["values"])
        for ratio in results[key]["ratio_reference_fast64"]:
            assert ratio["min"] <= ratio["median"] <= ratio["max"]
    assert results["fast_backend"] == "numba" and results["machine_state_before"] in ("idle", "loaded")
