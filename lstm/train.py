"""Training: the whole model's loss and gradients, and a training loop.

A model here is the recurrent part (the LSTM of chapters 2-5 or the vanilla RNN)
followed by the output layer and loss of :mod:`lstm.loss`. :func:`loss_and_gradients`
runs forward, the loss, the loss's backward pass, then backpropagation through time, and
returns the gradient of the loss with respect to *every* parameter.

The LSTM can run on either of two implementations of the same equations: ``"reference"``
(:func:`lstm.lstm_forward` / :func:`lstm.lstm_backward`, one readable cell at a time) or
``"fast"`` (:mod:`lstm.fast`, the fused version of chapter 9, equal to the reference to
1e-10). The default, ``None``, takes the fast one when :mod:`lstm.fast` can be imported
and the reference otherwise. The vanilla RNN has one implementation.
"""

import importlib

import numpy as np

from .loss import (
    lstm_output_loss,
    lstm_output_loss_backward,
    predict_classes,
    rnn_output_loss,
    rnn_output_loss_backward,
)
from .optim import clip_by_global_norm, global_norm
from .parameters import LSTM_PARAMETER_KEYS, RNN_PARAMETER_KEYS, check_parameters
from .rnn import rnn_backward, rnn_forward
from .sequence import lstm_backward, lstm_forward

MODELS = ("lstm", "rnn")
IMPLEMENTATIONS = ("fast", "reference")


def lstm_implementation(implementation=None):
    """The LSTM's ``(forward, backward)`` functions for ``implementation`` in {"fast",
    "reference", None}.

    ``None`` picks ``"fast"`` when :mod:`lstm.fast` is importable, else ``"reference"``.
    """
    if implementation is None:
        try:
            importlib.import_module("lstm.fast")
            implementation = "fast"
        except ImportError:
            implementation = "reference"
    if implementation == "reference":
        return lstm_forward, lstm_backward
    if implementation == "fast":
        fast = importlib.import_module("lstm.fast")  # an ImportError here says the fast path is missing
        return fast.lstm_forward, fast.lstm_backward
    raise ValueError(f"implementation must be 'fast', 'reference' or None (fast when available), "
                     f"got {implementation!r}")


def _check_model(model):
    if model not in MODELS:
        raise ValueError(f"model must be 'lstm' or 'rnn', got {model!r}")


def _hidden_size(parameters, model):
    _check_model(model)
    if model == "lstm":
        return check_parameters(parameters, LSTM_PARAMETER_KEYS)["Wf"].shape[0]
    return check_parameters(parameters, RNN_PARAMETER_KEYS)["Waa"].shape[0]


def hidden_states(parameters, x, model="lstm", implementation=None):
    """Run the recurrent part from a zero initial state; return the hidden states ``a`` (n_a, m, T_x)."""
    x = np.asarray(x)
    a0 = np.zeros((_hidden_size(parameters, model), x.shape[1]))
    if model == "lstm":
        forward, _ = lstm_implementation(implementation)
        return forward(x, a0, parameters)[0]
    return rnn_forward(x, a0, parameters)[0]


def loss_and_gradients(parameters, x, targets, model="lstm", targets_at="all", mask=None, implementation=None):
    """The loss of a whole model on one batch, and its gradient with respect to every
    parameter.

    Parameters
    ----------
    parameters : dict
        LSTM parameters (``Wf, bf, ..., Wy, by``) or RNN parameters (``Waa, Wax, Wya,
        ba, by``).
    x : ndarray, shape (n_x, m, T_x)
        Inputs; the initial hidden (and cell) state is zero.
    targets : ndarray of int, shape (m, T_x) or (m,)
        Class indices; see :func:`lstm.loss.softmax_cross_entropy` for ``targets_at``
        and ``mask``.
    model : {"lstm", "rnn"}
    targets_at : {"all", "last"}
    mask : ndarray, shape (m, T_x), optional
    implementation : {"fast", "reference", None}
        Which LSTM implementation runs (ignored for the RNN).

    Returns
    -------
    loss : float
        Mean cross-entropy in nats.
    gradients : dict of ndarray
        ``"d" + name`` for every parameter name, each shaped like the parameter.
    """
    x = np.asarray(x)
    a0 = np.zeros((_hidden_size(parameters, model), x.shape[1]))
    if model == "lstm":
        forward, backward = lstm_implementation(implementation)
        a, _, _, caches = forward(x, a0, parameters)
        loss, output_cache = lstm_output_loss(a, parameters, targets, targets_at, mask)
        output_gradients = lstm_output_loss_backward(output_cache)
        keys = LSTM_PARAMETER_KEYS
    else:
        a, _, caches = rnn_forward(x, a0, parameters)
        loss, output_cache = rnn_output_loss(a, parameters, targets, targets_at, mask)
        output_gradients = rnn_output_loss_backward(output_cache)
        backward, keys = rnn_backward, RNN_PARAMETER_KEYS
    recurrent_gradients = backward(output_gradients.pop("da"), caches)
    gradients = {**recurrent_gradients, **output_gradients}
    return loss, {"d" + key: gradients["d" + key] for key in keys}


def evaluate_loss(parameters, x, targets, model="lstm", targets_at="all", mask=None, implementation=None):
    """The mean cross-entropy (nats) of a model on ``x``, without gradients."""
    a = hidden_states(parameters, x, model, implementation)
    output_loss = lstm_output_loss if model == "lstm" else rnn_output_loss
    return output_loss(a, parameters, targets, targets_at, mask)[0]


def accuracy(parameters, x, labels, model="lstm", implementation=None):
    """Share of sequences whose class, predicted from the last hidden state, equals ``labels`` (m,)."""
    a = hidden_states(parameters, x, model, implementation)
    W = parameters["Wy"] if model == "lstm" else parameters["Wya"]
    return float(np.mean(predict_classes(a, W, parameters["by"], "last") == np.asarray(labels)))


def _progress_bar(steps, enabled, description):
    """A tqdm progress bar over ``range(steps)`` when tqdm is installed and ``enabled``; else the bare range."""
    if enabled:
        try:
            from tqdm import tqdm  # the plain bar: it works in a terminal and in a notebook alike
        except ImportError:  # tqdm is optional: train silently
            return range(steps)
        return tqdm(range(steps), desc=description, leave=False)
    return range(steps)


def train(parameters, next_batch, steps, optimizer, model="lstm", targets_at="all",
          max_norm=5.0, seed=0, implementation=None, evaluate=None, evaluate_every=100,
          progress=True, description="training"):
    """Train a model by minibatch gradient descent; deterministic for a given ``seed``.

    Each step draws a batch, computes the loss and every gradient
    (:func:`loss_and_gradients`), clips the gradients to global norm ``max_norm`` and
    lets the optimiser update the parameters.

    Parameters
    ----------
    parameters : dict
        Initial parameters. They are copied: the caller's arrays are not changed.
    next_batch : callable
        ``next_batch(rng)`` returns ``(x, targets)`` or ``(x, targets, mask)`` drawn
        with the numpy Generator ``rng``, which is seeded from ``seed``; drawing every
        random number from it makes runs reproducible.
    steps : int
        Number of updates.
    optimizer : object with a ``step(parameters, gradients)`` method
        For example :class:`lstm.optim.Adam`. It keeps state, so give each run a fresh
        one.
    model, targets_at, implementation
        As for :func:`loss_and_gradients`.
    max_norm : float or None
        Clip the gradients' global norm to this value; ``None`` does not clip.
    seed : int
        Seed of the generator passed to ``next_batch``.
    evaluate : callable, optional
        ``evaluate(parameters)`` returns a number (for example a held-out loss); called
        every ``evaluate_every`` steps and after the last.
    progress : bool
        Show a progress bar (needs ``tqdm``; without it training runs silently).

    Returns
    -------
    parameters : dict of ndarray
        The trained parameters.
    history : dict
        ``"loss"``: ndarray (steps,), the training loss at each step (before that step's
        update);
        ``"gradient_norm"``: ndarray (steps,), the global gradient norm before clipping;
        ``"evaluation"``: list of ``(step, value)`` pairs from ``evaluate``, where step
        counts updates done.
    """
    _check_model(model)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    parameters = {key: np.array(value, dtype=np.float64)
                  for key, value in parameters.items()}
    rng = np.random.default_rng(seed)
    losses = np.zeros(steps)
    norms = np.zeros(steps)
    evaluations = []
    bar = _progress_bar(steps, progress, description)
    for step in bar:
        batch = next_batch(rng)
        x, targets = batch[0], batch[1]
        mask = batch[2] if len(batch) > 2 else None
        loss, gradients = loss_and_gradients(parameters, x, targets, model, targets_at,
                                             mask, implementation)
        if max_norm is not None:
            gradients, norms[step] = clip_by_global_norm(gradients, max_norm)
        else:
            norms[step] = global_norm(gradients)
        optimizer.step(parameters, gradients)
        losses[step] = loss
        done = step + 1
        if evaluate is not None and (done % evaluate_every == 0 or done == steps):
            evaluations.append((step + 1, float(evaluate(parameters))))
        if hasattr(bar, "set_postfix") and step % 10 == 0:
            bar.set_postfix(loss=f"{loss:.3f}")
    history = {"loss": losses, "gradient_norm": norms, "evaluation": evaluations}
    return parameters, history
