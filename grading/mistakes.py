"""Deliberately mistaken versions of the reference, one mistake at a time, to recognise a learner's mistake.

Each ``*_MISTAKES`` dict maps a key to the hint shown when the learner's output matches the reference with that
mistake. The functions below are the reference computations written the way a learner writes them, with an
``if mistake == ...`` at every place where a typical mistake changes one line. ``mistake=None`` gives the right
answer, which the tests check against the :mod:`lstm` package.
"""

import numpy as np

from lstm.activations import sigmoid
from lstm.activations import softmax as reference_softmax
from lstm.cell import lstm_cell_backward, lstm_cell_forward

GATE_NAMES = {"f": "the forget gate Γf", "i": "the update gate Γu", "c": "the candidate c̃", "o": "the output gate Γo"}
GATE_EQUATIONS = {"f": "(1)", "i": "(2)", "c": "(3)", "o": "(5)"}

# --- softmax ------------------------------------------------------------------------------------------------

UNSTABLE = ("it overflows or underflows for large scores: subtract each column's own maximum, "
            "np.max(z, axis=0, keepdims=True), before exponentiating")
SOFTMAX_MISTAKES = {
    "axis-1": "it normalises over axis 1 (the batch); each column is one example, so sum over axis 0",
    "no-exp": "it divides the scores by their sum without exponentiating them first",
    "sum-all": "it divides by the sum over the whole array; divide each column by its own sum "
               "(np.sum(e, axis=0, keepdims=True))",
    "no-max-shift": UNSTABLE,
    "max-all": UNSTABLE,
}


def softmax_with(z, mistake=None):
    """Softmax over axis 0, with one of :data:`SOFTMAX_MISTAKES`."""
    if mistake == "axis-1":
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)
    if mistake == "no-exp":
        return z / np.sum(z, axis=0, keepdims=True)
    if mistake == "sum-all":
        e = np.exp(z - np.max(z, axis=0, keepdims=True))
        return e / np.sum(e)
    if mistake == "max-all":
        e = np.exp(z - np.max(z))
        return e / np.sum(e, axis=0, keepdims=True)
    if mistake == "no-max-shift":
        e = np.exp(z)
        return e / np.sum(e, axis=0, keepdims=True)
    return reference_softmax(z)


# --- the cell's forward pass ----------------------------------------------------------------------------------

CELL_FORWARD_MISTAKES = {
    "stack-order": "it stacks [xt; a_prev]; the gates act on [a_prev; xt], the hidden state on top: "
                   "np.concatenate([a_prev, xt], axis=0)",
    "forget-update-swapped": "the forget and update gates are swapped in (4): c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γu ⊙ c̃⟨t⟩",
    "a_prev-for-c_prev": "(4) uses a_prev where c_prev belongs: the forget gate scales the previous *cell* state",
    "no-update-gate": "(4) adds c̃⟨t⟩ without the update gate: c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γu ⊙ c̃⟨t⟩",
    "no-forget-gate": "(4) keeps c⟨t−1⟩ without the forget gate: c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γu ⊙ c̃⟨t⟩",
    "candidate-sigmoid": "the candidate c̃ uses σ; (3) squashes it with tanh",
    "no-tanh-in-a": "(6) needs tanh of the cell state: a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩)",
    "sigmoid-in-a": "(6) squashes the cell state with σ; it is tanh: a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩)",
    "candidate-in-a": "(6) uses the candidate c̃ where the new cell state c⟨t⟩ belongs",
    "c_prev-in-a": "(6) uses c_prev where the new cell state c_next belongs",
    "y-from-c": "the prediction uses c⟨t⟩; it is softmax(Wy a⟨t⟩ + by)",
    "y-from-a_prev": "the prediction uses a_prev; it is softmax(Wy a⟨t⟩ + by) with the new hidden state",
    "y-no-softmax": "the prediction is missing its softmax: ŷ⟨t⟩ = softmax(Wy a⟨t⟩ + by)",
    "y-sigmoid": "the prediction uses σ; it is a softmax over the classes (axis 0)",
    "y-softmax-axis-1": "the prediction's softmax normalises over the batch (axis 1); normalise each column (axis 0)",
    "y-no-bias": "the prediction is missing its bias by: ŷ⟨t⟩ = softmax(Wy a⟨t⟩ + by)",
}
for _g in "fico":
    CELL_FORWARD_MISTAKES[f"no-bias-{_g}"] = (f"{GATE_NAMES[_g]} is missing its bias b{_g}, "
                                              f"equation {GATE_EQUATIONS[_g]}")
    if _g != "c":
        CELL_FORWARD_MISTAKES[f"tanh-{_g}"] = (f"{GATE_NAMES[_g]} uses tanh; a gate is a sigmoid σ, "
                                               f"equation {GATE_EQUATIONS[_g]}")
    for _h in "fico":
        if _h != _g:
            CELL_FORWARD_MISTAKES[f"weights-{_g}-{_h}"] = (
                f"{GATE_NAMES[_g]} uses W{_h} or b{_h}; each gate has its own weights: "
                f"W{_g}, b{_g} in equation {GATE_EQUATIONS[_g]}")
del _g, _h


def cell_forward_with(xt, a_prev, c_prev, p, mistake=None):
    """``(a_next, c_next, yt_pred)`` of one LSTM step, with one of :data:`CELL_FORWARD_MISTAKES`."""
    concat = np.concatenate([xt, a_prev] if mistake == "stack-order" else [a_prev, xt], axis=0)

    def gate(g):
        h = g
        for other in "fico":
            if mistake == f"weights-{g}-{other}":
                h = other
        z = p["W" + h] @ concat + (0 if mistake == f"no-bias-{g}" else p["b" + h])
        if g == "c":
            return sigmoid(z) if mistake == "candidate-sigmoid" else np.tanh(z)
        return np.tanh(z) if mistake == f"tanh-{g}" else sigmoid(z)

    ft, it, cct, ot = gate("f"), gate("i"), gate("c"), gate("o")
    if mistake == "forget-update-swapped":
        ft, it = it, ft
    remembered = a_prev if mistake == "a_prev-for-c_prev" else c_prev
    c_next = ((1 if mistake == "no-forget-gate" else ft) * remembered
              + (1 if mistake == "no-update-gate" else it) * cct)
    squashed = {"no-tanh-in-a": c_next, "sigmoid-in-a": sigmoid(c_next), "candidate-in-a": np.tanh(cct),
                "c_prev-in-a": np.tanh(c_prev)}.get(mistake, np.tanh(c_next))
    a_next = ot * squashed
    source = {"y-from-c": c_next, "y-from-a_prev": a_prev}.get(mistake, a_next)
    scores = p["Wy"] @ source + (0 if mistake == "y-no-bias" else p["by"])
    if mistake == "y-no-softmax":
        yt_pred = scores
    elif mistake == "y-sigmoid":
        yt_pred = sigmoid(scores)
    elif mistake == "y-softmax-axis-1":
        yt_pred = softmax_with(scores, "axis-1")
    else:
        yt_pred = reference_softmax(scores)
    return a_next, c_next, yt_pred


# --- the cell's backward pass -------------------------------------------------------------------------------

CELL_BACKWARD_MISTAKES = {
    "no-tanh-prime": "the gradient reaching c⟨t⟩ through a⟨t⟩ is missing the tanh′ factor: "
                     "dc_total = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c⟨t⟩))",
    "tanh-prime-unsquared": "tanh′(c) is 1 − tanh(c)², not 1 − tanh(c): check dc_total",
    "tanh-prime-of-cct": "dc_total uses tanh′ of the candidate; the path through a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩) "
                         "needs 1 − tanh²(c⟨t⟩)",
    "no-dc_next": "dc_total forgets dc_next, the gradient arriving from step t+1: "
                  "dc_total = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c⟨t⟩))",
    "no-da-path": "dc_total forgets the path through a⟨t⟩: dc_total = dc_next + da_next ⊙ Γo ⊙ (1 − tanh²(c⟨t⟩))",
    "c_next-for-c_prev": "(10) uses c_next where c_prev belongs: the forget gate multiplies c⟨t−1⟩",
    "cct-for-c_prev": "(10) uses c̃ where c_prev belongs: the forget gate multiplies c⟨t−1⟩ (a published erratum)",
    "forget-update-swapped": "the forget and update gates are swapped in (9)/(10): "
                             "dzi = dc_total ⊙ c̃ ⊙ Γu(1 − Γu), dzf = dc_total ⊙ c⟨t−1⟩ ⊙ Γf(1 − Γf)",
    "dzf-sigmoid-prime-of-it": "(10) uses the update gate's σ′; it is Γf(1 − Γf)",
    "dzi-sigmoid-prime-of-ft": "(9) uses the forget gate's σ′; it is Γu(1 − Γu)",
    "sigmoid-tanh-swapped": "the σ′ and tanh′ factors are swapped: the candidate's is 1 − c̃², a gate's is Γ(1 − Γ)",
    "dzc-sigmoid-prime": "(8) uses σ′ for the candidate; c̃ is a tanh, so its factor is 1 − c̃²",
    "dzc-stray-cct": "(8) multiplies by a stray c̃: dzc = dc_total ⊙ Γu ⊙ (1 − c̃²) (a published erratum)",
    "dzc-tanh-of-cct": "(8) uses tanh(c̃)² where c̃² belongs: c̃ is already a tanh, so tanh′ = 1 − c̃² "
                       "(a published erratum)",
    "dzc-no-update-gate": "(8) is missing the update gate: dzc = dc_total ⊙ Γu ⊙ (1 − c̃²)",
    "dzc-it-for-cct": "(8) uses the wrong gate values: dzc = dc_total ⊙ Γu ⊙ (1 − c̃²)",
    "dzi-no-cct": "(9) is missing c̃: dzi = dc_total ⊙ c̃ ⊙ Γu(1 − Γu)",
    "dzi-it-for-cct": "(9) uses Γu (it) where c̃ (cct) belongs: dzi = dc_total ⊙ c̃ ⊙ Γu(1 − Γu)",
    "dzi-ft-for-cct": "(9) uses Γf (ft) where c̃ (cct) belongs: dzi = dc_total ⊙ c̃ ⊙ Γu(1 − Γu)",
    "dzc-ft-for-it": "(8) uses Γf (ft) where Γu (it) belongs: dzc = dc_total ⊙ Γu ⊙ (1 − c̃²)",
    "dzc-ot-for-it": "(8) uses Γo (ot) where Γu (it) belongs: dzc = dc_total ⊙ Γu ⊙ (1 − c̃²)",
    "a_prev-for-c_prev": "(10) uses a_prev where c_prev belongs: dzf = dc_total ⊙ c⟨t−1⟩ ⊙ Γf(1 − Γf)",
    "dzo-ot-for-tanh": "(7) uses Γo where tanh(c⟨t⟩) belongs: dzo = da_next ⊙ tanh(c⟨t⟩) ⊙ Γo(1 − Γo)",
    "dzo-no-sigmoid-prime": "(7) is missing the σ′ factor Γo(1 − Γo)",
    "dzo-c-not-tanh": "(7) uses c⟨t⟩ where tanh(c⟨t⟩) belongs: dzo = da_next ⊙ tanh(c⟨t⟩) ⊙ Γo(1 − Γo)",
    "dzo-dc_total": "(7) uses dc_total; the output gate only receives da_next: "
                    "dzo = da_next ⊙ tanh(c⟨t⟩) ⊙ Γo(1 − Γo)",
    "stack-order": "the weight gradients use [xt; a_prev]; the gates act on [a_prev; xt], the hidden state on top",
    "slices-swapped": "da_prev and dxt use each other's columns: the first n_a columns W[:, :n_a] multiply "
                      "a_prev, the last n_x columns W[:, n_a:] multiply xt",
    "rows-not-columns": "the weights are sliced by rows, W[:n_a, :]; the columns W[:, :n_a] multiply a_prev and "
                        "W[:, n_a:] multiply xt (a published erratum)",
    "no-transpose": "da_prev and dxt need the transposed weights: W[:, :n_a].T @ dz",
    "db-no-keepdims": "the bias gradients lost their second axis: np.sum(dz, axis=1, keepdims=True) has shape "
                      "(n_a, 1)",
    "db-axis-0": "the bias gradients are summed over axis 0 (the units); sum over the batch, axis 1, "
                 "with keepdims=True",
    "db-sum-all": "the bias gradients are summed over everything; sum over the batch only: "
                  "np.sum(dz, axis=1, keepdims=True)",
    "db-no-sum": "the bias gradients are not summed over the batch: np.sum(dz, axis=1, keepdims=True)",
    "dW-mean": "the weight and bias gradients are divided by m; the sum over the batch is the gradient here",
    "batch-summed-away": "da_prev, dc_prev or dxt are summed over the batch; they keep one column per example, "
                         "(n, m)",
    "dc_prev-no-da-path": "(16) uses dc_next alone; dc_prev = dc_total ⊙ Γf, with dc_total including the path "
                          "through a⟨t⟩",
    "dc_prev-wrong-gate": "(16) uses the wrong gate: dc_prev = dc_total ⊙ Γf",
    "da_prev-missing-gate": "(15) is missing one gate's term: da_prev sums Wf, Wi, Wc and Wo terms",
    "dxt-missing-gate": "(17) is missing one gate's term: dxt sums Wf, Wi, Wc and Wo terms",
    "keys-swapped": "two gradients are returned under each other's names: check the dict keys",
}


def cell_backward_with(da_next, dc_next, cache, mistake=None):
    """The gradients of one LSTM step, with one of :data:`CELL_BACKWARD_MISTAKES`."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    concat = np.concatenate([xt, a_prev] if mistake == "stack-order" else [a_prev, xt], axis=0)
    tanh_c = np.tanh(c_next)
    tanh_prime = {"no-tanh-prime": 1, "tanh-prime-unsquared": 1 - tanh_c,
                  "tanh-prime-of-cct": 1 - np.tanh(cct) ** 2}.get(mistake, 1 - tanh_c**2)
    through_a = 0 if mistake == "no-da-path" else da_next * ot * tanh_prime
    dc_total = (0 if mistake == "no-dc_next" else dc_next) + through_a

    dzo = (dc_total if mistake == "dzo-dc_total" else da_next) * {"dzo-c-not-tanh": c_next,
                                                                   "dzo-ot-for-tanh": ot}.get(mistake, tanh_c)
    dzo = dzo * (1 if mistake == "dzo-no-sigmoid-prime" else ot * (1 - ot))
    cand_prime = {"sigmoid-tanh-swapped": cct * (1 - cct), "dzc-sigmoid-prime": cct * (1 - cct),
                  "dzc-stray-cct": cct * (1 - cct**2), "dzc-tanh-of-cct": 1 - np.tanh(cct) ** 2}.get(
        mistake, 1 - cct**2)
    dzc = dc_total * {"dzc-no-update-gate": 1, "dzc-it-for-cct": cct, "dzc-ft-for-it": ft,
                      "dzc-ot-for-it": ot}.get(mistake, it) * cand_prime
    it_prime = it * (1 - it)
    ft_prime = ft * (1 - ft)
    if mistake == "sigmoid-tanh-swapped":
        it_prime, ft_prime = 1 - it**2, 1 - ft**2
    dzi = dc_total * {"dzi-no-cct": 1, "dzi-it-for-cct": it, "dzi-ft-for-cct": ft}.get(mistake, cct) * (
        ft_prime if mistake == "dzi-sigmoid-prime-of-ft" else it_prime)
    remembered = {"c_next-for-c_prev": c_next, "cct-for-c_prev": cct, "a_prev-for-c_prev": a_prev}.get(
        mistake, c_prev)
    dzf = dc_total * remembered * (it_prime if mistake == "dzf-sigmoid-prime-of-it" else ft_prime)
    if mistake == "forget-update-swapped":
        dzi = dc_total * cct * ft_prime
        dzf = dc_total * c_prev * it_prime

    scale = concat.shape[1] if mistake == "dW-mean" else 1
    grads = {}
    for g, dz in zip("fico", (dzf, dzi, dzc, dzo), strict=False):
        grads["dW" + g] = dz @ concat.T / scale
        if mistake == "db-no-keepdims":
            grads["db" + g] = np.sum(dz, axis=1)
        elif mistake == "db-axis-0":
            grads["db" + g] = np.sum(dz, axis=0, keepdims=True)
        elif mistake == "db-sum-all":
            grads["db" + g] = np.sum(dz)
        elif mistake == "db-no-sum":
            grads["db" + g] = dz
        else:
            grads["db" + g] = np.sum(dz, axis=1, keepdims=True) / scale

    def block(W, rows_of_a):
        if mistake == "rows-not-columns":
            return W[:n_a, :] if rows_of_a else W[n_a:, :]
        if mistake == "slices-swapped":
            rows_of_a = not rows_of_a
        return W[:, :n_a] if rows_of_a else W[:, n_a:]

    def back(rows_of_a, skip):
        total = 0
        for g, dz in zip("fico", (dzf, dzi, dzc, dzo), strict=False):
            if g == skip:
                continue
            W = block(p["W" + g], rows_of_a)
            total = total + ((W @ dz) if mistake == "no-transpose" else (W.T @ dz))
        return total

    da_prev = back(True, "c" if mistake == "da_prev-missing-gate" else None)
    dxt = back(False, "c" if mistake == "dxt-missing-gate" else None)
    dc_prev = {"dc_prev-no-da-path": dc_next * ft, "dc_prev-wrong-gate": dc_total * it}.get(mistake, dc_total * ft)
    if mistake == "batch-summed-away":
        da_prev, dc_prev, dxt = (np.sum(v, axis=1, keepdims=True) for v in (da_prev, dc_prev, dxt))
    result = {"dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev, **grads}
    if mistake == "keys-swapped":
        result["dWf"], result["dWi"] = result["dWi"], result["dWf"]
    return result


# --- the sequence's forward pass ------------------------------------------------------------------------------

SEQUENCE_FORWARD_MISTAKES = {
    "c0-is-a0": "the cell state must start at zeros, c⟨0⟩ = 0, not at a0",
    "no-a-feedback": "every step starts from a0: pass the new hidden state a_next on to the next step",
    "no-c-feedback": "every step starts from a zero cell state: pass c_next on to the next step",
    "store-previous": "a[:, :, t] and c[:, :, t] must hold the new states a⟨t⟩, c⟨t⟩ that step t returns, "
                      "not the states it started from",
    "reversed-time": "the steps run backwards in time; the forward pass goes t = 0, 1, ..., T_x − 1",
    "first-input-only": "every step reads x[:, :, 0]; step t reads x[:, :, t]",
    "y-last-step-only": "only the last prediction is stored; store y[:, :, t] at every step",
}


def sequence_forward_with(x, a0, parameters, mistake=None):
    """``(a, y, c)`` of :func:`lstm.lstm_forward`, with one of :data:`SEQUENCE_FORWARD_MISTAKES`."""
    n_x, m, T_x = x.shape
    n_a, n_y = a0.shape[0], parameters["Wy"].shape[0]
    a, c, y = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    a_next, c_next = a0, (a0 if mistake == "c0-is-a0" else np.zeros((n_a, m)))
    steps = reversed(range(T_x)) if mistake == "reversed-time" else range(T_x)
    for t in steps:
        xt = x[:, :, 0] if mistake == "first-input-only" else x[:, :, t]
        a_prev, c_prev = a_next, c_next
        if mistake == "no-a-feedback":
            a_prev = a0
        if mistake == "no-c-feedback":
            c_prev = np.zeros((n_a, m))
        a_next, c_next, yt_pred, _ = lstm_cell_forward(xt, a_prev, c_prev, parameters)
        if mistake == "store-previous":
            a[:, :, t], c[:, :, t] = a_prev, c_prev
        else:
            a[:, :, t], c[:, :, t] = a_next, c_next
        if mistake != "y-last-step-only" or t == T_x - 1:
            y[:, :, t] = yt_pred
    return {"a": a, "y": y, "c": c}


# --- backpropagation through time ------------------------------------------------------------------------------

SEQUENCE_BACKWARD_MISTAKES = {
    "no-dc-passed": "dc_prev is not passed back: the cell-state gradient dc_prev of step t+1 is dc_next of step t",
    "no-da-passed": "da_prev is not passed back: step t receives da[:, :, t] plus the da_prev of step t+1",
    "da-only-upstream": "da_prev is not passed back: step t receives da[:, :, t] plus the da_prev of step t+1",
    "da-not-added": "the upstream gradient da[:, :, t] is not added: step t receives da[:, :, t] plus the "
                    "da_prev of step t+1",
    "not-accumulated": "the weight gradients are overwritten at every step; add them up (+=) over the steps",
    "forward-order": "the steps are visited forwards; backpropagation through time goes from t = T_x − 1 down to 0",
    "da0-is-da": "da0 is the gradient da_prev that comes out of the first step (t = 0)",
    "dx-reversed": "dx[:, :, t] must hold the dxt of step t",
    "dc-passed-as-da": "da_prev and dc_prev are passed back into each other's places",
}


def sequence_backward_with(da, caches, mistake=None):
    """The gradients of :func:`lstm.lstm_backward`, with one of :data:`SEQUENCE_BACKWARD_MISTAKES`."""
    step_caches, x = caches
    n_x, m, T_x = x.shape
    n_a = step_caches[0][0].shape[0]
    keys = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
    gradients = {key: np.zeros_like(step_caches[0][9][key[1:]], dtype=float) for key in keys}
    dx = np.zeros((n_x, m, T_x))
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    steps = range(T_x) if mistake == "forward-order" else reversed(range(T_x))
    for t in steps:
        da_next = {"da-not-added": da_prevt, "da-only-upstream": da[:, :, t]}.get(mistake, da[:, :, t] + da_prevt)
        step = lstm_cell_backward(da_next, dc_prevt, step_caches[t])
        dx[:, :, T_x - 1 - t if mistake == "dx-reversed" else t] = step["dxt"]
        for key in keys:
            gradients[key] = step[key] + (0 if mistake == "not-accumulated" else gradients[key])
        if mistake != "no-da-passed":
            da_prevt = step["dc_prev"] if mistake == "dc-passed-as-da" else step["da_prev"]
        if mistake != "no-dc-passed":
            dc_prevt = step["da_prev"] if mistake == "dc-passed-as-da" else step["dc_prev"]
    da0 = da[:, :, 0] if mistake == "da0-is-da" else da_prevt
    return {"dx": dx, "da0": da0, **gradients}
