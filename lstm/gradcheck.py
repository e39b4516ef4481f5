"""Gradient checking by centred finite differences.

The analytic gradients of this course are trusted only after they agree with the slope that the forward pass
itself measures: (f(θ + ε) - f(θ - ε)) / 2ε, one entry of θ at a time.
"""

import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    """Centred finite-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar for an array ``x`` shaped like the one given.
    x : ndarray, any shape
        Point at which to differentiate. It is copied, never modified.
    eps : float
        Step size. 1e-6 balances the truncation error (about ε²) against rounding (about 1e-16 / ε) in float64.

    Returns
    -------
    ndarray, same shape as ``x``
        ∂f/∂x estimated entry by entry.
    """
    x = np.array(x, dtype=np.float64)  # a private copy we may perturb
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic, numerical):
    """``‖analytic - numerical‖ / (‖analytic‖ + ‖numerical‖)``, and 0 when both are exactly zero."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    if analytic.shape != numerical.shape:
        raise ValueError(f"the analytic gradient has shape {analytic.shape} but the numerical one has shape "
                         f"{numerical.shape}: they must match")
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numerical)
    return 0.0 if denominator == 0 else float(np.linalg.norm(analytic - numerical) / denominator)


def gradient_check(f, inputs, analytic, eps=1e-6):
    """Compare analytic gradients with centred finite differences, input by input.

    Parameters
    ----------
    f : callable
        ``f(inputs)`` returns a scalar loss for a dict of arrays with the same keys as ``inputs``.
    inputs : dict of ndarray
        The point at which to check. Not modified.
    analytic : dict of ndarray
        ``analytic[name]`` is the claimed ∂f/∂inputs[name], same shape as ``inputs[name]``. Only the names
        present in ``analytic`` are checked.
    eps : float
        Finite-difference step.

    Returns
    -------
    dict of float
        The relative error (see :func:`relative_error`) for each checked name. Below about 1e-7 in float64
        means the analytic gradient is right.
    """
    missing = [name for name in analytic if name not in inputs]
    if missing:
        raise ValueError(f"analytic has gradients for {', '.join(missing)}, which are not among the inputs "
                         f"({', '.join(inputs)})")
    errors = {}
    for name, gradient in analytic.items():
        def f_of_one(value, name=name):
            return f({**inputs, name: value})

        errors[name] = relative_error(gradient, numerical_gradient(f_of_one, inputs[name], eps))
    return errors
