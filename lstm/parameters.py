"""Parameter initialisers, and the input checks that every public function shares.

Every check raises an error that names the argument, the shape it must have (in the course's symbols and in
numbers) and the shape it got, so that a learner's wrong call says what to fix.
"""

from collections.abc import Mapping

import numpy as np

#: The keys of an LSTM's parameters: four gates (forget, update, candidate, output) and the prediction layer.
LSTM_PARAMETER_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by")

#: The keys of a vanilla RNN's parameters.
RNN_PARAMETER_KEYS = ("Waa", "Wax", "Wya", "ba", "by")


class MissingParameterError(KeyError, ValueError):
    """A ``parameters`` dict lacks keys that a function needs. Its message lists them."""

    def __str__(self):  # KeyError would print the message inside quotes
        return str(self.args[0])


def initialize_lstm_parameters(n_a, n_x, n_y, seed=0):
    """Random parameters for an LSTM with ``n_a`` hidden units, ``n_x`` inputs and ``n_y`` outputs.

    Gate weights act on the stacked vector ``[a_prev; xt]`` (hidden state on top) and are drawn from a normal
    distribution with standard deviation ``1 / sqrt(n_a + n_x)``, so that pre-activations start near unit
    scale. Biases start at zero except the forget gate's, which starts at one so that a fresh cell keeps
    its memory rather than erasing it (Jozefowicz, Zaremba & Sutskever, 2015, found this helps).

    Parameters
    ----------
    n_a, n_x, n_y : int
        Hidden units, input features, output classes.
    seed : int
        Seed of the random generator; the same seed gives the same parameters.

    Returns
    -------
    dict of ndarray
        ``Wf, Wi, Wc, Wo`` of shape (n_a, n_a + n_x); ``bf, bi, bc, bo`` of shape (n_a, 1);
        ``Wy`` of shape (n_y, n_a); ``by`` of shape (n_y, 1).
    """
    n_a, n_x, n_y = (_check_size(name, n) for name, n in (("n_a", n_a), ("n_x", n_x), ("n_y", n_y)))
    rng = np.random.default_rng(seed)
    gate_scale = 1 / np.sqrt(n_a + n_x)
    parameters = {}
    for gate in "fico":
        parameters["W" + gate] = rng.normal(0.0, gate_scale, size=(n_a, n_a + n_x))
        parameters["b" + gate] = np.zeros((n_a, 1))
    parameters["bf"] = np.ones((n_a, 1))
    parameters["Wy"] = rng.normal(0.0, 1 / np.sqrt(n_a), size=(n_y, n_a))
    parameters["by"] = np.zeros((n_y, 1))
    return {key: parameters[key] for key in LSTM_PARAMETER_KEYS}


def initialize_rnn_parameters(n_a, n_x, n_y, seed=0):
    """Random parameters for a vanilla RNN with ``n_a`` hidden units, ``n_x`` inputs and ``n_y`` outputs.

    Parameters
    ----------
    n_a, n_x, n_y : int
        Hidden units, input features, output classes.
    seed : int
        Seed of the random generator.

    Returns
    -------
    dict of ndarray
        ``Waa`` (n_a, n_a), ``Wax`` (n_a, n_x), ``Wya`` (n_y, n_a), ``ba`` (n_a, 1), ``by`` (n_y, 1).
    """
    n_a, n_x, n_y = (_check_size(name, n) for name, n in (("n_a", n_a), ("n_x", n_x), ("n_y", n_y)))
    rng = np.random.default_rng(seed)
    # 1/sqrt(fan-in) over the stacked [a_prev; xt], as for the LSTM's gates.
    scale = 1 / np.sqrt(n_a + n_x)
    return {
        "Waa": rng.normal(0.0, scale, size=(n_a, n_a)),
        "Wax": rng.normal(0.0, scale, size=(n_a, n_x)),
        "Wya": rng.normal(0.0, 1 / np.sqrt(n_a), size=(n_y, n_a)),
        "ba": np.zeros((n_a, 1)),
        "by": np.zeros((n_y, 1)),
    }


# --- the shared checks ---------------------------------------------------------------------------------


def _check_size(name, n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def as_array(name, value):
    """``value`` as a numeric ndarray (not copied when it already is one); a ValueError names ``name`` otherwise."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged nested lists and the like
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}: {error}") from None
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ValueError(f"{name} must be a numeric array, got dtype {array.dtype}")
    return array


def check_shape(name, array, symbols, expected, note=""):
    """Raise ValueError unless ``array.shape`` matches ``expected``.

    Parameters
    ----------
    name : str
        The argument's name as the caller wrote it, for example ``"xt"`` or ``"parameters['Wf']"``.
    array : ndarray
    symbols : tuple of str
        The shape in the course's symbols, for example ``("n_x", "m")``.
    expected : tuple of int or None
        The shape in numbers; ``None`` accepts any length on that axis.
    note : str
        Where the numbers came from, appended to the message.
    """
    shape = np.shape(array)
    if len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape, strict=True)):
        return
    wanted = "(" + ", ".join(symbols) + ")"
    if any(e is not None for e in expected):
        numbers = ", ".join("?" if e is None else str(e) for e in expected)
        wanted += f" = ({numbers}{',' if len(expected) == 1 else ''})"
    if len(shape) != len(expected):
        got = f"a {len(shape)}-D array of shape {shape}"
    else:
        got = f"shape {shape}"
    message = f"{name} must have shape {wanted}, got {got}"
    raise ValueError(message + (f" ({note})" if note else ""))


def check_parameters(parameters, keys):
    """Raise unless ``parameters`` is a mapping holding every key in ``keys``; return the arrays by key."""
    if not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a dict of arrays with keys {', '.join(keys)}; "
                        f"got {type(parameters).__name__}")
    missing = [key for key in keys if key not in parameters]
    if missing:
        raise MissingParameterError(
            f"parameters is missing {len(missing)} key{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(it needs {', '.join(keys)})")
    return {key: as_array(f"parameters[{key!r}]", parameters[key]) for key in keys}


def check_lstm_parameters(parameters, n_a, n_x):
    """Check the LSTM's parameters against ``n_a`` hidden units and ``n_x`` inputs; return them and ``n_y``."""
    p = check_parameters(parameters, LSTM_PARAMETER_KEYS)
    note = f"n_a = {n_a} from the hidden state, n_x = {n_x} from the input"
    for gate in "fico":
        check_shape(f"parameters['W{gate}']", p["W" + gate], ("n_a", "n_a + n_x"), (n_a, n_a + n_x), note)
        check_shape(f"parameters['b{gate}']", p["b" + gate], ("n_a", "1"), (n_a, 1), note)
    check_shape("parameters['Wy']", p["Wy"], ("n_y", "n_a"), (None, n_a), note)
    n_y = p["Wy"].shape[0]
    check_shape("parameters['by']", p["by"], ("n_y", "1"), (n_y, 1), f"n_y = {n_y} from parameters['Wy']")
    return p, n_y


def lstm_sizes(parameters):
    """``(n_a, n_x)`` read from ``parameters['Wf']`` (n_a, n_a + n_x), when no state is given to read them from.

    Raises the shared errors: a missing key is listed, and a ``Wf`` that cannot be (n_a, n_a + n_x) with n_x >= 1
    is named with its shape. The other parameters are then checked against these sizes by
    :func:`check_lstm_parameters`.
    """
    Wf = check_parameters(parameters, LSTM_PARAMETER_KEYS)["Wf"]
    if Wf.ndim != 2 or not 0 < Wf.shape[0] < Wf.shape[1]:
        raise ValueError(f"parameters['Wf'] must have shape (n_a, n_a + n_x) with n_a >= 1 and n_x >= 1, "
                         f"got shape {Wf.shape}")
    return Wf.shape[0], Wf.shape[1] - Wf.shape[0]


def check_rnn_parameters(parameters, n_a, n_x):
    """Check a vanilla RNN's parameters against ``n_a`` hidden units and ``n_x`` inputs; return them and ``n_y``."""
    p = check_parameters(parameters, RNN_PARAMETER_KEYS)
    note = f"n_a = {n_a} from the hidden state, n_x = {n_x} from the input"
    check_shape("parameters['Waa']", p["Waa"], ("n_a", "n_a"), (n_a, n_a), note)
    check_shape("parameters['Wax']", p["Wax"], ("n_a", "n_x"), (n_a, n_x), note)
    check_shape("parameters['ba']", p["ba"], ("n_a", "1"), (n_a, 1), note)
    check_shape("parameters['Wya']", p["Wya"], ("n_y", "n_a"), (None, n_a), note)
    n_y = p["Wya"].shape[0]
    check_shape("parameters['by']", p["by"], ("n_y", "1"), (n_y, 1), f"n_y = {n_y} from parameters['Wya']")
    return p, n_y


def check_step_inputs(xt, a_prev):
    """Check one step's input ``xt`` (n_x, m) and hidden state ``a_prev`` (n_a, m); return both and n_x, n_a, m."""
    xt = as_array("xt", xt)
    a_prev = as_array("a_prev", a_prev)
    hint = "one time step: features first, then the batch"
    if xt.ndim == 1:
        hint += "; for a single example pass xt.reshape(-1, 1)"
    check_shape("xt", xt, ("n_x", "m"), (None, None), hint)
    n_x, m = xt.shape
    check_shape("a_prev", a_prev, ("n_a", "m"), (None, m), f"m = {m} from xt")
    return xt, a_prev, n_x, a_prev.shape[0], m


def check_cache(name, cache, length, made_by, items):
    """Check that ``cache`` is the tuple that ``made_by`` returned."""
    if not isinstance(cache, tuple) or len(cache) != length:
        got = f"a tuple of {len(cache)}" if isinstance(cache, tuple) else type(cache).__name__
        raise ValueError(f"{name} must be the {length}-tuple that {made_by} returns, ({items}); got {got}")


def check_nonempty_sequence(x):
    """Raise unless the sequence ``x`` (n_x, m, T_x) has at least one step."""
    if x.shape[2] == 0:
        raise ValueError("x must have at least one time step (T_x >= 1), got T_x = 0")


def check_sequence_input(x):
    """``x`` as an array, checked to be (n_x, m, T_x) with at least one step."""
    x = as_array("x", x)
    check_shape("x", x, ("n_x", "m", "T_x"), (None, None, None),
                "features, then the batch, then time")
    check_nonempty_sequence(x)
    return x


def check_sequence_inputs(x, a0):
    """``x`` (n_x, m, T_x) and the initial state ``a0`` (n_a, m) as arrays, checked
    against each other (the same batch m); every sequence's forward pass starts here."""
    x = check_sequence_input(x)
    a0 = as_array("a0", a0)
    m = x.shape[1]
    check_shape("a0", a0, ("n_a", "m"), (None, m), f"m = {m} from x")
    return x, a0


def check_sequence_caches(caches, made_by, step_made_by, step_length):
    """Check the ``(list_of_step_caches, x)`` pair that a sequence's forward pass returns; return both."""
    check_cache("caches", caches, 2, made_by, "list_of_step_caches, x")
    step_caches, x = caches
    x = as_array("caches[1]", x)
    check_shape("caches[1]", x, ("n_x", "m", "T_x"), (None, None, None), f"the input x that {made_by} saw")
    T_x = x.shape[2]
    if not isinstance(step_caches, (list, tuple)) or len(step_caches) != T_x or T_x == 0:
        length = len(step_caches) if isinstance(step_caches, (list, tuple)) else type(step_caches).__name__
        raise ValueError(f"caches[0] must be the list of T_x = {T_x} step caches that {made_by} returns "
                         f"(one per step of x), got {length}")
    for t, cache in enumerate(step_caches):
        check_cache(f"caches[0][{t}]", cache, step_length, step_made_by, f"see {step_made_by}")
    return step_caches, x
