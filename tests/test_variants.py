"""The peephole LSTM and the coupled input-forget gate of lstm.variants: finite differences, bad inputs."""

import numpy as np
import pytest

import lstm
from lstm.variants import (
    coupled_cell_backward,
    coupled_cell_forward,
    initialize_coupled_parameters,
    initialize_peephole_parameters,
    peephole_cell_backward,
    peephole_cell_forward,
    variant_backward,
    variant_forward,
)

SHAPES = [(3, 5, 2, 4, 4), (4, 2, 3, 1, 3), (2, 3, 4, 3, 1), (1, 4, 2, 2, 3)]
BOUND = 1e-7
INITIALISERS = {"peephole": initialize_peephole_parameters, "coupled": initialize_coupled_parameters}
CELLS = {"peephole": (peephole_cell_forward, peephole_cell_backward),
         "coupled": (coupled_cell_forward, coupled_cell_backward)}


def random_problem(rng, variant, n_x, n_a, n_y, m, T_x, scale=0.6):
    parameters = {key: rng.normal(0.0, scale, size=value.shape)
                  for key, value in INITIALISERS[variant](n_a, n_x, n_y).items()}
    return parameters, rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))


@pytest.mark.parametrize("variant", ["peephole", "coupled"])
@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_sequence_backward_passes_finite_differences(rng, variant, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_problem(rng, variant, n_x, n_a, n_y, m, T_x)
    a, y, c, caches = variant_forward(x, a0, parameters, variant)
    assert a.shape == c.shape == (n_a, m, T_x) and y.shape == (n_y, m, T_x)
    gradients = variant_backward(da, caches, variant)
    gate_keys = [key for key in parameters if key not in ("Wy", "by")]
    assert set(gradients) == {"dx", "da0"} | {"d" + key for key in gate_keys}

    def loss(inputs):
        p = {**parameters, **{k: inputs[k] for k in gate_keys}}
        return np.sum(da * variant_forward(inputs["x"], inputs["a0"], p, variant)[0])

    point = {**{k: parameters[k] for k in gate_keys}, "x": x, "a0": a0}
    errors = lstm.gradient_check(loss, point, {key: gradients["d" + key] for key in point})
    assert max(errors.values()) < BOUND, errors


@pytest.mark.parametrize("variant", ["peephole", "coupled"])
def test_cell_backward_passes_finite_differences_with_a_cell_gradient(rng, variant):
    """One step from a non-zero c_prev with gradient on both a<t> and c<t>: dc_prev is checked too."""
    forward, backward = CELLS[variant]
    parameters, x, a0, da = random_problem(rng, variant, 3, 4, 2, 3, 1)
    c_prev, dc_next = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, _, _, cache = forward(x[:, :, 0], a0, c_prev, parameters)
    gradients = backward(da[:, :, 0], dc_next, cache)

    def loss(inputs):
        p = {**parameters, **{k: v for k, v in inputs.items() if k in parameters}}
        a_next, c_next, _, _ = forward(inputs["xt"], inputs["a_prev"], inputs["c_prev"], p)
        return np.sum(da[:, :, 0] * a_next) + np.sum(dc_next * c_next)

    point = {**{k: v for k, v in parameters.items() if k not in ("Wy", "by")},
             "xt": x[:, :, 0], "a_prev": a0, "c_prev": c_prev}
    errors = lstm.gradient_check(loss, point, {key: gradients["d" + key] for key in point})
    assert max(errors.values()) < BOUND, errors


def test_zero_peepholes_give_the_lstm(rng):
    parameters, x, a0, da = random_problem(rng, "peephole", 3, 4, 2, 2, 5)
    for gate in "fio":
        parameters["p" + gate] = np.zeros((4, 1))
    plain = {k: v for k, v in parameters.items() if not k.startswith("p")}
    a, _, c, caches = variant_forward(x, a0, parameters, "peephole")
    a_lstm, _, c_lstm, caches_lstm = lstm.lstm_forward(x, a0, plain)
    np.testing.assert_allclose(a, a_lstm, rtol=0, atol=1e-14)
    ours, reference = variant_backward(da, caches, "peephole"), lstm.lstm_backward(da, caches_lstm)
    for key in reference:
        np.testing.assert_allclose(ours[key], reference[key], rtol=0, atol=1e-13)


def test_coupled_gate_is_the_lstm_with_tied_gates(rng):
    """With Wi = -Wf and bi = -bf, the LSTM's update gate is σ(-z_f) = 1 - Γf: the same forward pass."""
    parameters, x, a0, _ = random_problem(rng, "coupled", 3, 4, 2, 2, 5)
    tied = {**parameters, "Wi": -parameters["Wf"], "bi": -parameters["bf"]}
    np.testing.assert_allclose(variant_forward(x, a0, parameters, "coupled")[0], lstm.lstm_forward(x, a0, tied)[0],
                               rtol=0, atol=1e-14)


def test_the_lstm_backward_fails_the_peephole_check(rng):
    """The plain LSTM's dc_total (no peephole path) is measurably wrong for the peephole cell: the check bites."""
    parameters, x, a0, da = random_problem(rng, "peephole", 3, 4, 2, 2, 1)
    c_prev, dc_next = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    _, _, _, cache = peephole_cell_forward(x[:, :, 0], a0, c_prev, parameters)
    wrong = lstm.lstm_cell_backward(da[:, :, 0], dc_next, cache)  # ignores pf, pi, po

    def loss(inputs):
        a_next, c_next, _, _ = peephole_cell_forward(x[:, :, 0], a0, inputs["c_prev"], parameters)
        return np.sum(da[:, :, 0] * a_next) + np.sum(dc_next * c_next)

    error = lstm.gradient_check(loss, {"c_prev": c_prev}, {"c_prev": wrong["dc_prev"]})["c_prev"]
    assert error > 1e-3


def test_bad_inputs_say_what_to_fix(rng):
    parameters, x, a0, da = random_problem(rng, "peephole", 3, 4, 2, 2, 3)
    with pytest.raises(KeyError, match="missing 1 key: po"):
        variant_forward(x, a0, {k: v for k, v in parameters.items() if k != "po"}, "peephole")
    with pytest.raises(ValueError, match=r"parameters\['pf'\] must have shape \(n_a, 1\) = \(4, 1\)"):
        variant_forward(x, a0, {**parameters, "pf": np.zeros((4, 4))}, "peephole")
    with pytest.raises(ValueError, match="variant must be one of 'peephole', 'coupled'"):
        variant_forward(x, a0, parameters, "gru")
    with pytest.raises(ValueError, match=r"c_prev must have shape \(n_a, m\)"):
        peephole_cell_forward(x[:, :, 0], a0, a0[:, :1], parameters)
    _, _, _, caches = variant_forward(x, a0, parameters, "peephole")
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\) = \(4, 2, 3\)"):
        variant_backward(da[:1], caches, "peephole")
    with pytest.raises(ValueError, match="10-tuple that coupled_cell_forward returns"):
        coupled_cell_backward(da[:, :, 0], da[:, :, 0], caches[0][0][:9])
    coupled, _, _, _ = random_problem(rng, "coupled", 3, 4, 2, 2, 3)
    with pytest.raises(KeyError, match="missing 5 keys: Wi, bi, pf, pi, po"):
        variant_forward(x, a0, coupled, "peephole")


def test_cell_variants_experiment_schema_and_stored_results():
    """The experiment's function runs (tiny), and the stored results have the documented shape."""
    import json
    from pathlib import Path

    from lstm.experiments import run_cell_variants

    tiny = run_cell_variants(T=3, seeds=(0, 1), steps=20, progress=False)
    stored = json.loads((Path(__file__).resolve().parent.parent / "results" / "cell_variants.json").read_text())
    for results, n_seeds in ((tiny, 2), (stored, len(stored["seeds"]))):
        assert results["models"] == ["lstm", "peephole", "coupled"]
        for model in results["models"]:
            assert len(results["accuracy"][model]) == len(results["updates_to_learn"][model]) == n_seeds
            assert all(0 <= value <= 1 for value in results["accuracy"][model])
            assert len(results["curve"][model]) == n_seeds
            assert all(len(curve) == len(results["curve"]["step"]) for curve in results["curve"][model])
    # The same seed gives the same run: the stored numbers can be reproduced.
    again = run_cell_variants(T=3, seeds=(0,), steps=20, progress=False)
    assert again["curve"]["lstm"][0] == tiny["curve"]["lstm"][0]
