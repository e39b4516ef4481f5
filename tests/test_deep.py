"""Stacked and bidirectional LSTMs of lstm.deep: built on lstm_forward/lstm_backward, checked by finite
differences, by hand-made compositions, and with clear errors."""

import numpy as np
import pytest

import lstm
from lstm.deep import LAYER_KEYS, stacked_lstm_backward, stacked_lstm_final_states, stacked_lstm_forward

BOUND = 1e-7


def random_gates(rng, n_a, n_in, scale=0.6):
    return {key: rng.normal(0.0, scale, size=(n_a, n_a + n_in) if key[0] == "W" else (n_a, 1)) for key in LAYER_KEYS}


def random_layers(rng, n_x, n_a, num_layers, bidirectional):
    layers, n_in = [], n_x
    for _ in range(num_layers):
        if bidirectional:
            layers.append((random_gates(rng, n_a, n_in), random_gates(rng, n_a, n_in)))
            n_in = 2 * n_a
        else:
            layers.append(random_gates(rng, n_a, n_in))
            n_in = n_a
    return layers


def flatten(layers):
    """{"0.1.Wf": array, ...}: every parameter of a stack under a name, for gradient_check."""
    out = {}
    for k, layer in enumerate(layers):
        for d, gates in enumerate(layer if isinstance(layer, tuple) else (layer,)):
            for key, value in gates.items():
                out[f"{k}.{d}.{key.removeprefix('d')}"] = value
    return out


def unflatten(flat, like):
    layers = []
    for k, layer in enumerate(like):
        directions = tuple({key: flat[f"{k}.{d}.{key}"] for key in LAYER_KEYS}
                           for d in range(len(layer) if isinstance(layer, tuple) else 1))
        layers.append(directions if isinstance(layer, tuple) else directions[0])
    return layers


CASES = [(3, 4, 3, 4, 1, False), (3, 4, 2, 3, 2, True), (2, 3, 1, 3, 3, False), (4, 2, 2, 1, 2, True),
         (1, 2, 2, 2, 3, True)]


@pytest.mark.parametrize("n_x, n_a, m, T_x, num_layers, bidirectional", CASES)
def test_stacked_backward_passes_finite_differences(rng, n_x, n_a, m, T_x, num_layers, bidirectional):
    layers = random_layers(rng, n_x, n_a, num_layers, bidirectional)
    x = rng.normal(size=(n_x, m, T_x))
    rows = 2 * n_a if bidirectional else n_a
    da = rng.normal(size=(rows, m, T_x))
    a, caches = stacked_lstm_forward(x, layers, bidirectional)
    assert a.shape == (rows, m, T_x)
    dx, layer_gradients = stacked_lstm_backward(da, caches)

    def loss(inputs):
        return np.sum(da * stacked_lstm_forward(inputs["x"], unflatten(inputs, layers), bidirectional)[0])

    point = {**flatten(layers), "x": x}
    analytic = {**flatten(layer_gradients), "x": dx}
    errors = lstm.gradient_check(loss, point, analytic)
    assert max(errors.values()) < BOUND, {k: v for k, v in errors.items() if v >= BOUND}


def test_one_layer_is_lstm_forward(rng):
    layers = random_layers(rng, 3, 4, 1, False)
    x = rng.normal(size=(3, 2, 5))
    a, caches = stacked_lstm_forward(x, layers)
    reference = {**layers[0], "Wy": np.zeros((1, 4)), "by": np.zeros((1, 1))}
    a_ref, _, c_ref, _ = lstm.lstm_forward(x, np.zeros((4, 2)), reference)
    np.testing.assert_array_equal(a, a_ref)
    a_last, c_last = stacked_lstm_final_states(caches)
    np.testing.assert_array_equal(a_last[0], a_ref[:, :, -1])
    np.testing.assert_array_equal(c_last[0], c_ref[:, :, -1])


def test_bidirectional_layer_by_hand(rng):
    """The backward direction is an LSTM run on the time-reversed input, its states reversed back, stacked below."""
    (forward, backward), = random_layers(rng, 3, 4, 1, True)
    x = rng.normal(size=(3, 2, 5))
    a, caches = stacked_lstm_forward(x, [(forward, backward)], bidirectional=True)
    zero_output = {"Wy": np.zeros((1, 4)), "by": np.zeros((1, 1))}
    a_f = lstm.lstm_forward(x, np.zeros((4, 2)), {**forward, **zero_output})[0]
    a_b = lstm.lstm_forward(x[:, :, ::-1], np.zeros((4, 2)), {**backward, **zero_output})[0][:, :, ::-1]
    np.testing.assert_array_equal(a, np.concatenate([a_f, a_b]))
    a_last, _ = stacked_lstm_final_states(caches)
    np.testing.assert_array_equal(a_last[1], a_b[:, :, 0])  # the backward direction ends at step 1
    # Swapping the directions must change the output: the check is not blind to the order.
    swapped, _ = stacked_lstm_forward(x, [(backward, forward)], bidirectional=True)
    assert np.max(np.abs(swapped - a)) > 1e-3


def test_a_backward_pass_that_forgets_to_reverse_time_fails(rng):
    layers = random_layers(rng, 2, 3, 1, True)
    x = rng.normal(size=(2, 2, 4))
    da = rng.normal(size=(6, 2, 4))
    _, caches = stacked_lstm_forward(x, layers, True)
    dx, _ = stacked_lstm_backward(da, caches)
    (cache_f, cache_b), = caches[0]
    wrong = lstm.lstm_backward(da[:3], cache_f)["dx"] + lstm.lstm_backward(da[3:], cache_b)["dx"]
    numerical = lstm.numerical_gradient(lambda v: np.sum(da * stacked_lstm_forward(v, layers, True)[0]), x)
    assert lstm.relative_error(dx, numerical) < BOUND
    assert lstm.relative_error(wrong, numerical) > 1e-2


def test_bad_inputs_say_what_to_fix(rng):
    layers = random_layers(rng, 3, 4, 2, True)
    x = rng.normal(size=(3, 2, 5))
    with pytest.raises(ValueError, match=r"layers\[0\] must be a dict of gate parameters since bidirectional=False"):
        stacked_lstm_forward(x, layers)
    with pytest.raises(ValueError, match=r"layers\[0\] must be a pair \(forward, backward\)"):
        stacked_lstm_forward(x, random_layers(rng, 3, 4, 2, False), bidirectional=True)
    with pytest.raises(ValueError, match=r"layers\[1\]\[0\]\['Wf'\] must have shape \(n_a, n_a \+ n_in\) "
                                         r"with n_in = 8"):
        stacked_lstm_forward(x, [layers[0], (layers[0][0], layers[0][1])], bidirectional=True)
    with pytest.raises(KeyError, match="missing 1 key: bo"):
        stacked_lstm_forward(x, [{k: v for k, v in layers[0][0].items() if k != "bo"}])
    with pytest.raises(ValueError, match="non-empty list"):
        stacked_lstm_forward(x, [])
    with pytest.raises(ValueError, match=r"x must have shape \(n_x, m, T_x\)"):
        stacked_lstm_forward(x[:, :, 0], layers, True)
    _, caches = stacked_lstm_forward(x, layers, True)
    with pytest.raises(ValueError, match=r"da must have shape \(2 n_a, m, T_x\) = \(8, 2, 5\)"):
        stacked_lstm_backward(np.zeros((4, 2, 5)), caches)
    with pytest.raises(ValueError, match="stacked_lstm_forward returns"):
        stacked_lstm_backward(np.zeros((8, 2, 5)), caches[0])
