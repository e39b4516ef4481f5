"""The feedback function of exercise set 7: the backward pass of one bidirectional LSTM layer.

The learner's ``bidirectional_lstm_backward(da, caches)`` takes the gradient on the layer's output, ``da`` of shape
(2 n_a, m, T_x) (the forward direction's rows first), and ``caches``, the pair (forward, backward) of
:func:`lstm.lstm_forward` caches that :func:`lstm.stacked_lstm_forward` keeps for a bidirectional layer (the backward
direction's is for the time-reversed input). It returns ``dx`` and the pair of the two directions' weight and bias
gradients. The reference is the package's own :func:`lstm.stacked_lstm_backward` on that one layer; the mistakes a
learner makes (halves of ``da`` or the directions swapped, time not reversed, the input gradients not added) are run
through the package's :func:`lstm.lstm_backward`, so that a hint names the one that reproduces the answer.
"""

import numpy as np

import lstm
from lstm.deep import LAYER_KEYS, stacked_lstm_backward, stacked_lstm_forward
from lstm.sequence import GATE_GRADIENT_KEYS

from .cases import bidirectional_cases, random_lstm_parameters
from .feedback import (
    call,
    check_not_modified,
    diagnose,
    explain_by,
    fail,
    magnitude_hint,
    passed,
    snapshot,
    which_outputs_differ,
)
from .guard import own_function

NAME = "bidirectional_lstm_backward"
DIRECTIONS = ("forward", "backward")
#: Relative error (lstm.relative_error) below which a gradient agrees with finite differences.
FD_TOLERANCE = 1e-6


def reference_bidirectional_lstm_backward(da, caches):
    """The package's backward pass through one bidirectional layer: :func:`lstm.stacked_lstm_backward`.

    Parameters
    ----------
    da : ndarray, shape (2 n_a, m, T_x)
        Gradient on the layer's output, the forward direction's rows first.
    caches : tuple
        ``(cache_forward, cache_backward)``, the caches of :func:`lstm.lstm_forward` of the two directions, the
        backward one for the time-reversed input (as :func:`lstm.stacked_lstm_forward` keeps them).

    Returns
    -------
    dx : ndarray, shape (n_x, m, T_x)
    gradients : tuple
        ``(forward, backward)``: each a dict ``dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo``.
    """
    dx, layer_gradients = stacked_lstm_backward(da, ([tuple(caches)], True))
    return dx, layer_gradients[0]


BIDIRECTIONAL_MISTAKES = {
    "halves-swapped": "the halves of da are swapped: the forward direction's rows come first, da[:n_a], the "
                      "backward direction's after them, da[n_a:]",
    "caches-swapped": "the caches are swapped: caches is (cache_forward, cache_backward), the forward direction's "
                      "first",
    "no-reversal": "the backward direction's gradient is not reversed in time (or is reversed twice): that "
                   "direction ran on the reversed sequence, so reverse da[n_a:] along time, [:, :, ::-1], before "
                   "its lstm_backward, and its dx after",
    "dx-not-reversed": "the backward direction's dx is not reversed back in time: its lstm_backward returns the "
                       "gradient for the reversed sequence; add dx_backward[:, :, ::-1]",
    "da-not-reversed": "the backward direction's da is not reversed in time before its lstm_backward (its dx is): "
                       "it ran on the reversed sequence, so it takes da[n_a:][:, :, ::-1]",
    "both-reversed": "the forward direction's gradient is reversed in time too: only the backward direction ran on "
                     "the reversed sequence",
    "forward-da-reversed": "the forward direction's gradient is reversed in time: only the backward direction ran "
                           "on the reversed sequence",
    "batch-axis": "it reverses the batch axis (axis 1); time is the last axis, axis 2: [:, :, ::-1]",
    "row-axis": "it reverses the rows (axis 0); time is the last axis, axis 2: [:, :, ::-1]",
    "all-axes": "it reverses every axis (np.flip without axis=2); reverse time only, the last axis: "
                "np.flip(array, axis=2)",
    "dx-forward-only": "dx is the forward direction's input gradient alone; both directions read x, so their input "
                       "gradients add, (51): dx = dx_forward + dx_backward",
    "dx-backward-only": "dx is the backward direction's input gradient alone; both directions read x, so their "
                        "input gradients add, (51): dx = dx_forward + dx_backward",
    "dx-averaged": "dx is the average of the two directions' input gradients; they add, (51): "
                   "dx = dx_forward + dx_backward",
    "gradients-swapped": "the two directions' gradients are returned in the wrong order: (forward, backward)",
}


def bidirectional_backward_with(da, caches, mistake=None):
    """``dx, (forward, backward)`` of the reference, made with one of :data:`BIDIRECTIONAL_MISTAKES`."""
    cache_forward, cache_backward = caches
    if mistake == "caches-swapped":
        cache_forward, cache_backward = cache_backward, cache_forward
    n_a = cache_forward[0][0][0].shape[0]
    da_forward, da_backward = da[:n_a], da[n_a:]
    if mistake == "halves-swapped":
        da_forward, da_backward = da_backward, da_forward

    def reverse(array):
        if mistake == "batch-axis":
            return array[:, ::-1, :]
        if mistake == "row-axis":
            return array[::-1]
        if mistake == "all-axes":
            return np.flip(array)
        return array[:, :, ::-1]

    if mistake == "both-reversed":
        forward = lstm.lstm_backward(reverse(da_forward), cache_forward)
        dx_forward = reverse(forward["dx"])
    elif mistake == "forward-da-reversed":
        forward = lstm.lstm_backward(reverse(da_forward), cache_forward)
        dx_forward = forward["dx"]
    else:
        forward = lstm.lstm_backward(da_forward, cache_forward)
        dx_forward = forward["dx"]
    da_in = da_backward if mistake in ("no-reversal", "da-not-reversed") else reverse(da_backward)
    backward = lstm.lstm_backward(da_in, cache_backward)
    dx_backward = backward["dx"] if mistake in ("no-reversal", "dx-not-reversed") else reverse(backward["dx"])
    dx = {"dx-forward-only": dx_forward, "dx-backward-only": dx_backward,
          "dx-averaged": (dx_forward + dx_backward) / 2}.get(mistake, dx_forward + dx_backward)
    gradients = tuple({key: step[key] for key in GATE_GRADIENT_KEYS} for step in (forward, backward))
    if mistake == "gradients-swapped":
        gradients = gradients[::-1]
    return dx, gradients


def _flat(dx, gradients):
    """The outputs by name: ``dx``, then ``forward dWf`` ... ``backward dbo``."""
    flat = {"dx": dx}
    for direction, grads in zip(DIRECTIONS, gradients, strict=True):
        for key in GATE_GRADIENT_KEYS:
            flat[f"{direction} {key}"] = grads[key]
    return flat


def _expect_result(result, case):
    """The learner's ``(dx, (forward, backward))``, flattened; a failure that says what to return otherwise."""
    shape = "the pair (dx, (forward_gradients, backward_gradients))"
    if not isinstance(result, tuple) or len(result) != 2:
        got = f"a tuple of {len(result)} values" if isinstance(result, tuple) else type(result).__name__
        fail(NAME, f"it must return {shape}, got {got}", case)
    dx, gradients = result
    if isinstance(dx, tuple) or isinstance(gradients, np.ndarray):
        fail(NAME, f"it must return {shape}: dx first", case)
    if not isinstance(gradients, (tuple, list)) or len(gradients) != 2:
        got = f"{len(gradients)} items" if isinstance(gradients, (tuple, list)) else type(gradients).__name__
        fail(NAME, f"its second value must be the pair (forward_gradients, backward_gradients), got {got}", case)
    for direction, grads in zip(DIRECTIONS, gradients, strict=True):
        if not isinstance(grads, dict):
            fail(NAME, f"the {direction} direction's gradients must be a dict, got {type(grads).__name__}", case)
        if set(grads) == set(GATE_GRADIENT_KEYS) | {"dx", "da0"}:
            fail(NAME, f"the {direction} direction's dict still holds dx and da0 from lstm_backward: keep only "
                       f"the eight weight and bias gradients {', '.join(GATE_GRADIENT_KEYS)}", case)
        missing = [key for key in GATE_GRADIENT_KEYS if key not in grads]
        extra = [str(key) for key in grads if key not in GATE_GRADIENT_KEYS]
        if missing or extra:
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"unexpected {', '.join(extra)}"] if extra else [])
            fail(NAME, f"the {direction} direction's dict has the wrong keys ({'; '.join(parts)}); it needs "
                       f"exactly {', '.join(GATE_GRADIENT_KEYS)}", case)
    return _flat(dx, gradients)


def _arrays(outputs):
    return {name: value for name, value in outputs.items() if isinstance(value, np.ndarray)}


def _shape_hint(got, expected, n_x):
    dx = got["dx"]
    if isinstance(dx, np.ndarray) and dx.ndim == 3 and dx.shape != expected["dx"].shape:
        if dx.shape[0] == 2 * n_x and dx.shape[1:] == expected["dx"].shape[1:]:
            return ("dx stacks the two directions' input gradients; both directions read the same x, so they "
                    "add, (51): dx = dx_forward + dx_backward, shape (n_x, m, T_x)")
    return None


def _where_hint(got, expected, wrong, first):
    """Which outputs are wrong and where to look, when no known mistake reproduces them."""
    right_forward = not any(name.startswith("forward ") for name in wrong)
    right_backward = not any(name.startswith("backward ") for name in wrong)
    if wrong == ["dx"]:
        return (f"{first}; every weight gradient is right, so look at how the two input gradients are put "
                f"together, (51)")
    if right_forward and not right_backward:
        return (f"{first}; the forward direction is right, so look at the backward direction: its half of da, its "
                f"reversal in time, its cache")
    if right_backward and not right_forward:
        return f"{first}; the backward direction is right, so look at the forward direction's half of da and cache"
    return f"{first}; wrong: {', '.join(wrong)}"


def check_bidirectional_lstm_backward(bidirectional_lstm_backward):
    """Check a learner's ``bidirectional_lstm_backward(da, caches)``: one bidirectional layer, backwards."""
    own_function(bidirectional_lstm_backward, NAME)
    passed(NAME, verify_bidirectional_lstm_backward(bidirectional_lstm_backward))


def verify_bidirectional_lstm_backward(bidirectional_lstm_backward, seed=701, hidden=False):
    """The verdict of :func:`check_bidirectional_lstm_backward`: the number of checks, or CheckFailed."""
    cases = bidirectional_cases(seed, hidden)
    for case in cases:
        v = case.values
        _, (layer_caches, _) = stacked_lstm_forward(v["x"], [v["layer"]], bidirectional=True)
        caches = layer_caches[0]
        args = snapshot((v["da"], caches))
        result = call(NAME, bidirectional_lstm_backward, *args, case=case.label, explain=explain_by(
            BIDIRECTIONAL_MISTAKES, lambda key, v=v, caches=caches: bidirectional_backward_with(v["da"], caches, key)))
        check_not_modified(NAME, ("da", "caches"), (v["da"], caches), args, case.label)
        got = _expect_result(result, case.label)
        expected = _flat(*reference_bidirectional_lstm_backward(v["da"], caches))
        wrong, first = which_outputs_differ(got, expected)
        if wrong:
            hint = diagnose(_arrays(got), expected, BIDIRECTIONAL_MISTAKES,
                            lambda key, v=v, caches=caches: _flat(*bidirectional_backward_with(v["da"], caches, key)))
            weights = [name for name in expected if name != "dx"]  # clipped weights beside a right dx
            hint = (hint or magnitude_hint(got, expected)
                    or magnitude_hint({k: got[k] for k in weights}, {k: expected[k] for k in weights})
                    or _shape_hint(got, expected, v["x"].shape[0])
                    or _where_hint(got, expected, wrong, first))
            fail(NAME, hint, case.label)
    # Finite differences of  sum(da ⊙ a)  on the smallest case, through the package's forward pass.
    fd_case = min((case for case in cases if case.values["x"].dtype == np.float64),
                  key=lambda case: case.values["da"].size * case.values["x"].shape[0])
    v = fd_case.values
    _, (layer_caches, _) = stacked_lstm_forward(v["x"], [v["layer"]], bidirectional=True)
    got = _expect_result(call(NAME, bidirectional_lstm_backward, v["da"], layer_caches[0], case=fd_case.label),
                         fd_case.label)
    inputs = {"x": v["x"], **{f"{direction} {key}": v["layer"][d][key]
                              for d, direction in enumerate(DIRECTIONS) for key in LAYER_KEYS}}

    def loss(values):
        layer = tuple({key: values[f"{direction} {key}"] for key in LAYER_KEYS} for direction in DIRECTIONS)
        return np.sum(v["da"] * stacked_lstm_forward(values["x"], [layer], bidirectional=True)[0])

    analytic = {"x": got["dx"], **{name: got[name.split()[0] + " d" + name.split()[1]]
                                   for name in inputs if name != "x"}}
    for name, error in lstm.gradient_check(loss, inputs, analytic).items():
        if not error < FD_TOLERANCE:
            label = "dx" if name == "x" else f"the {name.split()[0]} direction's d{name.split()[1]}"
            fail(NAME, f"{label} disagrees with finite differences (relative error {error:.1e})", fd_case.label)
    return len(cases) + 1


def example_bidirectional_layer():
    """A small fixed layer (n_a = 3, n_x = 2, m = 2, T_x = 4): ``x`` and the pair ``(forward, backward)``."""
    rng = np.random.default_rng(17)
    x = rng.normal(size=(2, 2, 4))
    layer = tuple({key: p[key] for key in LAYER_KEYS} for p in (random_lstm_parameters(3, 2, 1, rng),
                                                                 random_lstm_parameters(3, 2, 1, rng)))
    return x, layer


__all__ = ["BIDIRECTIONAL_MISTAKES", "bidirectional_backward_with", "check_bidirectional_lstm_backward",
           "example_bidirectional_layer", "reference_bidirectional_lstm_backward",
           "verify_bidirectional_lstm_backward"]
