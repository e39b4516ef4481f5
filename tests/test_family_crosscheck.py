"""The GRU and the stacked / bidirectional LSTMs against PyTorch's nn.GRU and nn.LSTM, in float64.

Random modules are converted with lstm.pytorch; outputs, final states, input gradients and every weight
gradient must agree to 1e-10 (relative). Skipped where torch is not installed; under CI (CI=true) a skip is a
failure.
"""

import numpy as np
import pytest

from lstm.deep import stacked_lstm_backward, stacked_lstm_final_states, stacked_lstm_forward
from lstm.gru import gru_backward, gru_forward
from lstm.pytorch import (
    gru_gradients_from_torch,
    gru_parameters_from_torch,
    lstm_layer_gradients_from_torch,
    lstm_layers_from_torch,
    sequence_from_torch,
    sequence_to_torch,
)
from tests.helpers import assert_close

#: (n_x, n_a, m, T_x): n_a > n_x, n_a < n_x, m = 1, T_x = 1, n_x = 1.
SHAPES = [(3, 5, 4, 6), (4, 2, 1, 5), (2, 3, 5, 1), (1, 4, 3, 3)]
GATE_GRADIENT_KEYS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")


def random_module(torch, cls, seed, scale=1.5, **kwargs):
    """A float64 module with every weight and bias random (wider than PyTorch's default, so gates saturate)."""
    torch.manual_seed(seed)
    module = cls(dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.mul_(scale)
    return module


# --- the GRU ----------------------------------------------------------------------------------------------


def run_torch_gru(torch, module, x, a0, da):
    x_t = torch.tensor(sequence_to_torch(x), requires_grad=True)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
    outputs, h_n = module(x_t, h0)
    (outputs * torch.tensor(sequence_to_torch(da))).sum().backward()
    return {"a": sequence_from_torch(outputs.detach().numpy()), "a_last": h_n[0].detach().numpy().T,
            "dx": sequence_from_torch(x_t.grad.numpy()), "da0": h0.grad[0].numpy().T,
            **gru_gradients_from_torch(module)}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_x, n_a, m, T_x", SHAPES)
def test_gru_equals_torch(torch, rng, seed, n_x, n_a, m, T_x):
    module = random_module(torch, torch.nn.GRU, seed, input_size=n_x, hidden_size=n_a)
    parameters = gru_parameters_from_torch(module)
    assert set(parameters) == {"Wz", "bz", "Wr", "br", "Wh", "bh", "bha"}
    x, a0, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))
    a, _, caches = gru_forward(x, a0, parameters)
    ours = gru_backward(da, caches)
    theirs = run_torch_gru(torch, module, x, a0, da)
    assert_close("a", a, theirs["a"])
    assert_close("a<T>", a[:, :, -1], theirs["a_last"])
    for key in ("dx", "da0", "dWz", "dbz", "dWr", "dbr", "dWh", "dbh", "dbha"):
        assert_close(key, ours[key], theirs[key])
    assert set(ours) == {"dx", "da0"} | {"d" + key for key in parameters}


def test_gru_comparison_bites(torch, rng):
    """Two wrong readings of nn.GRU must be caught: its z not negated, and the reset before the product."""
    module = random_module(torch, torch.nn.GRU, 3, input_size=3, hidden_size=4)
    parameters = gru_parameters_from_torch(module)
    x, a0, da = rng.normal(size=(3, 2, 4)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2, 4))
    theirs = run_torch_gru(torch, module, x, a0, da)
    not_negated = {**parameters, "Wz": -parameters["Wz"], "bz": -parameters["bz"]}
    reset_before = {k: v for k, v in parameters.items() if k != "bha"}
    for wrong in (not_negated, reset_before):
        with pytest.raises(AssertionError):
            assert_close("a", gru_forward(x, a0, wrong)[0], theirs["a"])


# --- stacked and bidirectional LSTMs --------------------------------------------------------------------


def run_torch_lstm(torch, module, x, da):
    x_t = torch.tensor(sequence_to_torch(x, module.batch_first), requires_grad=True)
    outputs, (h_n, c_n) = module(x_t)  # zero initial states
    (outputs * torch.tensor(sequence_to_torch(da, module.batch_first))).sum().backward()
    return {"a": sequence_from_torch(outputs.detach().numpy(), module.batch_first),
            "a_last": [h.T for h in h_n.detach().numpy()], "c_last": [c.T for c in c_n.detach().numpy()],
            "dx": sequence_from_torch(x_t.grad.numpy(), module.batch_first),
            "layers": lstm_layer_gradients_from_torch(module)}


def compare_stack(torch, rng, module, n_x, m, T_x):
    layers = lstm_layers_from_torch(module)
    bidirectional = module.bidirectional
    rows = module.hidden_size * (2 if bidirectional else 1)
    x, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(rows, m, T_x))
    a, caches = stacked_lstm_forward(x, layers, bidirectional)
    dx, layer_gradients = stacked_lstm_backward(da, caches)
    theirs = run_torch_lstm(torch, module, x, da)
    assert_close("a", a, theirs["a"])
    a_last, c_last = stacked_lstm_final_states(caches)
    assert len(a_last) == len(theirs["a_last"]) == module.num_layers * (2 if bidirectional else 1)
    for k, (ours_a, ours_c, their_a, their_c) in enumerate(zip(a_last, c_last, theirs["a_last"], theirs["c_last"],
                                                               strict=True)):
        assert_close(f"h_n[{k}]", ours_a, their_a)
        assert_close(f"c_n[{k}]", ours_c, their_c)
    assert_close("dx", dx, theirs["dx"])
    assert len(layer_gradients) == len(theirs["layers"]) == module.num_layers
    for k, (ours_layer, their_layer) in enumerate(zip(layer_gradients, theirs["layers"], strict=True)):
        for d, (ours_g, their_g) in enumerate(zip(*(((g,) if isinstance(g, dict) else g)
                                                    for g in (ours_layer, their_layer)), strict=True)):
            for key in GATE_GRADIENT_KEYS:
                assert_close(f"layer {k} direction {d} {key}", ours_g[key], their_g[key])


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("n_x, n_a, m, T_x", SHAPES)
def test_stacked_lstm_equals_torch(torch, rng, n_x, n_a, m, T_x, num_layers, bidirectional):
    module = random_module(torch, torch.nn.LSTM, 10 * num_layers + bidirectional, input_size=n_x,
                           hidden_size=n_a, num_layers=num_layers, bidirectional=bidirectional)
    compare_stack(torch, rng, module, n_x, m, T_x)


def test_batch_first_and_float32_modules_convert(torch, rng):
    """batch_first only changes the layout of the sequences; a float32 module converts to float64 arrays."""
    module = random_module(torch, torch.nn.LSTM, 5, input_size=3, hidden_size=4, num_layers=2,
                           bidirectional=True, batch_first=True)
    compare_stack(torch, rng, module, 3, 2, 5)
    small = torch.nn.LSTM(3, 4, dtype=torch.float32)
    assert lstm_layers_from_torch(small)[0]["Wf"].dtype == np.float64


def test_stack_comparison_bites(torch, rng):
    """Swapping the two directions of a layer, or the order of torch's gate blocks, must be noticed."""
    module = random_module(torch, torch.nn.LSTM, 7, input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    layers = lstm_layers_from_torch(module)
    x, da = rng.normal(size=(3, 2, 5)), rng.normal(size=(8, 2, 5))
    theirs = run_torch_lstm(torch, module, x, da)
    swapped = [layers[0], (layers[1][1], layers[1][0])]
    gates_swapped = [(dict(f, Wi=f["Wf"], Wf=f["Wi"]), b) for f, b in layers]
    for wrong in (swapped, gates_swapped):
        with pytest.raises(AssertionError):
            assert_close("a", stacked_lstm_forward(x, wrong, True)[0], theirs["a"])


def test_conversion_errors(torch):
    with pytest.raises(ValueError, match="bias=True"):
        lstm_layers_from_torch(torch.nn.LSTM(3, 4, bias=False))
    with pytest.raises(ValueError, match="proj_size=2"):
        lstm_layers_from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="must be a torch.nn.LSTM, got GRU"):
        lstm_layers_from_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="one-layer, one-direction nn.GRU, got num_layers=2"):
        gru_parameters_from_torch(torch.nn.GRU(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="bidirectional=True"):
        gru_parameters_from_torch(torch.nn.GRU(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match="bias=True"):
        gru_parameters_from_torch(torch.nn.GRU(3, 4, bias=False))
    with pytest.raises(ValueError, match="call backward"):
        gru_gradients_from_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="call backward"):
        lstm_layer_gradients_from_torch(torch.nn.LSTM(3, 4))
