"""Random problems shared by the tests (non-trivial shapes, every parameter and state non-zero), and the
comparison every PyTorch cross-check makes."""

import numpy as np

import lstm

#: Largest difference from PyTorch, relative to the larger of 1 and PyTorch's largest value, in float64.
TOLERANCE = 1e-10

#: (n_x, n_a, n_y, m, T_x), all different, plus the edge cases m = 1 and T_x = 1.
SHAPES = [(3, 5, 2, 4, 6), (4, 2, 3, 1, 5), (2, 3, 4, 5, 1), (6, 4, 5, 3, 3)]


def _random_problem(initialiser, rng, n_x, n_a, n_y, m, T_x, scale):
    """Parameters shaped by ``initialiser`` but all random (biases too), an input, an initial state, and ``da``."""
    parameters = {key: rng.normal(0.0, scale, size=value.shape)
                  for key, value in initialiser(n_a, n_x, n_y, seed=0).items()}
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T_x))
    return parameters, x, a0, da


def random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.5):
    """An LSTM problem: ``(parameters, x, a0, da)``."""
    return _random_problem(lstm.initialize_lstm_parameters, rng, n_x, n_a, n_y, m, T_x, scale)


def random_rnn_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.5):
    """A vanilla RNN problem: ``(parameters, x, a0, da)``."""
    return _random_problem(lstm.initialize_rnn_parameters, rng, n_x, n_a, n_y, m, T_x, scale)


def assert_close(name, ours, theirs):
    """Our array equals PyTorch's: the same shape, and within :data:`TOLERANCE` (relative)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} here, {theirs.shape} in PyTorch"
    scale = max(1.0, float(np.max(np.abs(theirs))))
    difference = float(np.max(np.abs(ours - theirs))) / scale
    assert difference < TOLERANCE, f"{name}: differs from PyTorch by {difference:.2e} (relative)"
