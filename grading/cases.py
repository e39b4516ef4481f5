"""Random test cases for the checks: several shapes (n_a, n_x, m, n_y, T_x all different, and m = 1, T_x = 1),
random non-zero parameters and states, all seeded so that a check prints the same line every time."""

from dataclasses import dataclass, field

import numpy as np

from lstm.parameters import LSTM_PARAMETER_KEYS

#: (n_a, n_x, m, n_y) of the single-step cases.
CELL_SHAPES = [(3, 2, 4, 5), (5, 3, 1, 2), (2, 4, 3, 3), (4, 1, 2, 6), (1, 3, 2, 2), (6, 5, 7, 4), (3, 3, 3, 3),
               (2, 7, 1, 3)]
#: (n_a, n_x, m, n_y, T_x) of the sequence cases.
SEQUENCE_SHAPES = [(3, 2, 4, 5, 6), (2, 3, 1, 2, 4), (4, 2, 3, 3, 1), (1, 2, 2, 2, 3), (5, 4, 2, 3, 5),
                   (2, 1, 3, 4, 2), (3, 5, 1, 2, 1)]


@dataclass
class Case:
    """One set of inputs, and a label that says its shapes (shown in a hint)."""

    label: str
    values: dict = field(default_factory=dict)


def random_lstm_parameters(n_a, n_x, n_y, rng):
    """LSTM parameters with every entry random and non-zero (biases included), scaled so gates are not saturated."""
    parameters = {}
    for gate in "fico":
        parameters["W" + gate] = rng.normal(0.0, 1.5 / np.sqrt(n_a + n_x), size=(n_a, n_a + n_x))
        parameters["b" + gate] = rng.normal(0.0, 0.5, size=(n_a, 1))
    parameters["Wy"] = rng.normal(0.0, 1.0, size=(n_y, n_a))
    parameters["by"] = rng.normal(0.0, 0.5, size=(n_y, 1))
    return {key: parameters[key] for key in LSTM_PARAMETER_KEYS}


def cell_cases(seed):
    """Single-step cases: ``xt, a_prev, c_prev, parameters, da_next, dc_next``."""
    rng = np.random.default_rng(seed)
    cases = []
    for n_a, n_x, m, n_y in CELL_SHAPES:
        cases.append(Case(f"n_a={n_a}, n_x={n_x}, m={m}, n_y={n_y}", {
            "xt": rng.normal(0.0, 1.0, size=(n_x, m)),
            "a_prev": rng.uniform(-0.9, 0.9, size=(n_a, m)),
            "c_prev": rng.normal(0.0, 1.5, size=(n_a, m)),
            "parameters": random_lstm_parameters(n_a, n_x, n_y, rng),
            "da_next": rng.normal(0.0, 1.0, size=(n_a, m)),
            "dc_next": rng.normal(0.0, 1.0, size=(n_a, m)),
        }))
    return cases


def sequence_cases(seed):
    """Sequence cases: ``x, a0, parameters, da``."""
    rng = np.random.default_rng(seed)
    cases = []
    for n_a, n_x, m, n_y, T_x in SEQUENCE_SHAPES:
        cases.append(Case(f"n_a={n_a}, n_x={n_x}, m={m}, n_y={n_y}, T_x={T_x}", {
            "x": rng.normal(0.0, 1.0, size=(n_x, m, T_x)),
            "a0": rng.uniform(-0.9, 0.9, size=(n_a, m)),
            "parameters": random_lstm_parameters(n_a, n_x, n_y, rng),
            "da": rng.normal(0.0, 1.0, size=(n_a, m, T_x)),
        }))
    return cases


def softmax_cases(seed):
    """Score matrices (n_y, m): small, wide, one column, one class, and scores large enough to overflow exp."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (2, 5), (5, 1), (1, 4), (3, 3), (6, 2)]
    cases = [Case(f"z of shape {shape}", {"z": rng.normal(0.0, 2.0, size=shape)}) for shape in shapes]
    large = rng.normal(0.0, 1.0, size=(3, 4)) + np.array([[800.0, -800.0, 5.0, 0.0]])
    large[0, 3] = 1000.0
    cases.append(Case("z of shape (3, 4) with scores near ±1000", {"z": large}))
    offset = rng.normal(0.0, 1.0, size=(4, 2)) + np.array([[0.0], [300.0], [-300.0], [1.0]])
    cases.append(Case("z of shape (4, 2) with one class scoring 300 more than the others", {"z": offset}))
    return cases


def gru_cases(seed):
    """Single GRU steps: ``xt, a_prev, parameters, da_next``."""
    from .gru import initialize_gru_parameters

    rng = np.random.default_rng(seed)
    cases = []
    for n_a, n_x, m in [(3, 2, 4), (2, 4, 1), (4, 1, 3), (1, 3, 2), (5, 3, 2), (2, 2, 2)]:
        cases.append(Case(f"n_a={n_a}, n_x={n_x}, m={m}", {
            "xt": rng.normal(0.0, 1.0, size=(n_x, m)),
            "a_prev": rng.uniform(-0.9, 0.9, size=(n_a, m)),
            "parameters": initialize_gru_parameters(n_a, n_x, rng),
            "da_next": rng.normal(0.0, 1.0, size=(n_a, m)),
        }))
    return cases
