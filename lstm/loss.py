"""The output layer and its loss: softmax cross-entropy on the hidden states, forward
and backward.

The recurrent part of a model ends with the hidden states ``a`` (n_a, m, T_x). The
output layer turns each a⟨t⟩ into scores (logits) ``ℓ⟨t⟩ = W a⟨t⟩ + b`` over n_y
classes, and the loss is the cross-entropy of the softmax of those scores against
integer class targets. This module computes its own logits from ``a`` with a numerically
stable log-softmax, rather than taking the log of the probabilities ŷ that
:func:`lstm.lstm_forward` returns: log(softmax(ℓ)) = ℓ - max(ℓ) - log Σ exp(ℓ - max(ℓ))
never takes the log of an underflowed 0.

Two ways to read the targets:

``targets_at="all"`` (sequence labelling, the language model)
    ``targets`` has shape (m, T_x): one class per example and step. The loss is the mean
    over every example and every step,
    L = -(1 / (m T_x)) Σ_i Σ_t log ŷ⟨t⟩[targets[i, t], i].
    With a ``mask`` (m, T_x) of zeros and ones (padding steps get 0), the sum runs over
    the masked-in steps only and is divided by their number, ``mask.sum()``: the mean
    cross-entropy per predicted symbol.
``targets_at="last"`` (sequence classification)
    ``targets`` has shape (m,): one class per example, predicted from the last hidden
    state a⟨T_x⟩ only. The loss is L = -(1 / m) Σ_i log ŷ⟨T_x⟩[targets[i], i]; every
    earlier a⟨t⟩ gets a zero upstream gradient from the output.

Losses are in nats (natural logarithms). The backward pass returns the gradients of L
with respect to the output weights and ``da`` (n_a, m, T_x), the upstream gradient that
:func:`lstm.lstm_backward` and :func:`lstm.rnn_backward` take. The LSTM names its output
weights ``Wy, by``, the vanilla RNN ``Wya, by``: :func:`lstm_output_loss` and
:func:`rnn_output_loss` read the right keys and return gradients named after them.
"""

import numpy as np

from .parameters import as_array, check_cache, check_parameters, check_shape

TARGETS_AT = ("all", "last")
OUTPUT_CACHE_ITEMS = "a, probabilities, targets, weights, W, targets_at"


def _check_targets(targets, m, T_x, n_y, targets_at, mask):
    """Check integer class targets (and the mask); return them, and the weight of each step in the mean."""
    if targets_at not in TARGETS_AT:
        raise ValueError(f"targets_at must be 'all' (a target at every step) or 'last' (one per sequence), "
                         f"got {targets_at!r}")
    targets = as_array("targets", targets)
    if targets_at == "all":
        check_shape("targets", targets, ("m", "T_x"), (m, T_x),
                    f"targets_at='all': one class per example and step; m = {m}, T_x = {T_x} from a")
    else:
        check_shape("targets", targets, ("m",), (m,),
                    f"targets_at='last': one class per example; m = {m} from a")
    if targets.size and not np.issubdtype(targets.dtype, np.integer):
        if not np.all(np.mod(targets, 1) == 0):
            raise ValueError(f"targets must be integer class indices, got dtype {targets.dtype} with "
                             "non-integer values")
    targets = targets.astype(np.int64)
    if targets.size and (targets.min() < 0 or targets.max() >= n_y):
        raise ValueError(f"targets must be class indices in 0 .. n_y - 1 = {n_y - 1} (n_y from the output "
                         f"weights), got values from {targets.min()} to {targets.max()}")

    # weights[i, t]: how much step t of example i counts in the loss; they sum to 1.
    if targets_at == "last":
        if mask is not None:
            raise ValueError("mask is only for targets_at='all'; with 'last' every sequence has one target")
        weights = np.zeros((m, T_x))
        weights[:, -1] = 1 / m
        targets_full = np.zeros((m, T_x), dtype=np.int64)
        targets_full[:, -1] = targets
        return targets_full, weights
    if mask is None:
        return targets, np.full((m, T_x), 1 / (m * T_x))
    mask = as_array("mask", mask)
    check_shape("mask", mask, ("m", "T_x"), (m, T_x), "one entry per target: 1 to count it, 0 for padding")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask must hold only zeros (padding) and ones (targets that count)")
    count = mask.sum()
    if count == 0:
        raise ValueError("mask is all zeros: there is no target to compute a loss on")
    return targets, mask.astype(np.float64) / count


def softmax_cross_entropy(a, W, b, targets, targets_at="all", mask=None):
    """Output layer and cross-entropy loss: logits ℓ⟨t⟩ = W a⟨t⟩ + b, then the mean of
    -log softmax(ℓ)[target].

    Parameters
    ----------
    a : ndarray, shape (n_a, m, T_x)
        Hidden states a⟨1⟩ ... a⟨T_x⟩.
    W : ndarray, shape (n_y, n_a)
        Output weights.
    b : ndarray, shape (n_y, 1)
        Output bias.
    targets : ndarray of int, shape (m, T_x) or (m,)
        Class indices in 0 .. n_y - 1: at every step (``targets_at="all"``) or for the
        last step only (``targets_at="last"``).
    targets_at : {"all", "last"}
        Which steps carry a target; see the module docstring for the exact means.
    mask : ndarray, shape (m, T_x), optional
        With ``targets_at="all"``: 1 where a target counts, 0 at padding. The loss is
        then the mean over the counted targets.

    Returns
    -------
    loss : float
        Mean cross-entropy in nats.
    cache : tuple of 6 items
        ``(a, probabilities, targets, weights, W, targets_at)`` for
        :func:`softmax_cross_entropy_backward`: ``probabilities`` (n_y, m, T_x) the
        softmax of the logits, ``targets`` (m, T_x) as integers (zeros where no target),
        ``weights`` (m, T_x) the weight of each step's loss in the mean (they sum to 1).
    """
    a = as_array("a", a)
    check_shape("a", a, ("n_a", "m", "T_x"), (None, None, None),
                "hidden states: units, batch, time")
    n_a, m, T_x = a.shape
    W = as_array("W", W)
    check_shape("W", W, ("n_y", "n_a"), (None, n_a), f"n_a = {n_a} from a")
    n_y = W.shape[0]
    b = as_array("b", b)
    check_shape("b", b, ("n_y", "1"), (n_y, 1), f"n_y = {n_y} from W")
    targets, weights = _check_targets(targets, m, T_x, n_y, targets_at, mask)

    # (n_y, m, T_x): W a<t> + b at every step
    logits = np.einsum("ya,amt->ymt", W, a) + b[:, :, None]
    # the largest score becomes 0: no overflow
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_normaliser = np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    log_probabilities = shifted - log_normaliser
    # log ŷ<t>[target] for every example i and step t, shape (m, T_x)
    picked = np.take_along_axis(log_probabilities, targets[None, :, :], axis=0)[0]
    loss = float(-np.sum(weights * picked))
    cache = (a, np.exp(log_probabilities), targets, weights, W, targets_at)
    return loss, cache


def softmax_cross_entropy_backward(cache):
    """Gradients of :func:`softmax_cross_entropy` with respect to ``W``, ``b`` and the
    hidden states.

    At each step the gradient of -log softmax(ℓ)[k] with respect to the logits is
    ŷ - one_hot(k); each step's share of the mean multiplies it by that step's weight
    (1 / (m T_x), 1 / m at the last step, or mask / count).

    Parameters
    ----------
    cache : tuple of 6 items
        As returned by :func:`softmax_cross_entropy`.

    Returns
    -------
    dict of ndarray
        ``dW`` (n_y, n_a), ``db`` (n_y, 1), ``da`` (n_a, m, T_x): the upstream gradient
        for the recurrent backward pass (zero at steps without a target).
    """
    check_cache("cache", cache, 6, "softmax_cross_entropy", OUTPUT_CACHE_ITEMS)
    a, probabilities, targets, weights, W, _ = cache
    n_y, m, T_x = probabilities.shape
    one_hot = np.zeros_like(probabilities)
    np.put_along_axis(one_hot, targets[None, :, :], 1.0, axis=0)
    dlogits = (probabilities - one_hot) * weights[None, :, :]  # (n_y, m, T_x)
    dW = np.einsum("ymt,amt->ya", dlogits, a)
    db = dlogits.sum(axis=(1, 2))[:, None]
    da = np.einsum("ya,ymt->amt", W, dlogits)
    return {"dW": dW, "db": db, "da": da}


def lstm_output_loss(a, parameters, targets, targets_at="all", mask=None):
    """:func:`softmax_cross_entropy` with the LSTM's output weights
    ``parameters['Wy']``, ``parameters['by']``.

    Returns ``(loss, cache)``; see :func:`softmax_cross_entropy`.
    """
    p = check_parameters(parameters, ("Wy", "by"))
    return softmax_cross_entropy(a, p["Wy"], p["by"], targets, targets_at, mask)


def lstm_output_loss_backward(cache):
    """Backward pass of :func:`lstm_output_loss`: a dict with ``dWy`` (n_y, n_a), ``dby`` (n_y, 1), ``da``."""
    gradients = softmax_cross_entropy_backward(cache)
    return {"dWy": gradients["dW"], "dby": gradients["db"], "da": gradients["da"]}


def rnn_output_loss(a, parameters, targets, targets_at="all", mask=None):
    """:func:`softmax_cross_entropy` with the vanilla RNN's output weights
    ``parameters['Wya']``, ``['by']``.

    Returns ``(loss, cache)``; see :func:`softmax_cross_entropy`.
    """
    p = check_parameters(parameters, ("Wya", "by"))
    return softmax_cross_entropy(a, p["Wya"], p["by"], targets, targets_at, mask)


def rnn_output_loss_backward(cache):
    """Backward pass of :func:`rnn_output_loss`: a dict with ``dWya`` (n_y, n_a), ``dby`` (n_y, 1), ``da``."""
    gradients = softmax_cross_entropy_backward(cache)
    return {"dWya": gradients["dW"], "dby": gradients["db"], "da": gradients["da"]}


def predict_classes(a, W, b, targets_at="last"):
    """The most likely class from the logits W a⟨t⟩ + b: shape (m,) for ``"last"``, (m, T_x) for ``"all"``."""
    a = as_array("a", a)
    check_shape("a", a, ("n_a", "m", "T_x"), (None, None, None), "hidden states: units, batch, time")
    if targets_at not in TARGETS_AT:
        raise ValueError(f"targets_at must be 'all' or 'last', got {targets_at!r}")
    if targets_at == "last":
        return np.argmax(W @ a[:, :, -1] + b, axis=0)
    return np.argmax(np.einsum("ya,amt->ymt", W, a) + b[:, :, None], axis=0)
