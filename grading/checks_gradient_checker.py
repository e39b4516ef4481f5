"""The feedback functions of exercise set 5: a gradient checker, graded on functions whose gradients are known.

The functions are chosen so that the usual mistakes cannot pass: a one-sided difference is off by about ε·f''/2
(visible at the ε = 1e-3 the checks use), a wrong denominator changes the relative error on vectors that are not
parallel, and a function of several entries at once notices a perturbation that was not undone.
"""

import numpy as np

import lstm

from .cases import cell_cases
from .checks import CELL_GRADIENT_KEYS, GATE_KEYS, _expect_dict, run_cell_backward_checks
from .feedback import call, check_not_modified, diagnose, difference, fail, matches, passed, snapshot
from .guard import own_function
from .mistakes import cell_backward_with

NUMERICAL_GRADIENT_MISTAKES = {
    "forward-difference": "it uses a one-sided difference (f(x + ε) − f(x)) / ε; the centred "
                          "(f(x + ε) − f(x − ε)) / 2ε is far more accurate",
    "backward-difference": "it uses a one-sided difference (f(x) − f(x − ε)) / ε; use the centred "
                           "(f(x + ε) − f(x − ε)) / 2ε",
    "forward-difference-2eps": "it uses a one-sided difference (f(x + ε) − f(x)); use the centred "
                               "(f(x + ε) − f(x − ε)) / 2ε",
    "denominator-eps": "it divides by ε; the two points are 2ε apart, so divide by 2ε",
    "not-restored": "it does not put each entry back after perturbing it, so later entries are measured at a "
                    "shifted point: restore x[index] = original",
    "all-entries": "it perturbs every entry at once (x + ε); perturb one entry at a time",
}


def numerical_gradient_with(f, x, eps, mistake=None):
    """Finite differences with one of :data:`NUMERICAL_GRADIENT_MISTAKES` (``None``: the centred difference)."""
    x = np.array(x, dtype=np.float64)
    if mistake == "all-entries":
        slope = (f(x + eps) - f(x - eps)) / (2 * eps)
        return np.full_like(x, slope)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        if mistake != "not-restored":
            x[index] = original
        f_here = float(f(x)) if mistake and mistake.startswith(("forward", "backward")) else None
        if mistake == "forward-difference":
            grad[index] = (f_plus - f_here) / eps
        elif mistake == "forward-difference-2eps":
            grad[index] = (f_plus - f_here) / (2 * eps)
        elif mistake == "backward-difference":
            grad[index] = (f_here - f_minus) / eps
        elif mistake == "denominator-eps":
            grad[index] = (f_plus - f_minus) / eps
        else:
            grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def _known_functions():
    """(label, f, x, analytic gradient): smooth functions with curvature, of 1-, 2- and 3-D arrays."""
    rng = np.random.default_rng(501)
    w = rng.normal(size=4)
    W = rng.normal(size=(2, 3))
    v = rng.normal(size=(2, 1, 3))
    return [
        ("f(x) = Σ w ⊙ exp(x), x of shape (4,)", lambda x: np.sum(w * np.exp(x)), rng.normal(size=4),
         lambda x: w * np.exp(x)),
        ("f(X) = Σ W ⊙ sin(X) + (Σ X)², X of shape (2, 3)", lambda X: np.sum(W * np.sin(X)) + np.sum(X) ** 2,
         rng.normal(size=(2, 3)), lambda X: W * np.cos(X) + 2 * np.sum(X)),
        ("f(x) = Σ v ⊙ x³ / 3, x of shape (2, 1, 3)", lambda x: np.sum(v * x**3) / 3, rng.normal(size=(2, 1, 3)),
         lambda x: v * x**2),
        ("f(X) = log(1 + Σ X²), X of shape (3, 2)", lambda X: np.log(1 + np.sum(X**2)), rng.normal(size=(3, 2)),
         lambda X: 2 * X / (1 + np.sum(X**2))),
        ("f(x) = x₀ x₁ exp(x₂), x of shape (3,)", lambda x: x[0] * x[1] * np.exp(x[2]), rng.normal(size=3),
         lambda x: np.array([x[1] * np.exp(x[2]), x[0] * np.exp(x[2]), x[0] * x[1] * np.exp(x[2])])),
    ]


def check_numerical_gradient(numerical_gradient):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_numerical_gradient` judges it."""
    own_function(numerical_gradient, "numerical_gradient")
    return verify_numerical_gradient(numerical_gradient)


def verify_numerical_gradient(numerical_gradient):
    """Check a learner's ``numerical_gradient(f, x, eps=1e-6)``: centred differences, one entry at a time."""
    name = "numerical_gradient"
    functions = _known_functions()
    n_checks = 0
    for label, f, x, analytic in functions:
        # At eps = 1e-3 a centred difference is still within ~1e-7 of the slope; a one-sided one is not.
        x_given = x.copy()
        got = call(name, numerical_gradient, f, x_given, 1e-3, case=label)
        check_not_modified(name, ["x"], [x], [x_given], label)
        expected = lstm.numerical_gradient(f, x, 1e-3)  # the package's centred difference
        sentence = difference("the gradient", got, expected)
        if sentence is None and not matches(got, analytic(x)) and np.max(np.abs(got - analytic(x))) > 1e-5:
            sentence = "the gradient is far from the true slope"
        if sentence is not None:
            hint = diagnose({"g": got} if isinstance(got, np.ndarray) else {}, {"g": expected},
                            NUMERICAL_GRADIENT_MISTAKES,
                            lambda key, f=f, x=x: {"g": numerical_gradient_with(f, x, 1e-3, key)})
            fail(name, (hint or sentence) + " (called with eps = 1e-3)", label)
        # With its default step the result must be the slope to about 1e-6.
        got = call(name, numerical_gradient, f, x.copy(), case=label)
        sentence = difference("the gradient", got, analytic(x))
        if sentence is not None and not (isinstance(got, np.ndarray) and got.shape == x.shape
                                         and np.allclose(got, analytic(x), rtol=1e-6, atol=1e-7)):
            fail(name, f"with its default eps, {sentence}: is the default eps = 1e-6?", label)
        n_checks += 2
    passed(name, n_checks)


ONE_NORM = ("it divides by one of the norms (‖analytic‖, ‖numerical‖ or the larger of the two); the denominator is "
            "their sum, ‖analytic‖ + ‖numerical‖")
RELATIVE_ERROR_MISTAKES = {
    "denominator-analytic": ONE_NORM,
    "denominator-numerical": ONE_NORM,
    "denominator-max": ONE_NORM,
    "norm-of-sum": "it divides by ‖analytic + numerical‖; the denominator is ‖analytic‖ + ‖numerical‖ "
                   "(the sum of the two norms)",
    "squared": "it uses squared norms; relative error = ‖a − n‖ / (‖a‖ + ‖n‖) with plain (L2) norms",
    "elementwise": "it averages element-wise relative errors; use whole-array norms: ‖a − n‖ / (‖a‖ + ‖n‖)",
    "no-zero-case": "two zero gradients give 0/0: return 0 when both are exactly zero",
}


def relative_error_with(a, n, mistake=None):
    """The relative error with one of :data:`RELATIVE_ERROR_MISTAKES` (``None``: the right one)."""
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    top = np.linalg.norm(a - n)
    bottom = {"denominator-analytic": np.linalg.norm(a), "denominator-numerical": np.linalg.norm(n),
              "denominator-max": max(np.linalg.norm(a), np.linalg.norm(n)),
              "norm-of-sum": np.linalg.norm(a + n)}.get(mistake, np.linalg.norm(a) + np.linalg.norm(n))
    if mistake == "squared":
        top, bottom = top**2, np.linalg.norm(a) ** 2 + np.linalg.norm(n) ** 2
    if mistake == "elementwise":
        with np.errstate(all="ignore"):
            return float(np.mean(np.abs(a - n) / (np.abs(a) + np.abs(n))))
    if bottom == 0:
        return float("nan") if mistake == "no-zero-case" else 0.0
    return float(top / bottom)


def check_relative_error(relative_error):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_relative_error` judges it."""
    own_function(relative_error, "relative_error")
    return verify_relative_error(relative_error)


def verify_relative_error(relative_error):
    """Check a learner's ``relative_error(analytic, numerical)`` = ‖a − n‖ / (‖a‖ + ‖n‖), 0 when both are 0."""
    name = "relative_error"
    rng = np.random.default_rng(502)
    # The random pairs come first: on them every wrong denominator gives a different number.
    base = rng.normal(size=(4, 2))
    pairs = [("random 2-D arrays", rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
             ("arrays of very different norms", 10 * rng.normal(size=5), rng.normal(size=5)),
             ("nearly equal arrays", base, base + 1e-7 * rng.normal(size=(4, 2))),
             ("orthogonal unit vectors", np.array([1.0, 0.0]), np.array([0.0, 1.0])),
             ("equal arrays", np.array([3.0, -4.0]), np.array([3.0, -4.0])),
             ("two zero arrays", np.zeros((2, 3)), np.zeros((2, 3))),
             ("one zero array", np.zeros(3), np.array([1.0, 2.0, 2.0])),
             ("opposite vectors", np.array([1.0, 2.0]), np.array([-1.0, -2.0]))]
    for label, a, n in pairs:
        a_given, n_given = a.copy(), n.copy()
        got = call(name, relative_error, a_given, n_given, case=label)
        check_not_modified(name, ["analytic", "numerical"], [a, n], [a_given, n_given], label)
        if isinstance(got, np.ndarray) and got.shape == ():
            got = got[()]
        if not isinstance(got, (float, np.floating)):
            fail(name, f"it must return a float, got {type(got).__name__}", label)
        expected = lstm.relative_error(a, n)
        if np.isnan(got):
            fail(name, RELATIVE_ERROR_MISTAKES["no-zero-case"] if expected == 0 and not a.any() else
                 "it returns nan", label)
        if not abs(float(got) - expected) <= 1e-12 + 1e-9 * expected:
            hint = diagnose({"e": np.float64(got)}, {"e": np.float64(expected)}, RELATIVE_ERROR_MISTAKES,
                            lambda key, a=a, n=n: {"e": np.float64(relative_error_with(a, n, key))})
            fail(name, hint or f"it returns {float(got):.6g}, expected {expected:.6g}", label)
    passed(name, len(pairs))


def _dict_inputs():
    """Two inputs W (3, 2) and x (2, 4) of f = Σ G ⊙ tanh(W x), with the true gradients."""
    rng = np.random.default_rng(503)
    W, x, G = rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), rng.normal(size=(3, 4))

    def f(values):
        return np.sum(G * np.tanh(values["W"] @ values["x"]))

    dz = G * (1 - np.tanh(W @ x) ** 2)
    return f, {"W": W, "x": x}, {"W": dz @ x.T, "x": W.T @ dz}


def check_gradient_check(gradient_check):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_gradient_check` judges it."""
    own_function(gradient_check, "gradient_check")
    return verify_gradient_check(gradient_check)


def verify_gradient_check(gradient_check):
    """Check a learner's ``gradient_check(f, inputs, analytic, eps=1e-6)`` -> dict of relative errors."""
    name = "gradient_check"
    f, inputs, true = _dict_inputs()
    wrong_W = true["W"].copy()
    wrong_W[1, 0] += 0.3
    trials = [("right gradients", true), ("dW wrong in one entry", {"W": wrong_W, "x": true["x"]}),
              ("x's gradient with the wrong sign", {"W": true["W"], "x": -true["x"]}),
              ("only W checked", {"W": true["W"]}), ("only x checked, and wrong", {"x": 1.1 * true["x"]})]
    for label, analytic in trials:
        given_inputs, given_analytic = snapshot(inputs), snapshot(analytic)
        got = call(name, gradient_check, f, given_inputs, given_analytic, case=label)
        check_not_modified(name, ["inputs", "analytic"], [inputs, analytic], [given_inputs, given_analytic], label)
        if not isinstance(got, dict) or sorted(got) != sorted(analytic):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            fail(name, f"it must return a dict with one relative error per name in `analytic` "
                       f"({', '.join(sorted(analytic))}), got {keys}", label)
        expected = lstm.gradient_check(f, inputs, analytic)
        for key, want in expected.items():
            value = got[key]
            if isinstance(value, np.ndarray) and value.shape == ():
                value = value[()]
            if not isinstance(value, (float, np.floating)):
                fail(name, f"the error for {key} must be a float, got {type(value).__name__}", label)
            small = want < 1e-7
            if small and not value < 1e-7:
                fail(name, f"it reports a relative error of {float(value):.2e} for {key}, whose gradient is "
                           f"right: does it compare the numerical gradient of the right input?", label)
            if not small and not abs(float(value) - want) <= 1e-4 * want:
                fail(name, f"it reports {float(value):.4g} for {key}, expected {want:.4g}: it must return "
                           f"relative_error(analytic[name], numerical_gradient(...)) for each name", label)
    passed(name, len(trials))


def _reference_cell_gradient_errors(forward, backward, xt, a_prev, c_prev, parameters, da_next, dc_next):
    inputs = {"xt": xt, "a_prev": a_prev, "c_prev": c_prev, **{key: parameters[key] for key in GATE_KEYS}}

    def loss(values):
        params = {**parameters, **{key: values[key] for key in GATE_KEYS}}
        a_next, c_next, _, _ = forward(values["xt"], values["a_prev"], values["c_prev"], params)
        return np.sum(da_next * a_next) + np.sum(dc_next * c_next)

    gradients = backward(da_next, dc_next, forward(xt, a_prev, c_prev, parameters)[3])
    return lstm.gradient_check(loss, inputs, {key: gradients["d" + key] for key in inputs})


CELL_INPUT_NAMES = tuple(key[1:] for key in CELL_GRADIENT_KEYS)


def check_cell_gradient_errors(cell_gradient_errors):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_cell_gradient_errors` judges it."""
    own_function(cell_gradient_errors, "cell_gradient_errors")
    return verify_cell_gradient_errors(cell_gradient_errors)


def verify_cell_gradient_errors(cell_gradient_errors):
    """Check a learner's ``cell_gradient_errors(forward, backward, xt, a_prev, c_prev, parameters, da_next,
    dc_next)``, on the reference backward pass and on backward passes with known mistakes."""
    name = "cell_gradient_errors"
    cases = cell_cases(504)[:3]
    backwards = [("the reference lstm_cell_backward", None), ("a backward pass missing tanh′", "no-tanh-prime"),
                 ("a backward pass using c_next in (10)", "c_next-for-c_prev"),
                 ("a backward pass without the da path in (16)", "dc_prev-no-da-path"),
                 ("a backward pass with a stray c̃ in (8)", "dzc-stray-cct")]
    n_checks = 0
    for case, (label, mistake) in zip(cases * 2, backwards, strict=False):
        v = case.values
        def backward(da_next, dc_next, cache, mistake=mistake):  # noqa: E306
            return cell_backward_with(da_next, dc_next, cache, mistake)
        args = snapshot((v["xt"], v["a_prev"], v["c_prev"], v["parameters"], v["da_next"], v["dc_next"]))
        got = call(name, cell_gradient_errors, lstm.lstm_cell_forward, backward, *args,
                   case=f"{case.label}, {label}")
        check_not_modified(name, ("xt", "a_prev", "c_prev", "parameters", "da_next", "dc_next"),
                           (v["xt"], v["a_prev"], v["c_prev"], v["parameters"], v["da_next"], v["dc_next"]), args,
                           case.label)
        got = _expect_dict(name, got, CELL_INPUT_NAMES, f"{case.label}, {label}")
        expected = _reference_cell_gradient_errors(lstm.lstm_cell_forward, backward, *args)
        for key, want in expected.items():
            value = float(np.asarray(got[key]))
            if want < 1e-7 and not value < 1e-7:
                fail(name, f"with {label}, the error for {key} is {value:.2e}, but that gradient is right: "
                           f"the loss must be Σ da_next ⊙ a_next + Σ dc_next ⊙ c_next, through `forward`",
                     case.label)
            if want >= 1e-7 and not abs(value - want) <= 1e-4 * want:
                fail(name, f"with {label}, the error for {key} is {value:.3g}, expected {want:.3g}: the loss must be "
                           f"Σ da_next ⊙ a_next + Σ dc_next ⊙ c_next, through `forward`", case.label)
        n_checks += 1
    passed(name, n_checks)


def check_backward_with_your_checker(cell_gradient_errors, lstm_cell_backward):
    """What the check cell calls: each function must be the learner's own, then
    :func:`verify_backward_with_your_checker` judges it."""
    own_function(cell_gradient_errors, "cell_gradient_errors")
    own_function(lstm_cell_backward, "lstm_cell_backward")
    return verify_backward_with_your_checker(cell_gradient_errors, lstm_cell_backward)


def verify_backward_with_your_checker(cell_gradient_errors, lstm_cell_backward):
    """Run the learner's own gradient checker on the learner's own ``lstm_cell_backward``, then the full check."""
    name = "lstm_cell_backward"
    cases = cell_cases(505)[:3]
    for case in cases:
        v = case.values
        errors = call("cell_gradient_errors", cell_gradient_errors, lstm.lstm_cell_forward, lstm_cell_backward,
                      v["xt"], v["a_prev"], v["c_prev"], v["parameters"], v["da_next"], v["dc_next"],
                      case=case.label)
        if not isinstance(errors, dict):
            fail("cell_gradient_errors", f"it must return a dict, got {type(errors).__name__}", case.label)
        bad = {key: float(np.asarray(value)) for key, value in errors.items() if not float(np.asarray(value)) < 1e-7}
        if bad:
            worst = max(bad, key=bad.get)
            fail(name, f"your gradient checker finds a relative error of {bad[worst]:.1e} in d{worst}"
                       f"{' (and ' + ', '.join('d' + k for k in bad if k != worst) + ')' if len(bad) > 1 else ''}"
                       f": fix that gradient", case.label)
    n_checks = run_cell_backward_checks(lstm_cell_backward)
    print(f"{name}: your gradient checker agrees, and all {n_checks} checks passed.")


__all__ = ["check_backward_with_your_checker", "check_cell_gradient_errors", "check_gradient_check",
           "check_numerical_gradient", "check_relative_error"]
