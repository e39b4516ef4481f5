"""Random problems shared by the tests: non-trivial shapes, every parameter and state non-zero."""

import lstm

#: (n_x, n_a, n_y, m, T_x), all different, plus the edge cases m = 1 and T_x = 1.
SHAPES = [(3, 5, 2, 4, 6), (4, 2, 3, 1, 5), (2, 3, 4, 5, 1), (6, 4, 5, 3, 3)]


def random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.5):
    """Parameters with random (non-zero) biases, an input sequence, an initial state, and upstream gradients."""
    parameters = {key: rng.normal(0.0, scale, size=value.shape)
                  for key, value in lstm.initialize_lstm_parameters(n_a, n_x, n_y, seed=0).items()}
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T_x))
    return parameters, x, a0, da


def random_rnn_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.5):
    parameters = {key: rng.normal(0.0, scale, size=value.shape)
                  for key, value in lstm.initialize_rnn_parameters(n_a, n_x, n_y, seed=0).items()}
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(size=(n_a, m))
    da = rng.normal(size=(n_a, m, T_x))
    return parameters, x, a0, da
