"""Tests of training: the output layer and loss, the whole model's gradients, the optimisers, clipping,
saving and loading, the training loop's determinism, and sampling."""

import importlib.util
import math
import re
import sys

import numpy as np
import pytest

import lstm
from lstm.loss import (
    lstm_output_loss,
    lstm_output_loss_backward,
    predict_classes,
    rnn_output_loss,
    rnn_output_loss_backward,
    softmax_cross_entropy,
)
from lstm.optim import SGD, Adam, clip_by_global_norm, global_norm, load_parameters, save_parameters
from lstm.sample import next_distribution, sample_indices, sample_text
from lstm.train import evaluate_loss, loss_and_gradients, lstm_implementation, train

HAVE_FAST = importlib.util.find_spec("lstm.fast") is not None
LSTM_IMPLEMENTATIONS = ["reference"] + (["fast"] if HAVE_FAST else [])

N_X, N_A, N_Y, M, T_X = 3, 5, 4, 3, 6


def random_model(model, rng, n_x=N_X, n_a=N_A, n_y=N_Y):
    """Parameters away from their initial values (non-zero biases, larger weights), so no gradient is trivially 0."""
    init = lstm.initialize_lstm_parameters if model == "lstm" else lstm.initialize_rnn_parameters
    parameters = init(n_a, n_x, n_y, seed=int(rng.integers(1000)))
    return {key: value + 0.5 * rng.normal(size=value.shape) for key, value in parameters.items()}


def random_targets(rng, targets_at, m=M, T_x=T_X, n_y=N_Y):
    return rng.integers(0, n_y, size=(m, T_x) if targets_at == "all" else (m,))


# --- the loss ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("targets_at", ["all", "last"])
def test_lstm_loss_is_the_mean_negative_log_of_the_forward_predictions(rng, targets_at):
    """The loss layer's own logits agree with the ŷ that lstm_forward returns: L = mean of -log ŷ[target]."""
    parameters = random_model("lstm", rng)
    x = rng.normal(size=(N_X, M, T_X))
    a, y, _, _ = lstm.lstm_forward(x, np.zeros((N_A, M)), parameters)
    targets = random_targets(rng, targets_at)
    loss, _ = lstm_output_loss(a, parameters, targets, targets_at)
    if targets_at == "all":
        expected = -np.mean([math.log(y[targets[i, t], i, t]) for i in range(M) for t in range(T_X)])
    else:
        expected = -np.mean([math.log(y[targets[i], i, T_X - 1]) for i in range(M)])
    assert loss == pytest.approx(expected, rel=1e-12)


def test_masked_loss_is_the_mean_over_counted_targets(rng):
    parameters = random_model("rnn", rng)
    a = rng.normal(size=(N_A, M, T_X))
    targets = random_targets(rng, "all")
    mask = (rng.random((M, T_X)) < 0.6).astype(float)
    mask[0, 0] = 1.0
    loss, _ = rnn_output_loss(a, parameters, targets, "all", mask)
    probabilities = lstm.softmax(np.einsum("ya,amt->ymt", parameters["Wya"], a) + parameters["by"][:, :, None])
    terms = [-math.log(probabilities[targets[i, t], i, t]) for i in range(M) for t in range(T_X) if mask[i, t]]
    assert loss == pytest.approx(sum(terms) / len(terms), rel=1e-12)


def test_loss_is_stable_for_huge_logits():
    a = np.full((2, 1, 1), 1.0)
    W = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    loss, _ = softmax_cross_entropy(a, W, np.zeros((2, 1)), np.array([1]), "last")
    assert loss == pytest.approx(2000.0)  # -log softmax = 1000 - (-1000): no overflow, no log(0)


@pytest.mark.parametrize("targets, targets_at, message", [
    (np.zeros((M,), dtype=int), "all", "targets must have shape (m, T_x)"),
    (np.zeros((M, T_X), dtype=int), "last", "targets must have shape (m) = (3,)"),
    (np.full((M, T_X), N_Y), "all", "class indices in 0 .. n_y - 1"),
    (np.full((M,), -1), "last", "class indices in 0 .. n_y - 1"),
    (np.full((M,), 0.5), "last", "integer class indices"),
    (np.zeros((M,), dtype=int), "first", "targets_at must be"),
])
def test_loss_errors_say_what_to_fix(rng, targets, targets_at, message):
    parameters = random_model("lstm", rng)
    with pytest.raises(ValueError, match=re.escape(message)):
        lstm_output_loss(rng.normal(size=(N_A, M, T_X)), parameters, targets, targets_at)


def test_loss_errors_for_bad_mask_and_missing_keys(rng):
    parameters = random_model("lstm", rng)
    a = rng.normal(size=(N_A, M, T_X))
    targets = random_targets(rng, "all")
    with pytest.raises(ValueError, match="mask must have shape"):
        lstm_output_loss(a, parameters, targets, "all", np.ones((M, T_X + 1)))
    with pytest.raises(ValueError, match="only zeros"):
        lstm_output_loss(a, parameters, targets, "all", np.full((M, T_X), 0.5))
    with pytest.raises(ValueError, match="all zeros"):
        lstm_output_loss(a, parameters, targets, "all", np.zeros((M, T_X)))
    with pytest.raises(ValueError, match="only for targets_at='all'"):
        lstm_output_loss(a, parameters, targets[:, 0], "last", np.ones((M, T_X)))
    with pytest.raises(lstm.MissingParameterError, match="Wya"):
        rnn_output_loss(a, parameters, targets)


def test_output_gradients_match_finite_differences(rng):
    parameters = random_model("lstm", rng)
    a = rng.normal(size=(N_A, M, T_X))
    targets = random_targets(rng, "all")
    _, cache = lstm_output_loss(a, parameters, targets)
    analytic = lstm_output_loss_backward(cache)

    def f(inputs):
        return lstm_output_loss(inputs["a"], {"Wy": inputs["Wy"], "by": inputs["by"]}, targets)[0]

    errors = lstm.gradient_check(f, {"a": a, "Wy": parameters["Wy"], "by": parameters["by"]},
                                 {"a": analytic["da"], "Wy": analytic["dWy"], "by": analytic["dby"]})
    assert max(errors.values()) < 1e-7, errors
    assert set(rnn_output_loss_backward(rnn_output_loss(a, {"Wya": parameters["Wy"], "by": parameters["by"]},
                                                        targets)[1])) == {"dWya", "dby", "da"}


def test_last_step_loss_sends_no_gradient_to_earlier_steps(rng):
    parameters = random_model("lstm", rng)
    _, cache = lstm_output_loss(rng.normal(size=(N_A, M, T_X)), parameters, random_targets(rng, "last"), "last")
    da = lstm_output_loss_backward(cache)["da"]
    assert np.all(da[:, :, :-1] == 0) and np.any(da[:, :, -1] != 0)


def test_predict_classes_takes_the_argmax_of_the_logits():
    a = np.zeros((2, 2, 3))
    a[:, 0, -1] = [1.0, 0.0]
    a[:, 1, -1] = [0.0, 1.0]
    W = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    assert predict_classes(a, W, np.zeros((3, 1)), "last").tolist() == [1, 0]
    assert predict_classes(a, W, np.zeros((3, 1)), "all").shape == (2, 3)


# --- the whole model's gradient ------------------------------------------------------------------------------


def _model_cases():
    for targets_at, masked in (("all", False), ("all", True), ("last", False)):  # a mask needs targets at all steps
        yield "rnn", targets_at, masked, None
        for implementation in LSTM_IMPLEMENTATIONS:
            yield "lstm", targets_at, masked, implementation


@pytest.mark.parametrize("model, targets_at, masked, implementation", list(_model_cases()))
def test_whole_model_gradient_check(rng, model, targets_at, masked, implementation):
    """Loss to EVERY parameter, output layer included, against centred finite differences, in float64."""
    parameters = random_model(model, rng)
    x = rng.normal(size=(N_X, M, T_X))
    targets = random_targets(rng, targets_at)
    mask = None
    if masked:
        mask = (rng.random((M, T_X)) < 0.7).astype(float)
        mask[:, 0] = 1.0

    loss, gradients = loss_and_gradients(parameters, x, targets, model, targets_at, mask, implementation)
    keys = lstm.LSTM_PARAMETER_KEYS if model == "lstm" else lstm.RNN_PARAMETER_KEYS
    assert set(gradients) == {"d" + key for key in keys}

    def f(p):
        return loss_and_gradients(p, x, targets, model, targets_at, mask, implementation)[0]

    errors = lstm.gradient_check(f, parameters, {key: gradients["d" + key] for key in keys})
    assert set(errors) == set(keys)
    assert max(errors.values()) < 1e-7, errors
    assert loss == pytest.approx(evaluate_loss(parameters, x, targets, model, targets_at, mask, implementation))


@pytest.mark.skipif(not HAVE_FAST, reason="lstm.fast is not there yet")
def test_fast_and_reference_give_the_same_loss_and_gradients(rng):
    parameters = random_model("lstm", rng)
    x = rng.normal(size=(N_X, M, T_X))
    targets = random_targets(rng, "all")
    loss_r, grads_r = loss_and_gradients(parameters, x, targets, implementation="reference")
    loss_f, grads_f = loss_and_gradients(parameters, x, targets, implementation="fast")
    assert loss_f == pytest.approx(loss_r, rel=1e-12)
    for key, value in grads_r.items():
        np.testing.assert_allclose(grads_f[key], value, rtol=1e-10, atol=1e-12)


def test_implementation_choice():
    assert lstm_implementation("reference") == (lstm.lstm_forward, lstm.lstm_backward)
    default = lstm_implementation(None)
    assert default == (lstm_implementation("fast") if HAVE_FAST else lstm_implementation("reference"))
    with pytest.raises(ValueError, match="implementation must be"):
        lstm_implementation("slow")
    with pytest.raises(ValueError, match="model must be"):
        loss_and_gradients(random_model("rnn", np.random.default_rng(0)), np.zeros((N_X, 1, 2)),
                           np.zeros((1, 2), dtype=int), model="gru")


# --- optimisers, clipping, saving ----------------------------------------------------------------------------


def test_adam_first_steps_follow_the_formula_by_hand():
    """Three Adam steps on two numbers, each step written out in plain arithmetic (not with the class's code)."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    theta = [0.5, -2.0]
    grads = [[1.0, -3.0], [0.5, 0.25], [-2.0, 4.0]]
    parameters = {"w": np.array(theta)}
    optimizer = Adam(lr, b1, b2, eps)
    m1 = m2 = v1 = v2 = 0.0
    for t, (g1, g2) in enumerate(grads, start=1):
        optimizer.step(parameters, {"dw": np.array([g1, g2])})
        m1, m2 = b1 * m1 + (1 - b1) * g1, b1 * m2 + (1 - b1) * g2
        v1, v2 = b2 * v1 + (1 - b2) * g1 * g1, b2 * v2 + (1 - b2) * g2 * g2
        theta[0] -= lr * (m1 / (1 - b1**t)) / (math.sqrt(v1 / (1 - b2**t)) + eps)
        theta[1] -= lr * (m2 / (1 - b1**t)) / (math.sqrt(v2 / (1 - b2**t)) + eps)
        assert parameters["w"].tolist() == pytest.approx(theta, rel=1e-13)
    # the first step moves each entry by lr, against the sign of its gradient, whatever the gradient's size
    first = {"w": np.array([0.0, 0.0])}
    Adam(lr).step(first, {"dw": np.array([1e-4, -50.0])})
    assert first["w"] == pytest.approx([-lr, lr], rel=1e-3)  # ε = 1e-8 is 1e-4 of the smaller gradient


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_converges_on_a_quadratic(momentum):
    """f(θ) = ½ θᵀAθ - bᵀθ has its minimum at A⁻¹b; gradient descent must get there."""
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([[1.0], [-2.0]])
    parameters = {"theta": np.zeros((2, 1))}
    optimizer = SGD(learning_rate=0.1, momentum=momentum)
    for _ in range(500):
        optimizer.step(parameters, {"dtheta": A @ parameters["theta"] - b})
    np.testing.assert_allclose(parameters["theta"], np.linalg.solve(A, b), atol=1e-8)


def test_optimisers_check_their_arguments():
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        Adam(0.0)
    with pytest.raises(lstm.MissingParameterError, match="dWy"):
        SGD(0.1).step({"Wy": np.zeros((2, 2))}, {"Wy": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="must have shape"):
        Adam(0.1).step({"Wy": np.zeros((2, 2))}, {"dWy": np.zeros((2, 3))})


def test_clipping_scales_to_exactly_the_max_norm(rng):
    gradients = {"dW": rng.normal(size=(3, 4)) * 10, "db": rng.normal(size=(3, 1)) * 10}
    before = {key: value.copy() for key, value in gradients.items()}
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in gradients.values()))
    clipped, reported = clip_by_global_norm(gradients, 1.5)
    assert reported == pytest.approx(norm, rel=1e-14) and norm > 1.5
    assert global_norm(clipped) == pytest.approx(1.5, rel=1e-14)
    for key in gradients:  # the same direction: every entry scaled by one factor
        np.testing.assert_allclose(clipped[key], before[key] * (1.5 / norm), rtol=1e-14)
        np.testing.assert_array_equal(gradients[key], before[key])  # the input is not modified


def test_clipping_leaves_small_gradients_unchanged(rng):
    gradients = {"dW": rng.normal(size=(3, 4)) * 1e-3}
    clipped, norm = clip_by_global_norm(gradients, 5.0)
    np.testing.assert_array_equal(clipped["dW"], gradients["dW"])
    assert norm == pytest.approx(float(np.linalg.norm(gradients["dW"])))
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(gradients, 0.0)


def test_save_and_load_round_trip_exactly(rng, tmp_path):
    parameters = random_model("lstm", rng)
    save_parameters(tmp_path / "model.npz", parameters)
    loaded = load_parameters(tmp_path / "model.npz", lstm.LSTM_PARAMETER_KEYS)
    assert list(loaded) == list(lstm.LSTM_PARAMETER_KEYS)
    for key, value in parameters.items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key], value)
    with pytest.raises(lstm.MissingParameterError, match="missing Waa"):
        load_parameters(tmp_path / "model.npz", lstm.RNN_PARAMETER_KEYS)
    save_parameters(tmp_path / "extra.npz", {**parameters, "Waa": np.zeros(1)})
    with pytest.raises(ValueError, match="unexpected arrays Waa"):
        load_parameters(tmp_path / "extra.npz", lstm.LSTM_PARAMETER_KEYS)


# --- the training loop ---------------------------------------------------------------------------------------


def _copy_task(rng):
    """A tiny task: output at every step the symbol seen one step earlier (0 at the first step)."""
    symbols = rng.integers(0, N_X, size=(4, 5))
    x = np.zeros((N_X, 4, 5))
    x[symbols, np.arange(4)[:, None], np.arange(5)[None, :]] = 1.0
    targets = np.concatenate([np.zeros((4, 1), dtype=int), symbols[:, :-1]], axis=1)
    return x, targets


@pytest.mark.parametrize("model, implementation", [("rnn", None)] + [("lstm", i) for i in LSTM_IMPLEMENTATIONS])
def test_training_is_deterministic_and_learns(model, implementation):
    init = lstm.initialize_lstm_parameters if model == "lstm" else lstm.initialize_rnn_parameters
    initial = init(8, N_X, N_X, seed=3)
    kept = {key: value.copy() for key, value in initial.items()}
    runs = [train(initial, _copy_task, 150, Adam(0.05), model=model, seed=7, implementation=implementation,
                  progress=False) for _ in range(2)]
    (p1, h1), (p2, h2) = runs
    np.testing.assert_array_equal(h1["loss"], h2["loss"])
    np.testing.assert_array_equal(h1["gradient_norm"], h2["gradient_norm"])
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])
        np.testing.assert_array_equal(initial[key], kept[key])  # the caller's parameters are untouched
    assert h1["loss"].shape == (150,)
    assert h1["loss"][-20:].mean() < 0.3 * h1["loss"][:20].mean()
    _, other = train(initial, _copy_task, 150, Adam(0.05), model=model, seed=8, implementation=implementation,
                     progress=False)
    assert not np.array_equal(other["loss"], h1["loss"])  # the seed matters


def test_training_evaluates_and_runs_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    initial = lstm.initialize_rnn_parameters(4, N_X, N_X, seed=0)
    _, history = train(initial, _copy_task, 25, SGD(0.1), model="rnn", evaluate=lambda p: 1.0,
                       evaluate_every=10, progress=True)
    assert [step for step, _ in history["evaluation"]] == [10, 20, 25]
    with pytest.raises(ValueError, match="steps must be"):
        train(initial, _copy_task, -1, SGD(0.1), model="rnn")


# --- sampling ------------------------------------------------------------------------------------------------


def test_distribution_sums_to_one_and_sharpens_with_temperature(rng):
    logits = rng.normal(size=7) * 3
    for temperature in (0.25, 1.0, 4.0):
        assert next_distribution(logits, temperature).sum() == pytest.approx(1.0, abs=1e-12)
    entropy = [-(p * np.log(p)).sum() for p in (next_distribution(logits, t) for t in (0.5, 1.0, 2.0))]
    assert entropy[0] < entropy[1] < entropy[2]
    one_hot = np.eye(7)[np.argmax(logits)]
    np.testing.assert_array_equal(next_distribution(logits, 0), one_hot)
    np.testing.assert_allclose(next_distribution(logits, 1e-3), one_hot, atol=1e-12)
    with pytest.raises(ValueError, match="temperature"):
        next_distribution(logits, -1.0)


def test_sampling_is_reproducible_and_greedy_at_zero_temperature(rng):
    parameters = random_model("lstm", rng, n_x=6, n_a=8, n_y=6)
    parameters["Wy"] *= 4  # a confident model, so samples differ from one another
    first = [sample_indices(parameters, 0, 1.0, rng=seed, max_length=15) for seed in range(5)]
    again = [sample_indices(parameters, 0, 1.0, rng=seed, max_length=15) for seed in range(5)]
    assert first == again
    assert len({tuple(s) for s in first}) > 1

    greedy = sample_indices(parameters, 0, 0.0, rng=1, max_length=10)
    assert greedy == sample_indices(parameters, 0, 0.0, rng=2, max_length=10)
    # the greedy sequence, recomputed with the sequence forward pass: each symbol is the argmax after the prefix
    prefix = [0]
    for symbol in greedy:
        x = np.eye(6)[prefix].T[:, None, :]  # (n_x, 1, t)
        _, y, _, _ = lstm.lstm_forward(x, np.zeros((8, 1)), parameters)
        assert int(np.argmax(y[:, 0, -1])) == symbol
        prefix.append(symbol)
    assert 0 not in greedy and len(greedy) <= 10


def test_sample_text_checks_the_alphabet(rng):
    parameters = random_model("lstm", rng, n_x=4, n_a=3, n_y=4)
    assert set(sample_text(parameters, ".abc", 0, rng=0)) <= set("abc")
    with pytest.raises(ValueError, match="one character per output"):
        sample_text(parameters, ".ab", 0)
    with pytest.raises(ValueError, match="n_x = 3 inputs must equal n_y = 4"):
        sample_indices(random_model("lstm", rng, n_x=3, n_a=3, n_y=4), 0)
