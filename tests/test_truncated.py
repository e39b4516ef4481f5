"""Truncated BPTT (lstm.truncated): full BPTT when k >= T_x, and the exact gradient of the chunked loss."""

import numpy as np
import pytest

import lstm
from lstm.truncated import truncated_lstm_gradients
from tests.helpers import random_lstm_problem

GATES = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")


@pytest.mark.parametrize("k", [7, 20])
def test_a_chunk_as_long_as_the_sequence_is_full_bptt(rng, k):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 2, 7)
    gradients, peak = truncated_lstm_gradients(x, a0, parameters, da, k)
    _, _, _, caches = lstm.lstm_forward(x, a0, parameters)
    full = lstm.lstm_backward(da, caches)
    for key in gradients:
        np.testing.assert_allclose(gradients[key], full[key], rtol=0, atol=1e-13)
    assert peak == lstm.sequence.cache_nbytes(caches)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_gradient_is_the_gradient_with_the_state_held_at_chunk_starts(rng, k):
    """Finite differences of the loss in which each chunk starts from a state held constant."""
    parameters, x, a0, da = random_lstm_problem(rng, 2, 3, 2, 2, 7)
    gradients, _ = truncated_lstm_gradients(x, a0, parameters, da, k)
    starts = []  # the states entering each chunk, computed once with the true parameters
    a, c = a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        if t % k == 0:
            starts.append((a, c))
        a, c, _, _ = lstm.lstm_cell_forward(x[:, :, t], a, c, parameters)

    def chunked_loss_x(inputs, x_trial):
        p = {**parameters, **inputs}
        total = 0.0
        for j, (a, c) in enumerate(starts):
            for t in range(j * k, min((j + 1) * k, x.shape[2])):
                a, c, _, _ = lstm.lstm_cell_forward(x_trial[:, :, t], a, c, p)
                total += np.sum(da[:, :, t] * a)
        return total

    def chunked_loss_of_all(inputs):
        return chunked_loss_x({key: inputs[key] for key in GATES}, inputs["x"])

    errors = lstm.gradient_check(chunked_loss_of_all, {**{key: parameters[key] for key in GATES}, "x": x},
                                 {**{key: gradients["d" + key] for key in GATES}, "x": gradients["dx"]})
    assert max(errors.values()) < 1e-7, errors
    # ... and it is not the full gradient: truncation changes the answer.
    _, _, _, caches = lstm.lstm_forward(x, a0, parameters)
    assert lstm.relative_error(gradients["dWf"], lstm.lstm_backward(da, caches)["dWf"]) > 1e-3


def test_memory_grows_with_k_not_with_the_sequence(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 2, 24)
    peaks = [truncated_lstm_gradients(x, a0, parameters, da, k)[1] for k in (2, 4, 8, 24)]
    assert peaks == sorted(peaks) and peaks[-1] > 6 * peaks[0]


def test_bad_k(rng):
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 2, 5)
    for k in (0, 2.5, True):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            truncated_lstm_gradients(x, a0, parameters, da, k)
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\)"):
        truncated_lstm_gradients(x, a0, parameters, da[:, :, :3], 2)
