"""The machinery every check shares: calling the learner's function safely, comparing outputs, naming mistakes.

A check runs the learner's function on many random cases and compares everything it returns with the reference
package. When something differs it looks for the *likely mistake*: it runs deliberately mistaken versions of the
reference (see :mod:`grading.mistakes`) on the same case, and when one of them reproduces the learner's output
exactly, the hint names that mistake. Otherwise the hint says which output is wrong, where, and by how much.

Every failure is an ``AssertionError`` with a one-line message ``"<function>: <hint>"``, so that a notebook shows it
and ``lstm-grade`` can put it in a table.
"""

import copy
import inspect
import re
import warnings
from collections.abc import Mapping

import numpy as np

#: Tolerances of a comparison with the reference, in float64: |got - expected| <= ATOL + RTOL * |expected|.
RTOL = 1e-8
ATOL = 1e-10
#: Tolerances for float32 inputs (relative to the array's largest entry for the absolute part).
SINGLE_RTOL = 1e-4
SINGLE_ATOL = 1e-5
#: A mistaken reference "reproduces" the learner's output when it agrees this closely.
MATCH_RTOL = 1e-6
MATCH_ATOL = 1e-8


#: How a failed check's message starts in a notebook (the grader reads it back from nbval's record).
RENDERED_FAILURE = "✗ "


class CheckFailed(AssertionError):
    """A check found a mistake. The message is one line: the function's name, then the hint.

    In a notebook, IPython shows what :meth:`_render_traceback_` returns instead of a traceback through the
    checks' own code: the learner sees the hint and the failing case, and the cell still fails (nbval too).
    """

    def _render_traceback_(self):
        message = str(self)
        function, _, rest = message.partition(": ")
        hint, _, case = rest.partition(" [case: ")
        lines = [f"\x1b[1;31m{RENDERED_FAILURE}{function}\x1b[0m: {hint}"]
        if case:
            lines.append(f"  failing case: {case.rstrip(']')}")
        return lines


def fail(function, hint, case=None):
    """Raise :class:`CheckFailed` with the one-line message ``"function: hint [case]"``."""
    hint = " ".join(str(hint).split())
    where = f" [case: {case}]" if case is not None else ""
    raise CheckFailed(f"{function}: {hint}{where}") from None


def passed(function, n_checks):
    """Print the fixed line a passing check prints (nbval compares it)."""
    print(f"{function}: all {n_checks} checks passed.")


def call(function_name, function, *args, case=None, explain=None):
    """Call the learner's function; turn any exception into a hint that says what happened and on which case.

    ``explain(error)``, when given, may return the hint of a known mistake that raises the same error.
    """
    if not callable(function):
        fail(function_name, f"expected a function, got {type(function).__name__}")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args)
    except NotImplementedError:
        fail(function_name, "not written yet: replace `raise NotImplementedError()` with your code")
    except CheckFailed:
        raise
    except Exception as error:  # the learner's bug, reported as a hint (KeyboardInterrupt still stops the cell)
        message = " ".join(str(error).split())
        if len(message) > 300:
            message = message[:300] + "..."
        known = (explain(error) if explain is not None else None) or source_hint(function)
        fail(function_name, (f"{known} (it raised {type(error).__name__})" if known
                             else f"raised {type(error).__name__}: {message}"), case)


def _same_error(a, b):
    """Whether two exceptions are the same error: same type name and message (a recorded one has only these)."""
    return type(a).__name__ == type(b).__name__ and str(a) == str(b)


def explain_by(mistakes, run_mistake):
    """An ``explain`` for :func:`call`: the hint of the first mistake that raises the same error, or None."""
    def explain(error):
        for key, hint in mistakes.items():
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run_mistake(key)
            except Exception as other:
                if _same_error(other, error):
                    return hint
        return None
    return explain


def snapshot(value):
    """A deep copy to compare against later, to notice a function that modifies its inputs."""
    return copy.deepcopy(value)


def same_value(a, b):
    """True when ``a`` and ``b`` are identical nested structures of arrays (exact comparison)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=False))
    return a is b or a == b


def check_not_modified(function_name, names, before, after, case=None):
    """Fail when an input differs from its snapshot: the function wrote into an argument."""
    for name, old, new in zip(names, before, after, strict=False):
        if not same_value(old, new):
            fail(function_name, f"it modified its input `{name}`; compute new arrays instead of writing into the "
                                f"arguments (for example use `x = x + 1`, not `x += 1`, or copy first)", case)


def integer_dtype_problem(label, dtype, expected):
    """The sentence for a result of integer ``dtype`` where floats (``expected``, a dtype name) belong."""
    return (f"{label} has the integer dtype {dtype}, expected {expected}: an array made with np.zeros_like (or "
            f"empty_like, ones_like) of an integer input copies its dtype; make float arrays, for example "
            f"np.zeros(shape)")


def difference(label, got, expected):
    """None when ``got`` matches ``expected`` (a float64 array); otherwise a sentence saying what differs."""
    expected = np.asarray(expected)
    if isinstance(got, (float, np.floating)) and expected.shape == ():
        got = np.asarray(got, dtype=np.float64)
    if not isinstance(got, np.ndarray):
        return f"{label} should be a numpy array of shape {expected.shape}, got {type(got).__name__}"
    if got.shape != expected.shape:
        return f"{label} has shape {got.shape}, expected {expected.shape}"
    single = expected.dtype == np.float32  # float32 inputs: float32 or float64 results, float32 precision
    if got.dtype != expected.dtype and not (single and got.dtype == np.float64):
        if got.dtype.kind in "iub" and expected.dtype.kind == "f":
            return integer_dtype_problem(label, got.dtype, expected.dtype)
        return f"{label} has dtype {got.dtype}, expected {expected.dtype}"
    if not np.all(np.isfinite(got)):
        return f"{label} contains nan or inf (an overflow? a division by zero?)"
    error = np.abs(got.astype(np.float64) - expected)
    if single:
        scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
        excess = error - (SINGLE_ATOL * scale + SINGLE_RTOL * np.abs(expected.astype(np.float64)))
    else:
        excess = error - (ATOL + RTOL * np.abs(expected))
    if np.all(excess <= 0):
        return None
    index = np.unravel_index(int(np.argmax(excess)), got.shape) if got.shape else ()
    where = f"[{', '.join(str(i) for i in index)}]" if index else ""
    return (f"{label}{where} is {float(got[index]):.6g}, expected {float(expected[index]):.6g} "
            f"(largest difference {float(error.max()):.2e})")


def matches(got, expected):
    """Whether ``got`` reproduces ``expected`` closely (used to recognise a mistake)."""
    try:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != expected.shape or not np.all(np.isfinite(expected)):
        return False
    return bool(np.all(np.abs(got - expected) <= MATCH_ATOL + MATCH_RTOL * np.abs(expected)))


def diagnose(got, reference, mistakes, run_mistake):
    """The hint of the mistaken reference that best reproduces the learner's outputs, or None.

    First a mistake that reproduces *every* output in ``got``; failing that, one that reproduces every output the
    learner got wrong (a learner who made the mistake on one line of four, say one bias gradient, is recognised).

    Parameters
    ----------
    got : dict of name -> array
        The learner's outputs (only those that are arrays).
    reference : dict of name -> array
        The correct outputs.
    mistakes : dict of key -> hint
    run_mistake : callable
        ``run_mistake(key)`` returns the mistaken reference's outputs as a dict, or raises.
    """
    wrong = [name for name, value in got.items() if name in reference and not matches(value, reference[name])]
    if not wrong:
        return None
    for name in wrong:  # integer results (np.zeros_like of an integer input) are that mistake, whatever else
        value, want = np.asarray(got[name]), np.asarray(reference[name])
        if value.dtype.kind in "iub" and want.dtype.kind == "f":
            return difference(name, value, want)
    candidates = []
    for key, hint in mistakes.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outputs = run_mistake(key)
        except Exception:  # a mistake that cannot run on this case cannot be the learner's
            continue
        if not all(name in outputs and matches(got[name], outputs[name]) for name in wrong):
            continue
        if all(name in outputs and matches(value, outputs[name]) for name, value in got.items()):
            return hint
        candidates.append(hint)
    return candidates[0] if candidates else None


SOURCE_HINTS = [
    (re.compile(r"\[\s*:\s*n_a\s*,\s*:?\s*\]|\[\s*n_a\s*:\s*,\s*:?\s*\]"),
     "the weights are sliced by rows, W[:n_a, :]; the columns W[:, :n_a] multiply a_prev and W[:, n_a:] "
     "multiply xt (a published erratum)"),
    (re.compile(r"concatenate\(\s*[\[(]\s*xt\s*,\s*a_prev"),
     "it stacks [xt; a_prev]; the gates act on [a_prev; xt], the hidden state on top"),
]


def source_hint(function):
    """A hint from patterns in the learner's source code (a fallback when no mistaken reference matches)."""
    source = getattr(function, "answer_source", None)  # a replay of recorded outputs carries its answer's source
    if source is None:
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            return None
    for pattern, hint in SOURCE_HINTS:
        if pattern.search(source):
            return hint
    return None


def which_outputs_differ(got, expected):
    """The names of the outputs that differ, in order, and the first difference's sentence."""
    wrong, first = [], None
    for name, value in expected.items():
        sentence = difference(name, got.get(name), value)
        if sentence is not None:
            wrong.append(name)
            first = first or sentence
    return wrong, first


def swapped_hint(what, got, expected):
    """A hint when an output holds what belongs in another (returned in the wrong order), or None."""
    for name, value in got.items():
        if name in expected and matches(value, expected[name]):
            continue
        for other, other_value in expected.items():
            if other != name and matches(value, other_value):
                return (f"{name} holds what belongs in {other}: return the {what} in the documented order "
                        f"({', '.join(expected)})")
    return None


def summary_key(hint):
    """The part of a hint that names the mistake, without the case details (for counting mistakes in a class)."""
    return re.sub(r"\s*\[case: [^\]]*\]$", "", hint)


def magnitude_hint(got, expected):
    """A hint when right gradients come back clipped or rescaled (a training trick that is not the gradient)."""
    pairs = [(np.asarray(got[k], dtype=np.float64), np.asarray(v, dtype=np.float64)) for k, v in expected.items()
             if isinstance(got.get(k), np.ndarray) and np.shape(got[k]) == np.shape(v)
             and got[k].dtype.kind == "f" and np.all(np.isfinite(got[k]))]
    if not pairs:
        return None
    largest = max(float(np.max(np.abs(g))) if g.size else 0.0 for g, _ in pairs)
    true_largest = max(float(np.max(np.abs(e))) if e.size else 0.0 for _, e in pairs)
    for key, value in got.items():  # one gradient clipped on its own
        want = expected.get(key)
        if (isinstance(value, np.ndarray) and want is not None and value.shape == np.shape(want) and value.size
                and value.dtype.kind == "f" and np.all(np.isfinite(value))):
            bound = float(np.max(np.abs(value)))
            if bound < float(np.max(np.abs(want))) * (1 - 1e-6) and np.allclose(
                    np.clip(want, -bound, bound), value, rtol=1e-6, atol=1e-9):
                others = [k for k in expected if k != key and isinstance(got.get(k), np.ndarray)
                          and np.shape(got[k]) == np.shape(expected[k])
                          and float(np.max(np.abs(got[k]), initial=0)) < float(np.max(np.abs(expected[k]),
                                                                                         initial=0)) * (1 - 1e-6)]
                if not others:
                    return (f"{key} is clipped at ±{bound:.6g}; return the true gradient: clipping belongs to the "
                            f"training step, not to backpropagation")
    if largest < true_largest * (1 - 1e-6):
        clipped = all(np.allclose(np.clip(e, -largest, largest), g, rtol=1e-6, atol=1e-9) for g, e in pairs)
        if clipped:
            return (f"the gradients are clipped at ±{largest:.6g}; return the true gradients: clipping "
                    f"belongs to the training step, not to backpropagation")
        ratios = [g[np.abs(e) > 1e-12] / e[np.abs(e) > 1e-12] for g, e in pairs]
        ratios = np.concatenate([r.ravel() for r in ratios]) if ratios else np.array([])
        if ratios.size and np.allclose(ratios, ratios[0], rtol=1e-6) and abs(ratios[0] - 1) > 1e-6:
            return (f"every gradient is the true one times {ratios[0]:.6g} (rescaled, by a norm?); return the "
                    f"true gradients: rescaling belongs to the training step, not to backpropagation")
    return None
