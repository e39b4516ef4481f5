"""Sampling from a trained character-level LSTM, with a temperature.

The language model of chapter 8 reads one character at a time (one-hot, n_x = vocabulary
size) and gives a distribution over the next one. Generation feeds its own samples back
in: start from the boundary symbol, draw the next character from the model's
distribution, feed it in, and stop when the model draws the boundary symbol again.

The temperature τ reshapes each distribution before drawing: p_τ = softmax(ℓ / τ) for
logits ℓ = Wy a⟨t⟩ + by. τ = 1 samples the model as trained; τ < 1 sharpens towards the
most likely character (τ → 0 is the argmax, "greedy" decoding, which ``temperature=0``
gives exactly); τ > 1 flattens towards uniform.
"""

import numpy as np

from .activations import softmax
from .cell import lstm_cell_forward
from .parameters import check_lstm_parameters, check_parameters, lstm_sizes


def next_distribution(logits, temperature=1.0):
    """The distribution softmax(logits / τ) over the next symbol; ``temperature=0``
    gives the one-hot argmax.

    Parameters
    ----------
    logits : ndarray, shape (n_y,) or (n_y, m)
        Scores ℓ = Wy a⟨t⟩ + by, one column per sequence.
    temperature : float
        τ >= 0.

    Returns
    -------
    ndarray, same shape as ``logits``
        Non-negative, each column sums to 1.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        distribution = np.zeros_like(logits)
        np.put_along_axis(distribution, np.argmax(logits, axis=0)[None, ...], 1.0, axis=0)
        return distribution
    return softmax(logits / temperature)


def sample_indices(parameters, boundary, temperature=1.0, rng=None, max_length=50):
    """Generate one sequence of symbol indices from a character-level LSTM.

    The first input is the boundary symbol; generation stops when the model draws it
    again (it is not included in the result) or after ``max_length`` symbols.

    Parameters
    ----------
    parameters : dict
        A trained LSTM with n_x = n_y = vocabulary size (one-hot inputs, one output per
        symbol).
    boundary : int
        Index of the symbol that marks both the start and the end of a sequence.
    temperature : float
        τ, see :func:`next_distribution`.
    rng : numpy.random.Generator or int or None
        Source of randomness; an int seeds a new generator, so the same seed gives the
        same sample.
    max_length : int
        Longest sequence returned.

    Returns
    -------
    list of int
        The sampled indices, without the boundary symbols.
    """
    n_a, n_x = lstm_sizes(parameters)
    p, n_y = check_lstm_parameters(parameters, n_a, n_x)
    if n_x != n_y:
        raise ValueError(f"a character model reads what it writes: n_x = {n_x} inputs "
                         f"must equal n_y = {n_y} outputs")
    if not 0 <= boundary < n_x:
        raise ValueError(
            f"boundary must be a symbol index in 0 .. {n_x - 1}, got {boundary}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)

    a, c = np.zeros((n_a, 1)), np.zeros((n_a, 1))
    symbol, result = boundary, []
    for _ in range(max_length):
        xt = np.zeros((n_x, 1))
        xt[symbol] = 1.0
        a, c, _, _ = lstm_cell_forward(xt, a, c, p)
        distribution = next_distribution((p["Wy"] @ a + p["by"])[:, 0], temperature)
        symbol = int(rng.choice(n_y, p=distribution))
        if symbol == boundary:
            break
        result.append(symbol)
    return result


def sample_text(parameters, alphabet, boundary, temperature=1.0, rng=None, max_length=50):
    """:func:`sample_indices` decoded with ``alphabet``, the string whose i-th character
    is symbol i.

    ``alphabet[boundary]`` (for example ``"."``) is the boundary symbol and never
    appears in the result.
    """
    n_y = np.shape(check_parameters(parameters, ("Wy",))["Wy"])[0]
    if len(alphabet) != n_y:
        raise ValueError(f"alphabet has {len(alphabet)} characters but the model has n_y = {n_y} outputs: "
                         "it needs one character per output")
    return "".join(alphabet[i] for i in sample_indices(parameters, boundary, temperature, rng, max_length))
