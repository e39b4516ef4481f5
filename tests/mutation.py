"""Automatic small edits of the solved answers (mutation testing of the exercise checks).

:func:`mutants` yields every single edit of one answer's function body that a small slip of the hand makes: ``+``
and ``-`` swapped, the operands of ``-``, ``/`` or ``@`` swapped, a term dropped, an integer changed (``axis=0`` and
``axis=1``, an index), ``keepdims`` and other booleans flipped, a ``.T`` removed, a slice ``[:, :n_a]`` turned into
``[:, n_a:]``, a sign dropped, an index one step off (``t - 1``), one function called for another (``np.tanh`` for
``sigmoid``, ``np.mean`` for ``np.sum``, ...) or a call forgotten (``np.tanh(c)`` -> ``c``, ``reversed(r)`` -> ``r``),
and one variable or parameter key used for its sibling (``c_prev`` for ``c_next``, ``ft`` for ``it``, ``"Wf"`` for
``"Wi"``, ...). :func:`probe` runs an answer's function on inputs the checks never
use, so that a test can tell the mutants that compute something different from those that are equivalent.
"""

import ast
import copy

import numpy as np

SIBLINGS = [("a_prev", "a_next", "a0"), ("c_prev", "c_next"), ("ft", "it", "cct", "ot"), ("dzf", "dzi", "dzc", "dzo"),
            ("zt", "rt", "hct"), ("dz_update", "dz_reset", "dz_cand"), ("concat", "concat_reset"),
            ("f_plus", "f_minus"), ("analytic", "numerical"), ("da_prevt", "dc_prevt"), ("da_next", "dc_next"),
            ("Wf", "Wi", "Wc", "Wo"), ("Wz", "Wr", "Wh"), ("tanh_c", "cct"), ("dc_total", "dc_next"),
            ("inputs", "analytic"), ("cache_forward", "cache_backward"), ("da_forward", "da_backward"),
            ("forward", "backward")]
KEY_SIBLINGS = [("Wf", "Wi", "Wc", "Wo"), ("bf", "bi", "bc", "bo"), ("Wz", "Wr", "Wh"), ("bz", "br", "bh"),
                ("dWf", "dWi"), ("dbf", "dbi"), ("da_prev", "dxt"), ("f", "i", "c", "o")]
#: A function called where another belongs, and calls a learner may forget (f(x) -> x).
FUNCTION_SWAPS = {"np.tanh": ["sigmoid", "np.exp"], "sigmoid": ["np.tanh"], "np.sum": ["np.mean"], "np.max": ["np.min"],
                  "np.exp": ["np.tanh"]}
UNWRAP = {"np.tanh", "sigmoid", "np.exp", "reversed", "float", "np.sum", "softmax"}
SWAP_OPERATORS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


def _siblings(value, groups, present):
    for group in groups:
        if value in group:
            return [other for other in group if other != value and (present is None or other in present)]
    return []


def _edits(node, names):
    """The single edits possible at one AST node, as functions that return the replacement node."""
    edits = []
    if isinstance(node, ast.BinOp):
        if type(node.op) in SWAP_OPERATORS:
            edits.append(lambda n: ast.BinOp(n.left, SWAP_OPERATORS[type(n.op)](), n.right))
        if isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult)):
            edits.append(lambda n: ast.BinOp(n.right, n.op, n.left))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            edits.append(lambda n: n.left)
            edits.append(lambda n: n.right)
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        edits.append(lambda n: ast.Constant(not n.value))
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        for new in {0: [1], 1: [0, 2], 2: [1, 3]}.get(node.value, [node.value + 1]):
            edits.append(lambda n, new=new: ast.Constant(new))
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        for other in _siblings(node.value, KEY_SIBLINGS, None):
            edits.append(lambda n, other=other: ast.Constant(other))
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        edits.append(lambda n: n.value)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        edits.append(lambda n: n.operand)
    elif isinstance(node, ast.Slice) and (node.lower is None) != (node.upper is None) and node.step is None:
        edits.append(lambda n: ast.Slice(lower=n.upper, upper=n.lower))
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        for other in _siblings(node.id, SIBLINGS, names):
            edits.append(lambda n, other=other: ast.Name(other, ast.Load()))
        if node.id == "t":  # an index one step off
            edits.append(lambda n: ast.BinOp(ast.Name("t", ast.Load()), ast.Sub(), ast.Constant(1)))
    elif isinstance(node, ast.Call):
        called = ast.unparse(node.func)
        for other in FUNCTION_SWAPS.get(called, []):
            if other in ("sigmoid",) and other not in names:
                continue
            edits.append(lambda n, other=other: ast.Call(ast.parse(other, mode="eval").body, n.args, n.keywords))
        if called in UNWRAP and node.args:
            edits.append(lambda n: n.args[0])
    return edits


def _body_nodes(tree):
    """The nodes of the answer's function bodies (docstrings excluded), in a fixed order."""
    nodes = []
    for function in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
        body = function.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        for statement in body:
            nodes.extend(ast.walk(statement))
    return nodes


def mutants(source):
    """Every single-edit mutant of the functions in ``source``, as (description, new source)."""
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    count = [len(_edits(node, names)) for node in _body_nodes(tree)]
    for index, n_edits in enumerate(count):
        for which in range(n_edits):
            mutated = copy.deepcopy(tree)
            node = _body_nodes(mutated)[index]
            replacement = _edits(node, names)[which](node)
            if not _replace(mutated, node, replacement):
                continue
            ast.fix_missing_locations(mutated)
            try:
                text = ast.unparse(mutated)
            except Exception:
                continue
            yield f"{type(node).__name__} at line {getattr(node, 'lineno', '?')}: {ast.unparse(node)} -> " \
                  f"{ast.unparse(replacement)}", text


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return True
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return True
    return False


# --- probing what an answer computes -----------------------------------------------------------------------------


def _flatten(value, prefix="out"):
    """Every number an answer returns, as (path, array), for comparing two answers."""
    if isinstance(value, dict):
        items = []
        for key in sorted(value, key=str):
            items += _flatten(value[key], f"{prefix}[{key!r}]")
        return items + [(prefix + ".keys", np.array(sorted(map(str, value))))]
    if isinstance(value, (tuple, list)):
        items = [(prefix + ".len", np.array(len(value)))]
        for i, item in enumerate(value):
            items += _flatten(item, f"{prefix}[{i}]")
        return items
    if isinstance(value, (np.ndarray, np.generic, float, int)):
        array = np.asarray(value)
        return [(prefix, array), (prefix + ".dtype", np.array(str(array.dtype)))]
    return [(prefix + ".type", np.array(type(value).__name__))]


def same_behaviour(a, b):
    """Whether two results agree (to 1e-9 relative) in every number, shape, dtype, key and length."""
    fa, fb = _flatten(a), _flatten(b)
    if [p for p, _ in fa] != [p for p, _ in fb]:
        return False
    for (_, x), (_, y) in zip(fa, fb, strict=True):
        if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
            return False
        if x.dtype.kind in "fc":
            if not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def probe(exercise, namespace, seed=12345):
    """Run the exercise's function from ``namespace`` on fresh inputs; return what it returned and its inputs after.

    Exceptions are returned as their type name, so that an answer that raises differs from one that does not.
    """
    import lstm
    from grading.cases import bidirectional_cases, cell_cases, gru_cases, sequence_cases

    rng = np.random.default_rng(seed)
    results = []

    def run(function, *args):
        kept = copy.deepcopy(args)
        try:
            with np.errstate(all="ignore"):
                out = function(*args)
        except Exception as error:
            out = f"raised {type(error).__name__}"
        results.append((out, "inputs unchanged" if same_behaviour(kept, args) else "inputs modified"))

    f = namespace.get(exercise)
    if f is None:
        return "missing"
    if exercise == "softmax":
        for shape in [(3, 5), (1, 2), (4, 1), (6, 6)]:
            run(f, rng.normal(0, 3, size=shape))
        run(f, np.array([[900.0, -5.0], [0.0, 700.0]]))
    elif exercise == "lstm_cell_forward":
        for case in cell_cases(seed):
            v = case.values
            run(f, v["xt"], v["a_prev"], v["c_prev"], v["parameters"])
    elif exercise == "lstm_forward":
        for case in sequence_cases(seed):
            v = case.values
            run(f, v["x"], v["a0"], v["parameters"])
    elif exercise == "lstm_cell_backward":
        for case in cell_cases(seed):
            v = case.values
            cache = lstm.lstm_cell_forward(v["xt"], v["a_prev"], v["c_prev"], v["parameters"])[3]
            run(f, v["da_next"], v["dc_next"], cache)
    elif exercise == "lstm_backward":
        for case in sequence_cases(seed):
            v = case.values
            run(f, v["da"], lstm.lstm_forward(v["x"], v["a0"], v["parameters"])[3])
    elif exercise == "numerical_gradient":
        w = rng.normal(size=(2, 3))
        for eps in (1e-3, 1e-5):
            run(f, lambda x: np.sum(w * np.exp(x)) + np.sum(x) ** 3, rng.normal(size=(2, 3)), eps)
        run(f, lambda x: np.sum(np.sin(x)) * x.flat[0], rng.normal(size=(3, 1, 2)))
    elif exercise == "relative_error":
        for a, n in [(rng.normal(size=(3, 2)), rng.normal(size=(3, 2))), (np.zeros(3), np.zeros(3)),
                     (np.ones(4), 2 * np.ones(4)), (rng.normal(size=5), np.zeros(5))]:
            run(f, a, n)
    elif exercise == "gradient_check":
        W, x = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
        dz = 1 - np.tanh(W @ x) ** 2
        run(f, lambda d: np.sum(np.tanh(d["W"] @ d["x"])), {"W": W, "x": x}, {"W": dz @ x.T, "x": 1.2 * W.T @ dz})
        run(f, lambda d: np.sum(np.tanh(d["W"] @ d["x"])), {"W": W, "x": x}, {"x": W.T @ dz})
    elif exercise == "cell_gradient_errors":
        from grading.mistakes import cell_backward_with

        for case, mistake in zip(cell_cases(seed)[:3], (None, "no-tanh-prime", "dc_prev-no-da-path"), strict=True):
            v = case.values
            errors = None
            try:
                def backward(da, dc, cache, m=mistake):
                    return cell_backward_with(da, dc, cache, m)

                errors = f(lstm.lstm_cell_forward, backward, v["xt"], v["a_prev"], v["c_prev"], v["parameters"],
                           v["da_next"], v["dc_next"])
            except Exception as error:
                errors = f"raised {type(error).__name__}"
            # Tiny errors of a right gradient differ by rounding only: compare them as "below 1e-7".
            if isinstance(errors, dict):
                errors = {k: (float(e) < 1e-7) if float(e) < 1e-7 else round(float(e), 6)
                          for k, e in errors.items()}
            results.append((errors, None))
    elif exercise == "gru_cell_forward":
        for case in gru_cases(seed):
            v = case.values
            try:
                results.append((f(v["xt"], v["a_prev"], v["parameters"])[0], None))
            except Exception as error:
                results.append((f"raised {type(error).__name__}", None))
    elif exercise == "gru_cell_backward":
        forward = namespace["gru_cell_forward"]
        for case in gru_cases(seed):
            v = case.values
            run(f, v["da_next"], forward(v["xt"], v["a_prev"], v["parameters"])[1])
    elif exercise == "bidirectional_lstm_backward":
        for case in bidirectional_cases(seed):
            v = case.values
            caches = lstm.stacked_lstm_forward(v["x"], [v["layer"]], bidirectional=True)[1][0][0]
            run(f, v["da"], caches)
    else:
        raise KeyError(exercise)
    return results


def same_results(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    for (out_a, in_a), (out_b, in_b) in zip(a, b, strict=True):
        if isinstance(out_a, str) or isinstance(out_b, str):
            if not (isinstance(out_a, str) and isinstance(out_b, str) and out_a == out_b):
                return False
        elif not same_behaviour(out_a, out_b):
            return False
        if in_a != in_b:
            return False
    return True
