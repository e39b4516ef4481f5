"""The first thing every check function does in a notebook: make sure it was given the learner's own function.

The grader applies :mod:`grading.policy` to every answer cell; the check cell applies the same rules to the cell that
defined the function it was given (IPython keeps each cell's source in :mod:`linecache`), so that an answer which
the grader will score 0 fails at its check cell too, with the same one-line reason. A function that is the course's
own (imported from ``lstm``), or that reaches the course's functions through the names it uses, fails at once.
"""

import inspect
import linecache
import types

from .feedback import fail
from .policy import first_violation

#: Functions of the course a notebook gives the learner (its setup cell imports them), by exercise.
GIVEN = {
    "softmax": (),
    "lstm_cell_forward": ("sigmoid",),
    "lstm_forward": ("lstm_cell_forward", "sigmoid", "softmax"),
    "lstm_cell_backward": (),
    "lstm_backward": ("lstm_cell_backward",),
    "numerical_gradient": (),
    "relative_error": (),
    "gradient_check": (),
    "cell_gradient_errors": (),
    "gru_cell_forward": ("sigmoid",),
    "gru_cell_backward": ("sigmoid",),
    "bidirectional_lstm_backward": ("lstm_backward",),
}

#: The function names the exercises ask for: an answer cell may (re)define these.
EXERCISE_NAMES = frozenset(GIVEN)


def _course_object(value):
    """The dotted name of ``value`` when it belongs to the course's packages (lstm, grading), else None."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
        return name if name.split(".")[0] in ("lstm", "grading") else None
    module = getattr(type(value), "__module__", "") if not callable(value) else getattr(value, "__module__", "")
    if isinstance(module, str) and module.split(".")[0] in ("lstm", "grading"):
        return f"{module}.{getattr(value, '__name__', type(value).__name__)}"
    return None


def _protected_names(namespace):
    """The names of the notebook that an answer may not rebind: modules, the course's functions, the checks."""
    from . import __all__ as grading_names

    names = {"np", "numpy", "math", "lstm", "grading", *grading_names}
    for key, value in namespace.items():
        if isinstance(value, types.ModuleType) or _course_object(value):
            names.add(key)
    return names


def _cell_source(function):
    """The source of the notebook cell that defined ``function``, or None outside a notebook."""
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    entry = linecache.cache.get(code.co_filename)
    # IPython registers every cell it runs with a modification time of None; files on disk have a number.
    if entry is None or entry[1] is not None:
        return None
    return "".join(entry[2])


def _global_names(code):
    """Every global name a code object (and the functions, lambdas and comprehensions inside it) uses."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def _reaches_course(function, exercise, seen=None):
    """The first course function (other than the exercise's given ones) that ``function`` uses, or None."""
    seen = seen if seen is not None else set()
    if id(function) in seen:
        return None
    seen.add(id(function))
    namespace = getattr(function, "__globals__", {})
    for name in sorted(_global_names(function.__code__)):
        if name not in namespace:
            continue
        value = namespace[name]
        course = _course_object(value)
        if course:
            if name in GIVEN.get(exercise, ()) and getattr(value, "__name__", None) == name:
                continue
            return name, course
        if inspect.isfunction(value) and value.__module__ == function.__module__:
            found = _reaches_course(value, exercise, seen)
            if found:
                return found
    return None


def own_function(function, exercise):
    """Fail at once unless ``function`` is a function the learner wrote, in a cell that follows the answer rules."""
    if not callable(function):
        fail(exercise, f"expected a function, got {type(function).__name__}")
    if _course_object(function):
        fail(exercise, f"this is the course's own {getattr(function, '__name__', exercise)}: write your own")
    if not inspect.isfunction(function):
        fail(exercise, f"expected a function written with `def` in the notebook, got {type(function).__name__}")
    source = _cell_source(function)
    if source is not None:
        # An exercise's given functions stay the course's: an answer may not redefine them (the grader agrees).
        given = set(GIVEN.get(exercise, ()))
        reason = first_violation(source, _protected_names(function.__globals__) | given, EXERCISE_NAMES - given)
        if reason:
            fail(exercise, f"the cell that defines {function.__name__} breaks a rule of answers: {reason}")
    found = _reaches_course(function, exercise)
    if found:
        name, course = found
        fail(exercise, f"it uses `{name}`, the course's own {course}: write the function yourself")
