"""Optimisers (SGD with optional momentum, Adam), gradient clipping by global norm, and
saving parameters.

Parameters are the dicts of arrays the rest of the package uses (``Wf``, ``bf``, ... or
``Waa``, ...); gradients are the dicts the backward passes return, the same names with a
``d`` in front (``dWf``, ...). An optimiser's ``step`` updates the parameter arrays in
place.
"""

import numpy as np

from .parameters import MissingParameterError, as_array, check_shape


def _gradient_for(gradients, key, value):
    name = "d" + key
    if name not in gradients:
        raise MissingParameterError(f"gradients is missing {name!r}, the gradient of parameters[{key!r}] "
                                    f"(it has {', '.join(gradients) or 'no keys'})")
    gradient = as_array(f"gradients[{name!r}]", gradients[name])
    check_shape(f"gradients[{name!r}]", gradient, tuple(f"{s}" for s in value.shape), value.shape,
                f"the shape of parameters[{key!r}]")
    return gradient


class SGD:
    """Stochastic gradient descent, optionally with (heavy-ball) momentum.

    Without momentum: θ ← θ - η g. With momentum μ: v ← μ v + g, then θ ← θ - η v, so a
    constant gradient is followed with an effective step η / (1 - μ).

    Parameters
    ----------
    learning_rate : float
        η, the step size.
    momentum : float
        μ in [0, 1); 0 is plain SGD.
    """

    def __init__(self, learning_rate=0.1, momentum=0.0):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = {}

    def step(self, parameters, gradients):
        """Update every array of ``parameters`` in place from ``gradients``.

        The gradient of ``parameters[name]`` is ``gradients["d" + name]``.
        """
        for key, value in parameters.items():
            gradient = _gradient_for(gradients, key, value)
            if self.momentum:
                velocity = self.velocity.setdefault(key, np.zeros_like(value))
                velocity *= self.momentum
                velocity += gradient
                gradient = velocity
            value -= self.learning_rate * gradient


class Adam:
    """Adam (Kingma & Ba, 2015): steps scaled by running estimates of the gradient's
    first and second moments.

    At step t = 1, 2, ... with gradient g:

    * m ← β1 m + (1 - β1) g, and v ← β2 v + (1 - β2) g², element-wise, both starting at
      zero;
    * m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t), which undo the bias towards the zero
      start;
    * θ ← θ - η m̂ / (√v̂ + ε).

    Parameters
    ----------
    learning_rate : float
        η. Each entry moves by about η per step at most, whatever the gradient's scale.
    beta1, beta2 : float
        Decay rates of the two moment estimates, in [0, 1).
    epsilon : float
        ε, which keeps the division finite where v̂ is zero.
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta}")
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.t = 0
        self.m = {}
        self.v = {}

    def step(self, parameters, gradients):
        """Update every array of ``parameters`` in place from ``gradients``.

        The gradient of ``parameters[name]`` is ``gradients["d" + name]``.
        """
        self.t += 1
        for key, value in parameters.items():
            gradient = _gradient_for(gradients, key, value)
            m = self.m.setdefault(key, np.zeros_like(value))
            v = self.v.setdefault(key, np.zeros_like(value))
            m *= self.beta1
            m += (1 - self.beta1) * gradient
            v *= self.beta2
            v += (1 - self.beta2) * gradient**2
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            value -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


def global_norm(gradients):
    """The Euclidean norm of all gradient entries together, √(Σ over arrays of Σ g²)."""
    return float(np.sqrt(sum(np.sum(np.square(as_array(f"gradients[{key!r}]", g))) for key, g in gradients.items())))


def clip_by_global_norm(gradients, max_norm):
    """Scale all gradients by one factor so that their global norm is at most
    ``max_norm``.

    Clipping the norm of all gradients together keeps the direction of the update,
    unlike clipping each entry. Gradients whose global norm is already at most
    ``max_norm`` are returned unchanged.

    Parameters
    ----------
    gradients : dict of ndarray
    max_norm : float
        The largest global norm allowed, > 0.

    Returns
    -------
    clipped : dict of ndarray
        New arrays (the input is not modified), each multiplied by
        min(1, max_norm / norm).
    norm : float
        The global norm *before* clipping (worth logging: spikes show exploding
        gradients).
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    norm = global_norm(gradients)
    scale = max_norm / norm if norm > max_norm else 1.0
    return {key: np.asarray(g) * scale for key, g in gradients.items()}, norm


def save_parameters(path, parameters):
    """Save a dict of parameter arrays to an uncompressed ``.npz`` file (exact: the
    arrays are stored bit for bit).

    Parameters
    ----------
    path : str or path-like
        Where to write; numpy adds ``.npz`` if the name lacks it.
    parameters : dict of ndarray
    """
    np.savez(path, **{key: np.asarray(value) for key, value in parameters.items()})


def load_parameters(path, keys=None):
    """Load parameters saved by :func:`save_parameters`, checking that the file holds
    the expected keys.

    Parameters
    ----------
    path : str or path-like
    keys : sequence of str, optional
        The keys the file must hold, no more and no fewer, for example
        :data:`lstm.LSTM_PARAMETER_KEYS`.

    Returns
    -------
    dict of ndarray
        In the order of ``keys`` when given, else in the file's order.
    """
    with np.load(path, allow_pickle=False) as archive:
        stored = {key: archive[key] for key in archive.files}
    if keys is None:
        return stored
    missing = [key for key in keys if key not in stored]
    if missing:
        raise MissingParameterError(f"{path} is missing {', '.join(missing)} (it holds {', '.join(stored)}; "
                                    f"expected {', '.join(keys)})")
    unexpected = [key for key in stored if key not in keys]
    if unexpected:
        raise ValueError(f"{path} holds unexpected arrays {', '.join(unexpected)} (expected exactly "
                         f"{', '.join(keys)}): is it the file of another model?")
    return {key: stored[key] for key in keys}
