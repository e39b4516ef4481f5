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


def _one_hot(n_x, shape, rng):
    """Integer one-hot columns: x[k, ...] = 1 for one random k per example (and step)."""
    x = np.zeros((n_x, *shape), dtype=np.int64)
    index = rng.integers(0, n_x, size=shape)
    np.put_along_axis(x, index[None], 1, axis=0)
    return x


def _random_shapes(rng, count, with_time):
    """Shapes with n_a, n_x, m (and T_x) all different, so that a transpose or a wrong axis cannot fit."""
    shapes = []
    while len(shapes) < count:
        dims = [int(d) for d in rng.integers(1, 9, size=5)]
        n_a, n_x, m, n_y, T_x = dims
        if len({n_a, n_x, m} | ({T_x} if with_time else set())) < (4 if with_time else 3):
            continue
        shapes.append((n_a, n_x, m, n_y, T_x) if with_time else (n_a, n_x, m, n_y))
    return shapes


def _cell_case(label, n_a, n_x, m, n_y, rng, kind="float64", scale=1.0):
    xt = _one_hot(n_x, (m,), rng) if kind == "int" else rng.normal(0.0, 1.0, size=(n_x, m))
    values = {
        "xt": xt,
        "a_prev": rng.uniform(-0.9, 0.9, size=(n_a, m)),
        "c_prev": rng.normal(0.0, 1.5, size=(n_a, m)),
        "parameters": random_lstm_parameters(n_a, n_x, n_y, rng),
        "da_next": scale * rng.normal(0.0, 1.0, size=(n_a, m)),
        "dc_next": scale * rng.normal(0.0, 1.0, size=(n_a, m)),
    }
    if kind == "float32":
        values = _as_float32(values)
    return Case(f"n_a={n_a}, n_x={n_x}, m={m}, n_y={n_y}" + KIND_LABELS[kind] + (
        f", upstream gradients ×{scale:g}" if scale != 1 else ""), values)


#: What a case's label adds for its kind of inputs.
KIND_LABELS = {"float64": "", "int": ", integer one-hot x", "float32": ", every input float32"}


def _as_float32(values):
    if isinstance(values, dict):
        return {key: _as_float32(value) for key, value in values.items()}
    return values.astype(np.float32) if isinstance(values, np.ndarray) and values.dtype.kind == "f" else values


def cell_cases(seed, hidden=False):
    """Single-step cases: ``xt, a_prev, c_prev, parameters, da_next, dc_next``.

    Besides the shapes of :data:`CELL_SHAPES`: upstream gradients large enough that the parameter gradients reach
    the hundreds (m = 32), integer one-hot inputs, and float32 inputs. ``hidden=True`` (the grader) adds random
    shapes with n_a, n_x and m all different, and more of the special cases.
    """
    rng = np.random.default_rng(seed)
    cases = [_cell_case("", n_a, n_x, m, n_y, rng) for n_a, n_x, m, n_y in CELL_SHAPES]
    cases.append(_cell_case("", 4, 3, 32, 2, rng, scale=40.0))
    cases.append(_cell_case("", 2, 5, 3, 4, rng, kind="int"))
    cases.append(_cell_case("", 3, 4, 5, 2, rng, kind="float32"))
    if hidden:
        cases += [_cell_case("", *shape, rng) for shape in _random_shapes(rng, 6, False)]
        cases += [_cell_case("", *shape, rng, kind=kind, scale=scale) for shape, kind, scale in zip(
            _random_shapes(rng, 4, False), ("int", "float32", "float64", "int"), (1.0, 1.0, 60.0, 25.0),
            strict=True)]
    return cases


def _sequence_case(n_a, n_x, m, n_y, T_x, rng, kind="float64", ones=False):
    x = _one_hot(n_x, (m, T_x), rng) if kind == "int" else rng.normal(0.0, 1.0, size=(n_x, m, T_x))
    values = {
        "x": x,
        "a0": rng.uniform(-0.9, 0.9, size=(n_a, m)),
        "parameters": random_lstm_parameters(n_a, n_x, n_y, rng),
        "da": np.ones((n_a, m, T_x)) if ones else rng.normal(0.0, 1.0, size=(n_a, m, T_x)),
    }
    if kind == "float32":
        values = _as_float32(values)
    return Case(f"n_a={n_a}, n_x={n_x}, m={m}, n_y={n_y}, T_x={T_x}" + KIND_LABELS[kind]
                + (", upstream gradients of ones" if ones else ""), values)


def sequence_cases(seed, hidden=False):
    """Sequence cases: ``x, a0, parameters, da``.

    Besides :data:`SEQUENCE_SHAPES`: a batch of 32 over 20 steps with upstream gradients of ones (parameter
    gradients in the hundreds), integer one-hot x, and float32 inputs; ``hidden=True`` adds random shapes with
    n_a, n_x, m and T_x all different, and more of the special cases.
    """
    rng = np.random.default_rng(seed)
    cases = [_sequence_case(*shape, rng) for shape in SEQUENCE_SHAPES]
    cases.append(_sequence_case(3, 4, 32, 2, 20, rng, ones=True))
    cases.append(_sequence_case(5, 4, 3, 2, 6, rng, kind="int"))
    cases.append(_sequence_case(2, 3, 4, 3, 5, rng, kind="float32"))
    if hidden:
        cases += [_sequence_case(*shape, rng) for shape in _random_shapes(rng, 5, True)]
        cases += [_sequence_case(*shape, rng, kind=kind, ones=ones) for shape, kind, ones in zip(
            _random_shapes(rng, 3, True), ("int", "float32", "int"), (False, False, True), strict=True)]
        big = _sequence_case(2, 5, 24, 3, 16, rng, ones=True)
        scale = float(rng.integers(20, 100))
        big.values["da"] = big.values["da"] * scale
        big.label += f" ×{scale:g}"
        cases.append(big)
    return cases


def softmax_cases(seed, hidden=False):
    """Score matrices (n_y, m): small, wide, one column, one class, scores of ±1000 (which overflow exp unless each
    column's own maximum is subtracted), integer and float32 scores."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (2, 5), (5, 1), (1, 4), (3, 3), (6, 2)]
    if hidden:
        shapes += [tuple(int(d) for d in rng.integers(1, 9, size=2)) for _ in range(6)]
    cases = [Case(f"z of shape {shape}", {"z": rng.normal(0.0, 2.0, size=shape)}) for shape in shapes]
    large = rng.normal(0.0, 1.0, size=(3, 4)) + np.array([[800.0, -800.0, 5.0, 0.0]])
    large[0, 3] = 1000.0
    cases.append(Case("z of shape (3, 4) with scores near ±1000", {"z": large}))
    offset = rng.normal(0.0, 1.0, size=(4, 2)) + np.array([[0.0], [300.0], [-300.0], [1.0]])
    cases.append(Case("z of shape (4, 2) with one class scoring 300 more than the others", {"z": offset}))
    cases.append(Case("z = [[1000, -1000], [-1000, 1000]]", {"z": np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])}))
    cases.append(Case("integer z of shape (3, 4) with scores up to ±1000",
                      {"z": np.array([[1000, -3, 0, 2], [-1000, 5, 1, 2], [0, 7, -1, 2]], dtype=np.int64)}))
    cases.append(Case("float32 z of shape (3, 5) with scores up to ±80",
                      {"z": (rng.normal(0.0, 1.0, size=(3, 5)) * np.array([1, 1, 80, -80, 20])).astype(np.float32)}))
    if hidden:
        column = rng.normal(0.0, 1.0, size=(5, 3)) + np.array([[900.0, -700.0, 0.0]])
        cases.append(Case("z of shape (5, 3) with columns near 900, -700 and 0", {"z": column}))
    return cases


def _gru_case(n_a, n_x, m, rng, kind="float64", upstream=None, saturated=False):
    """One GRU step. ``upstream=(low, high)`` draws da_next from that range (gradients in the hundreds when m is
    large); ``saturated`` sets one bias row of each gate to +1000 and another to -1000 (needs n_a >= 2)."""
    from .gru import initialize_gru_parameters

    values = {
        "xt": _one_hot(n_x, (m,), rng) if kind == "int" else rng.normal(0.0, 1.0, size=(n_x, m)),
        "a_prev": rng.uniform(-0.9, 0.9, size=(n_a, m)),
        "parameters": initialize_gru_parameters(n_a, n_x, rng),
        "da_next": rng.normal(0.0, 1.0, size=(n_a, m)) if upstream is None else rng.uniform(*upstream, size=(n_a, m)),
    }
    if saturated:  # pre-activations near ±1000: exp overflows unless the formula avoids it, gates are exactly 0 or 1
        for row, gate in enumerate("zrh"):
            values["parameters"]["b" + gate][row % n_a] += 1000.0
            values["parameters"]["b" + gate][(row + 1) % n_a] -= 1000.0
    if kind == "float32":
        values = _as_float32(values)
    label = f"n_a={n_a}, n_x={n_x}, m={m}" + KIND_LABELS[kind]
    if upstream is not None:
        label += f", upstream gradients between {upstream[0]:g} and {upstream[1]:g}"
    if saturated:
        label += ", biases of ±1000 (pre-activations near ±1000)"
    return Case(label, values)


def _small_distinct_shapes(rng, count):
    """(n_a, n_x, m), all three different and at most 5: each costs the finite differences a few hundred calls."""
    shapes = []
    while len(shapes) < count:
        n_a, n_x, m = (int(d) for d in rng.integers(1, 6, size=3))
        if len({n_a, n_x, m}) == 3:
            shapes.append((n_a, n_x, m))
    return shapes


def gru_cases(seed, hidden=False):
    """Single GRU steps: ``xt, a_prev, parameters, da_next``.

    Shapes with m = 1, n_x = 1, n_a = 1, n_a above and below n_x, and n_a = n_x = m (where a transpose fits by
    accident); then upstream gradients of 40 to 100 (parameter gradients in the hundreds), pre-activations near
    ±1000, integer one-hot inputs and float32 inputs. ``hidden=True`` (the grader) adds random shapes with n_a, n_x
    and m all different, and more of the special cases.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 2, 4), (2, 4, 1), (4, 1, 3), (1, 3, 2), (5, 3, 2), (2, 2, 2)]
    cases = [_gru_case(n_a, n_x, m, rng) for n_a, n_x, m in shapes]
    cases.append(_gru_case(3, 2, 10, rng, upstream=(40.0, 100.0)))
    cases.append(_gru_case(3, 2, 4, rng, saturated=True))
    cases.append(_gru_case(2, 4, 3, rng, kind="int"))
    cases.append(_gru_case(3, 1, 2, rng, kind="float32"))
    if hidden:
        cases += [_gru_case(n_a, n_x, m, rng) for n_a, n_x, m in [(3, 5, 2), (4, 2, 3), (2, 3, 5)]]
        cases += [_gru_case(*shape, rng, kind=kind) for shape, kind in zip(
            _small_distinct_shapes(rng, 3), ("float64", "int", "float32"), strict=True)]
        low = float(rng.integers(40, 100))
        cases.append(_gru_case(3, 2, 8, rng, upstream=(low, 2 * low)))
        cases.append(_gru_case(4, 1, 2, rng, saturated=True))
        cases.append(_gru_case(2, 6, 1, rng, kind="float32", saturated=True))
    return cases


#: (n_a, n_x, m, T_x) of the bidirectional cases: m = 1, T_x = 1, n_x = 1, n_a = 1, n_a above and below n_x.
BIDIRECTIONAL_SHAPES = [(3, 2, 4, 5), (2, 3, 1, 4), (4, 2, 3, 1), (2, 1, 3, 4), (1, 3, 2, 3), (5, 4, 2, 6),
                        (3, 5, 2, 4)]


def _gates(n_a, n_x, rng):
    """The gate parameters of one direction (no prediction layer), all random and non-zero."""
    parameters = random_lstm_parameters(n_a, n_x, 1, rng)
    return {key: parameters[key] for key in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")}


def _bidirectional_case(n_a, n_x, m, T_x, rng, kind="float64", scale=None):
    x = _one_hot(n_x, (m, T_x), rng) if kind == "int" else rng.normal(0.0, 1.0, size=(n_x, m, T_x))
    values = {
        "x": x,
        "layer": (_gates(n_a, n_x, rng), _gates(n_a, n_x, rng)),
        "da": (np.full((2 * n_a, m, T_x), scale) if scale is not None
               else rng.normal(0.0, 1.0, size=(2 * n_a, m, T_x))),
    }
    if kind == "float32":
        values = {key: (tuple(_as_float32(d) for d in value) if key == "layer" else _as_float32(value))
                  for key, value in values.items()}
    return Case(f"n_a={n_a}, n_x={n_x}, m={m}, T_x={T_x}" + KIND_LABELS[kind]
                + (f", upstream gradients all {scale:g}" if scale is not None else ""), values)


def bidirectional_cases(seed, hidden=False):
    """One bidirectional layer: ``x`` (n_x, m, T_x), ``layer`` a pair (forward, backward) of gate-parameter dicts,
    and ``da`` (2 n_a, m, T_x).

    Besides :data:`BIDIRECTIONAL_SHAPES`: a batch of 32 over 20 steps with upstream gradients of ones (weight
    gradients in the hundreds), integer one-hot x, and float32 inputs; ``hidden=True`` adds random shapes with
    n_a, n_x, m and T_x all different, and more of the special cases.
    """
    rng = np.random.default_rng(seed)
    cases = [_bidirectional_case(*shape, rng) for shape in BIDIRECTIONAL_SHAPES]
    cases.append(_bidirectional_case(3, 4, 32, 20, rng, scale=1.0))
    cases.append(_bidirectional_case(4, 3, 2, 5, rng, kind="int"))
    cases.append(_bidirectional_case(2, 3, 4, 5, rng, kind="float32"))
    if hidden:
        cases += [_bidirectional_case(n_a, n_x, m, T_x, rng)
                  for n_a, n_x, m, _, T_x in _random_shapes(rng, 5, True)]
        cases += [_bidirectional_case(n_a, n_x, m, T_x, rng, kind=kind)
                  for (n_a, n_x, m, _, T_x), kind in zip(_random_shapes(rng, 3, True), ("int", "float32", "int"),
                                                         strict=True)]
        cases.append(_bidirectional_case(2, 5, 24, 16, rng, scale=float(rng.integers(20, 100))))
    return cases
