"""The two squashing functions of the course: the logistic sigmoid and the softmax.

Both are written to be numerically stable: they never exponentiate a large positive number, so inputs such as
``z = 1000`` or ``z = -1000`` give exact 0 and 1 (or a valid distribution) without an overflow warning.
"""

import numpy as np


def _as_float_array(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def sigmoid(z):
    """Logistic sigmoid, σ(z) = 1 / (1 + exp(-z)), element-wise.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
        Values in [0, 1]. Float32 input stays float32; integers become float64.
    """
    z = _as_float_array(z)
    # exp(-|z|) is at most 1, so nothing can overflow; both branches are the same function rewritten.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))[()]


def softmax(z):
    """Softmax over axis 0: one probability distribution per column.

    Parameters
    ----------
    z : array_like, shape (n_y, m) or (n_y,)
        Scores, one column per example.

    Returns
    -------
    ndarray, same shape as ``z``
        Non-negative values whose columns sum to 1.
    """
    z = _as_float_array(z)
    # Subtracting the column maximum leaves the result unchanged and keeps every exponent at most 0.
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
