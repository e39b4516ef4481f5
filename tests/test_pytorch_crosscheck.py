"""The same numbers from a framework nobody here wrote: PyTorch's ``torch.nn.LSTM``, in float64.

Skipped with a reason where torch is not installed; under CI (CI=true) a skip is a failure.
"""

import numpy as np
import pytest

import lstm
from lstm.pytorch import gate_gradients_from_torch, sequence_from_torch, sequence_to_torch, to_torch_lstm
from tests.helpers import SHAPES, assert_close, random_lstm_problem


def run_torch(torch, parameters, x, a0, c0, da, dc_last=None):
    """Forward and backward in PyTorch with the loss Σ da ⊙ a (+ Σ dc_last ⊙ c<T>)."""
    net = to_torch_lstm(parameters)
    x_t = torch.tensor(sequence_to_torch(x), requires_grad=True)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
    c0_t = torch.tensor(c0.T[None].copy(), requires_grad=True)
    outputs, (h_n, c_n) = net(x_t, (h0, c0_t))
    loss = (outputs * torch.tensor(sequence_to_torch(da))).sum()
    if dc_last is not None:
        loss = loss + (c_n[0] * torch.tensor(dc_last.T.copy())).sum()
    loss.backward()
    return {
        "a": sequence_from_torch(outputs.detach().numpy()),
        "c_last": c_n[0].detach().numpy().T,
        "dx": sequence_from_torch(x_t.grad.numpy()),
        "da0": h0.grad[0].numpy().T,
        "dc0": c0_t.grad[0].numpy().T,
        **gate_gradients_from_torch(net),
    }


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_lstm_forward_and_backward_agree_with_torch(torch, rng, n_x, n_a, n_y, m, T_x):
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, T_x, scale=0.8)
    a, y, c, caches = lstm.lstm_forward(x, a0, parameters)
    grads = lstm.lstm_backward(da, caches)
    theirs = run_torch(torch, parameters, x, a0, np.zeros((n_a, m)), da)

    assert_close("a", a, theirs["a"])
    assert_close("c<T>", c[:, :, -1], theirs["c_last"])
    assert_close("dx", grads["dx"], theirs["dx"])
    assert_close("da0", grads["da0"], theirs["da0"])
    for key in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
        assert_close(key, grads[key], theirs[key])
    # Our predictions are softmax(Wy a + by) of the states PyTorch agrees with.
    logits = np.einsum("ya,amt->ymt", parameters["Wy"], theirs["a"]) + parameters["by"][:, :, None]
    assert_close("y", y, np.exp(logits) / np.exp(logits).sum(axis=0))


@pytest.mark.parametrize("n_x, n_a, n_y, m, T_x", SHAPES)
def test_one_cell_step_agrees_with_torch_including_the_cell_state(torch, rng, n_x, n_a, n_y, m, T_x):
    """One step from a non-zero c_prev, with gradient arriving on both a<t> and c<t>: checks (7)-(17) directly."""
    parameters, x, a0, da = random_lstm_problem(rng, n_x, n_a, n_y, m, 1, scale=0.8)
    c_prev = rng.normal(size=(n_a, m))
    dc_next = rng.normal(size=(n_a, m))
    a_next, c_next, _, cache = lstm.lstm_cell_forward(x[:, :, 0], a0, c_prev, parameters)
    grads = lstm.lstm_cell_backward(da[:, :, 0], dc_next, cache)
    theirs = run_torch(torch, parameters, x, a0, c_prev, da, dc_last=dc_next)

    assert_close("a_next", a_next, theirs["a"][:, :, 0])
    assert_close("c_next", c_next, theirs["c_last"])
    assert_close("dxt", grads["dxt"], theirs["dx"][:, :, 0])
    assert_close("da_prev", grads["da_prev"], theirs["da0"])
    assert_close("dc_prev", grads["dc_prev"], theirs["dc0"])
    for key in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"):
        assert_close(key, grads[key], theirs[key])


def test_torch_comparison_can_fail(torch, rng):
    """Swapping two gates in the mapping must be noticed: the comparison is not vacuous."""
    parameters, x, a0, da = random_lstm_problem(rng, 3, 4, 2, 2, 3, scale=0.8)
    swapped = {**parameters, "Wf": parameters["Wi"], "Wi": parameters["Wf"]}
    a, _, _, _ = lstm.lstm_forward(x, a0, parameters)
    theirs = run_torch(torch, swapped, x, a0, np.zeros((4, 2)), da)
    with pytest.raises(AssertionError):
        assert_close("a", a, theirs["a"])
