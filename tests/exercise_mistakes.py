"""Wrong answers, as a learner would write them, and a fast in-process runner for graded notebooks.

Each :data:`MISTAKES` entry edits one answer of a solved notebook (``old`` -> ``new``, in the answer cell's source)
and says which exercise must then fail and which words its hint must contain. The tests run them through the
grader; most with :func:`run_in_process`, a runner that executes the graded copy's cells in one namespace and
compares printed output with the stored output as nbval does, and a sample through the real ``lstm-grade`` (nbval).
"""

import io
import linecache
import signal
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    set: str
    exercise: str
    old: str
    new: str
    hint: str  # words the first failure's hint must contain

    @property
    def id(self):
        return f"{self.set[:2]}-{self.exercise}-{self.hint[:40]}"


M = Mistake
S1, S2, S3, S4, S5, S6, S7 = ("01_cell_forward", "02_sequence_forward", "03_cell_backward",
                              "04_backprop_through_time", "05_gradient_checker", "06_gru_cell",
                              "07_bidirectional_backward")

#: The return statement of the solved gru_cell_backward (edited whole by a wrong answer below).
GRU_GRADIENTS = ('return {"dxt": dxt, "da_prev": da_prev,\n'
                 '            "dWz": dz_update @ concat.T,\n'
                 '            "dbz": np.sum(dz_update, axis=1, keepdims=True),\n'
                 '            "dWr": dz_reset @ concat.T,\n'
                 '            "dbr": np.sum(dz_reset, axis=1, keepdims=True),\n'
                 '            "dWh": dz_cand @ concat_reset.T,\n'
                 '            "dbh": np.sum(dz_cand, axis=1, keepdims=True)}')

#: Two lines of the solved bidirectional_lstm_backward that several wrong answers below edit.
BACKWARD_DIRECTION_CALL = "lstm_backward(np.flip(da_backward, axis=2), cache_backward)"
BIDIRECTIONAL_DX = 'dx = forward["dx"] + np.flip(backward["dx"], axis=2)'

MISTAKES = [
    # --- set 1: softmax --------------------------------------------------------------------------------------------
    M(S1, "softmax", "np.max(z, axis=0, keepdims=True))\n    return e / np.sum(e, axis=0, keepdims=True)",
      "np.max(z, axis=1, keepdims=True))\n    return e / np.sum(e, axis=1, keepdims=True)", "normalises over axis 1"),
    M(S1, "softmax", "np.exp(z - np.max(z, axis=0, keepdims=True))", "np.exp(z)", "overflows or underflows"),
    M(S1, "softmax", "e / np.sum(e, axis=0, keepdims=True)", "e / np.sum(e)", "sum over the whole array"),
    M(S1, "softmax", "np.max(z, axis=0, keepdims=True)", "np.max(z)", "overflows or underflows"),
    M(S1, "softmax", "np.max(z, axis=0, keepdims=True)", "np.mean(z, axis=0, keepdims=True)",
      "overflows or underflows"),
    M(S1, "softmax", "return e / np.sum(e, axis=0, keepdims=True)", "return e / np.sum(e, axis=0, keepdims=True).T",
      "softmax"),
    # --- set 1: the cell forward -----------------------------------------------------------------------------------
    M(S1, "lstm_cell_forward", "np.concatenate([a_prev, xt], axis=0)", "np.concatenate([xt, a_prev], axis=0)",
      "stacks [xt; a_prev]"),
    M(S1, "lstm_cell_forward", "c_next = ft * c_prev + it * cct", "c_next = ft * a_prev + it * cct",
      "uses a_prev where c_prev belongs"),
    M(S1, "lstm_cell_forward", "c_next = ft * c_prev + it * cct", "c_next = it * c_prev + ft * cct",
      "forget and update gates are swapped"),
    M(S1, "lstm_cell_forward", "a_next = ot * np.tanh(c_next)", "a_next = ot * c_next", "needs tanh"),
    M(S1, "lstm_cell_forward", "a_next = ot * np.tanh(c_next)", "a_next = ot * np.tanh(c_prev)",
      "uses c_prev where the new cell state"),
    M(S1, "lstm_cell_forward", "cct = np.tanh(", "cct = sigmoid(", "candidate c̃ uses σ"),
    M(S1, "lstm_cell_forward", "ft = sigmoid(", "ft = np.tanh(", "forget gate Γf uses tanh"),
    M(S1, "lstm_cell_forward", 'it = sigmoid(parameters["Wi"] @ concat + parameters["bi"])',
      'it = sigmoid(parameters["Wf"] @ concat + parameters["bf"])', "update gate Γu uses Wf or bf"),
    M(S1, "lstm_cell_forward", 'ot = sigmoid(parameters["Wo"] @ concat + parameters["bo"])',
      'ot = sigmoid(parameters["Wo"] @ concat)', "missing its bias bo"),
    M(S1, "lstm_cell_forward", 'parameters["Wy"] @ a_next', 'parameters["Wy"] @ c_next', "prediction uses c⟨t⟩"),
    M(S1, "lstm_cell_forward", 'parameters["Wy"] @ a_next + parameters["by"]', 'parameters["Wy"] @ a_next',
      "missing its bias by"),
    M(S1, "lstm_cell_forward", "cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)",
      "cache = (a_next, c_next, a_prev, c_prev, it, ft, cct, ot, xt, parameters)", "cache[4] holds it, expected ft"),
    M(S1, "lstm_cell_forward", "cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)",
      "cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, parameters)", "tuple of 10 items"),
    M(S1, "lstm_cell_forward", "c_next = ft * c_prev + it * cct", "c_prev *= ft\n    c_next = c_prev + it * cct",
      "modified its input `c_prev`"),
    M(S1, "lstm_cell_forward", "return a_next, c_next, yt_pred, cache", "return c_next, a_next, yt_pred, cache",
      "holds what belongs in"),
    # --- set 2: the sequence forward -------------------------------------------------------------------------------
    M(S2, "lstm_forward", "c_next = np.zeros((n_a, m))", "c_next = a0", "must start at zeros"),
    M(S2, "lstm_forward", "lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)",
      "lstm_cell_forward(x[:, :, t], a0, c_next, parameters)", "every step starts from a0"),
    M(S2, "lstm_forward", "lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)",
      "lstm_cell_forward(x[:, :, 0], a_next, c_next, parameters)", "every step reads x[:, :, 0]"),
    M(S2, "lstm_forward", "for t in range(T_x):", "for t in reversed(range(T_x)):", "steps run backwards"),
    M(S2, "lstm_forward", "step_caches.append(cache)", "step_caches = [cache]", "list of T_x"),
    M(S2, "lstm_forward", "return a, y, c, (step_caches, x)", "return a, c, y, (step_caches, x)",
      "holds what belongs in"),
    M(S2, "lstm_forward", "return a, y, c, (step_caches, x)", "return a, y, c, step_caches",
      "caches must be the pair"),
    M(S2, "lstm_forward", "        y[:, :, t] = yt_pred\n", "", "y"),
    # --- set 3: the cell backward ----------------------------------------------------------------------------------
    M(S3, "lstm_cell_backward", "dc_total = dc_next + da_next * ot * (1 - tanh_c**2)",
      "dc_total = dc_next + da_next * ot", "missing the tanh′ factor"),
    M(S3, "lstm_cell_backward", "dc_total = dc_next + da_next * ot * (1 - tanh_c**2)",
      "dc_total = da_next * ot * (1 - tanh_c**2)", "forgets dc_next"),
    M(S3, "lstm_cell_backward", "dzf = dc_total * c_prev * ft * (1 - ft)", "dzf = dc_total * c_next * ft * (1 - ft)",
      "uses c_next where c_prev belongs"),
    M(S3, "lstm_cell_backward", "dzf = dc_total * c_prev * ft * (1 - ft)", "dzf = dc_total * cct * ft * (1 - ft)",
      "uses c̃ where c_prev belongs"),
    M(S3, "lstm_cell_backward", "concat = np.concatenate([a_prev, xt], axis=0)",
      "concat = np.concatenate([xt, a_prev], axis=0)", "[xt; a_prev]"),
    M(S3, "lstm_cell_backward", "dbf = np.sum(dzf, axis=1, keepdims=True)", "dbf = np.sum(dzf, axis=0, keepdims=True)",
      "summed over axis 0"),
    M(S3, "lstm_cell_backward", "dbi = np.sum(dzi, axis=1, keepdims=True)", "dbi = np.sum(dzi, axis=1)",
      "lost their second axis"),
    M(S3, "lstm_cell_backward", "dbo = np.sum(dzo, axis=1, keepdims=True)", "dbo = np.sum(dzo)",
      "summed over everything"),
    M(S3, "lstm_cell_backward", "Wf[:, :n_a].T @ dzf", "Wf[:n_a, :].T @ dzf", "sliced by rows"),
    M(S3, "lstm_cell_backward", "dzi = dc_total * cct * it * (1 - it)", "dzi = dc_total * it * it * (1 - it)",
      "(9) uses Γu (it) where c̃ (cct) belongs"),
    M(S3, "lstm_cell_backward", "dzc = dc_total * it * (1 - cct**2)", "dzc = dc_total * ft * (1 - cct**2)",
      "(8) uses Γf (ft) where Γu (it) belongs"),
    M(S3, "lstm_cell_backward", "da_prev = Wf[:, :n_a].T @ dzf + Wi[:, :n_a].T @ dzi \\\n"
      "        + Wc[:, :n_a].T @ dzc + Wo[:, :n_a].T @ dzo",
      "da_prev = Wf.T @ dzf + Wi.T @ dzi + Wc.T @ dzc + Wo.T @ dzo",
      "da_prev has shape (n_a + n_x, m): it multiplies by the whole W"),
    M(S3, "lstm_cell_backward", "dbc = np.sum(dzc, axis=1, keepdims=True)", "dbc = np.sum(dzc, axis=0)",
      "dbc is summed over axis 0"),
    M(S3, "lstm_cell_backward", "    return {\"dxt\"", "    dWf = np.clip(dWf, -5, 5)\n    return {\"dxt\"",
      "dWf is clipped at ±5"),
    M(S3, "lstm_cell_backward", "dzc = dc_total * it * (1 - cct**2)", "dzc = dc_total * it * cct * (1 - cct)",
      "uses σ′ for the candidate"),
    M(S3, "lstm_cell_backward", "dzf = dc_total * c_prev * ft * (1 - ft)", "dzf = dc_total * c_prev * it * (1 - it)",
      "update gate's σ′"),
    M(S3, "lstm_cell_backward", "dc_prev = dc_total * ft", "dc_prev = dc_next * ft", "uses dc_next alone"),
    M(S3, "lstm_cell_backward", "dzc = dc_total * it * (1 - cct**2)", "dzc = dc_total * it * cct * (1 - cct**2)",
      "stray c̃"),
    M(S3, "lstm_cell_backward", "dzc = dc_total * it * (1 - cct**2)", "dzc = dc_total * it * (1 - np.tanh(cct)**2)",
      "tanh(c̃)²"),
    M(S3, "lstm_cell_backward", "dzo = da_next * tanh_c * ot * (1 - ot)", "dzo = da_next * tanh_c",
      "missing the σ′ factor"),
    M(S3, "lstm_cell_backward", " + Wc[:, :n_a].T @ dzc + Wo[:, :n_a].T", " + Wo[:, :n_a].T",
      "missing one gate's term"),
    M(S3, "lstm_cell_backward", " + Wc[:, :n_a].T @ dzc + Wo[:, :n_a].T @ dzo", " + Wc[:, :n_a].T @ dzc",
      "wrong: da_prev"),
    M(S3, "lstm_cell_backward", "Wo[:, n_a:].T @ dzo\n", "Wo[:, :n_a].T @ dzo\n", "raised ValueError"),
    M(S3, "lstm_cell_backward", "dWf = dzf @ concat.T", "dWf = dzf @ concat", "raised ValueError"),
    M(S3, "lstm_cell_backward", "tanh_c = np.tanh(c_next)", "tanh_c = np.tanh(c_prev)", "wrong"),
    M(S3, "lstm_cell_backward", '"dWc": dWc, "dbc": dbc', '"dWc": dWc', "missing dbc"),
    M(S3, "lstm_cell_backward", '"dxt": dxt, "da_prev": da_prev', '"dxt": da_prev, "da_prev": dxt', "dxt"),
    # --- set 4: backpropagation through time -----------------------------------------------------------------------
    M(S4, "lstm_backward", 'dc_prevt = step["dc_prev"]', "dc_prevt = np.zeros((n_a, m))", "dc_prev is not passed back"),
    M(S4, "lstm_backward", 'da_prevt = step["da_prev"]', "da_prevt = np.zeros((n_a, m))", "da_prev is not passed back"),
    M(S4, "lstm_backward", "lstm_cell_backward(da[:, :, t] + da_prevt,", "lstm_cell_backward(da_prevt,",
      "upstream gradient da[:, :, t] is not added"),
    M(S4, "lstm_backward", "lstm_cell_backward(da[:, :, t] + da_prevt,", "lstm_cell_backward(da[:, :, t],",
      "da_prev is not passed back"),
    M(S4, "lstm_backward", "gradients[key] += step[key]", "gradients[key] = step[key]", "overwritten"),
    M(S4, "lstm_backward", "dx = np.zeros((n_x, m, T_x))", "dx = np.zeros_like(x)", "integer dtype"),
    M(S4, "lstm_backward", "    gradients[\"dx\"] = dx\n", "    gradients[\"dx\"] = dx\n    gradients = "
      "{k: np.clip(g, -5, 5) for k, g in gradients.items()}\n", "clipped at ±5"),
    M(S4, "lstm_backward", "for t in reversed(range(T_x)):", "for t in range(T_x):", "visited forwards"),
    M(S4, "lstm_backward", 'gradients["da0"] = da_prevt', 'gradients["da0"] = da[:, :, 0]', "da0 is the gradient"),
    M(S4, "lstm_backward", '    gradients["dx"] = dx\n', "", "missing dx"),
    M(S4, "lstm_backward", 'dx[:, :, t] = step["dxt"]', 'dx[:, :, T_x - 1 - t] = step["dxt"]', "dx[:, :, t]"),
    # --- set 5: the gradient checker -------------------------------------------------------------------------------
    M(S5, "numerical_gradient", "x[index] = original - eps\n        f_minus = float(f(x))\n        x[index] = original",
      "x[index] = original\n        f_minus = float(f(x))", "one-sided difference"),
    M(S5, "numerical_gradient", "(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / eps", "divide by 2ε"),
    M(S5, "numerical_gradient", "        x[index] = original\n        grad", "        grad", "does not put each entry"),
    M(S5, "numerical_gradient", "(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / 2 * eps", "numerical_gradient"),
    M(S5, "relative_error", "np.linalg.norm(analytic) + np.linalg.norm(numerical)", "np.linalg.norm(analytic)",
      "divides by one of the norms"),
    M(S5, "relative_error", "np.linalg.norm(analytic) + np.linalg.norm(numerical)",
      "np.linalg.norm(analytic + numerical)", "‖analytic + numerical‖"),
    M(S5, "relative_error", "    if denominator == 0:\n        return 0.0\n", "", "0/0"),
    M(S5, "gradient_check", "return f({**inputs, name: value})", "return f(inputs)", "whose gradient is right"),
    M(S5, "gradient_check", "for name in analytic:", "for name in inputs:", "KeyError"),
    M(S5, "cell_gradient_errors", "return np.sum(da_next * a_next) + np.sum(dc_next * c_next)",
      "return np.sum(da_next * a_next)", "the loss must be"),
    M(S5, "cell_gradient_errors", 'inputs = {"xt": xt, "a_prev": a_prev, "c_prev": c_prev}',
      'inputs = {"xt": xt, "a_prev": a_prev}', "KeyError: 'c_prev'"),
    M(S5, "lstm_cell_backward", '"c": dc_total * it * (1 - cct**2)', '"c": dc_total * it * (1 - cct)',
      "your gradient checker finds"),
    # --- set 6: the GRU --------------------------------------------------------------------------------------------
    M(S6, "gru_cell_forward", "a_next = (1 - zt) * a_prev + zt * hct", "a_next = zt * a_prev + (1 - zt) * hct",
      "the other way round"),
    M(S6, "gru_cell_forward", "concat_reset = np.concatenate([rt * a_prev, xt], axis=0)",
      "concat_reset = np.concatenate([a_prev, xt], axis=0)", "ignores the reset gate"),
    M(S6, "gru_cell_forward", "hct = np.tanh(", "hct = sigmoid(", "candidate uses σ"),
    M(S6, "gru_cell_forward", 'zt = sigmoid(parameters["Wz"] @ concat + parameters["bz"])',
      'zt = sigmoid(parameters["Wr"] @ concat + parameters["br"])', "gru_cell_forward"),
    M(S6, "gru_cell_backward", " + d_reset_input * rt", "", "da_prev disagrees"),
    M(S6, "gru_cell_backward", "(hct - a_prev)", "(a_prev - hct)", "disagrees with the numerical gradient"),
    M(S6, "gru_cell_backward", '"dbh": np.sum(dz_cand, axis=1, keepdims=True)', '"dbh": np.sum(dz_cand, axis=1)',
      "dbh must be an array of shape"),
    M(S6, "gru_cell_backward", "dz_cand @ concat_reset.T", "dz_cand @ concat.T", "dWh disagrees"),
    M(S6, "gru_cell_backward", "dz_reset = d_reset_input * a_prev * rt * (1 - rt)",
      "dz_reset = d_reset_input * rt * (1 - rt)", "disagrees"),
    # wrong only on large, integer or saturated inputs (the special cases of grading.cases.gru_cases)
    M(S6, "gru_cell_forward", 'zt = sigmoid(parameters["Wz"] @ concat + parameters["bz"])',
      'pre_z = parameters["Wz"] @ concat + parameters["bz"]\n    zt = np.exp(pre_z) / (1 + np.exp(pre_z))',
      "a_next contains nan or inf"),
    M(S6, "gru_cell_forward", 'hct = np.tanh(parameters["Wh"] @ concat_reset + parameters["bh"])',
      'pre_h = parameters["Wh"] @ concat_reset + parameters["bh"]\n'
      "    hct = (np.exp(pre_h) - np.exp(-pre_h)) / (np.exp(pre_h) + np.exp(-pre_h))", "a_next contains nan or inf"),
    M(S6, "gru_cell_forward", "concat = np.concatenate([a_prev, xt], axis=0)",
      "concat = np.zeros_like(xt, shape=(a_prev.shape[0] + xt.shape[0], xt.shape[1]))\n"
      "    concat[:a_prev.shape[0]] = a_prev\n    concat[a_prev.shape[0]:] = xt", "integer one-hot x"),
    M(S6, "gru_cell_backward", GRU_GRADIENTS, "gradients = " + GRU_GRADIENTS[len("return "):]
      + "\n    return {key: np.clip(value, -5, 5) for key, value in gradients.items()}",
      "the gradients are clipped at ±5"),
    M(S6, "gru_cell_backward", '"dWh": dz_cand @ concat_reset.T,', '"dWh": np.clip(dz_cand @ concat_reset.T, -5, 5),',
      "dWh is clipped at ±5"),
    M(S6, "gru_cell_backward", "    dxt = Wh[:, n_a:].T @ dz_cand",
      "    dxt = np.zeros_like(xt)\n    dxt[:] = Wh[:, n_a:].T @ dz_cand", "dxt has the integer dtype"),
    # --- set 7: a bidirectional layer, backwards -------------------------------------------------------------------
    M(S7, "bidirectional_lstm_backward", "cache_forward, cache_backward = caches",
      "cache_backward, cache_forward = caches", "the caches are swapped"),
    M(S7, "bidirectional_lstm_backward", "da_forward = da[:n_a]\n    da_backward = da[n_a:]",
      "da_forward = da[n_a:]\n    da_backward = da[:n_a]", "the halves of da are swapped"),
    M(S7, "bidirectional_lstm_backward", BACKWARD_DIRECTION_CALL,
      "lstm_backward(da_backward, cache_backward)", "da is not reversed in time before its lstm_backward"),
    M(S7, "bidirectional_lstm_backward", 'np.flip(backward["dx"], axis=2)', 'backward["dx"]',
      "dx is not reversed back in time"),
    M(S7, "bidirectional_lstm_backward", BACKWARD_DIRECTION_CALL + "\n    " + BIDIRECTIONAL_DX,
      'lstm_backward(da_backward, cache_backward)\n'
      '    dx = forward["dx"] + backward["dx"]', "not reversed in time (or is reversed twice)"),
    M(S7, "bidirectional_lstm_backward", BACKWARD_DIRECTION_CALL,
      "lstm_backward(np.flip(np.flip(da_backward, axis=2), axis=2), cache_backward)",
      "da is not reversed in time before its lstm_backward"),
    M(S7, "bidirectional_lstm_backward", "lstm_backward(da_forward, cache_forward)",
      "lstm_backward(np.flip(da_forward, axis=2), cache_forward)", "forward direction's gradient"),
    M(S7, "bidirectional_lstm_backward", BIDIRECTIONAL_DX, 'dx = forward["dx"]',
      "dx is the forward direction's input gradient alone"),
    M(S7, "bidirectional_lstm_backward", BIDIRECTIONAL_DX,
      'dx = np.flip(backward["dx"], axis=2)', "dx is the backward direction's input gradient alone"),
    M(S7, "bidirectional_lstm_backward", BIDIRECTIONAL_DX,
      'dx = np.concatenate([forward["dx"], np.flip(backward["dx"], axis=2)])', "dx stacks the two directions"),
    M(S7, "bidirectional_lstm_backward", BIDIRECTIONAL_DX,
      'dx = (forward["dx"] + np.flip(backward["dx"], axis=2)) / 2', "average"),
    M(S7, "bidirectional_lstm_backward", "np.flip(da_backward, axis=2)", "np.flip(da_backward, axis=1)",
      "bidirectional_lstm_backward"),
    M(S7, "bidirectional_lstm_backward", 'np.flip(da_backward, axis=2), cache_backward)\n'
      '    dx = forward["dx"] + np.flip(backward["dx"], axis=2)', 'np.flip(da_backward), cache_backward)\n'
      '    dx = forward["dx"] + np.flip(backward["dx"])', "reverses every axis"),
    M(S7, "bidirectional_lstm_backward", "for step in (forward, backward))", "for step in (backward, forward))",
      "wrong order: (forward, backward)"),
    M(S7, "bidirectional_lstm_backward", "    return dx, gradients", "    return dx, (forward, backward)",
      "still holds dx and da0"),
    M(S7, "bidirectional_lstm_backward", "    return dx, gradients", "    return gradients, dx", "dx first"),
    M(S7, "bidirectional_lstm_backward", "    return dx, gradients",
      "    gradients = tuple({k: np.clip(g, -5, 5) for k, g in d.items()} for d in gradients)\n"
      "    return dx, gradients", "clipped at ±5"),
]


# --- a fast runner ---------------------------------------------------------------------------------------------


@contextmanager
def _time_limit(seconds):
    def stop(signum, frame):
        raise TimeoutError(f"cell ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(notebook, workdir, cell_timeout, total_timeout):
    """Run a graded copy's code cells in one namespace, with nbval's verdicts: a cell fails when it raises, or
    when it has a stored run (an execution count) and prints something else than the stored output."""
    namespace = {"__name__": "__main__"}
    records, number = {}, 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        filename = f"<graded cell {number}>"
        # Registered like IPython registers cells, so that inspect.getsource works on the learner's functions.
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
        printed = io.StringIO()
        record = {"cell": number, "outcome": "passed"}
        try:
            with redirect_stdout(printed), _time_limit(cell_timeout):
                exec(compile(cell.source, filename, "exec"), namespace)
        except Exception as error:
            record = {"cell": number, "outcome": "failed", "message": "Cell execution caused an exception",
                      "traceback": f"{type(error).__name__}: {error}"}
        else:
            if cell.execution_count is not None:
                stored = "".join(output.get("text", "") for output in cell.outputs
                                 if output.output_type == "stream" and output.name == "stdout")
                if printed.getvalue() != stored:
                    record = {"cell": number, "outcome": "failed", "message": "Cell outputs differ",
                              "traceback": ""}
        records[number] = record
        number += 1
    return records, False


def apply(mistake, solved):
    """A copy of the solved notebook with the mistake made in the exercise's answer cell."""
    import copy

    notebook = copy.deepcopy(solved)
    for cell in notebook.cells:
        if cell.get("id") == f"{mistake.exercise}-answer":
            assert cell.source.count(mistake.old) == 1, f"{mistake.id}: the edit must match exactly once"
            cell.source = cell.source.replace(mistake.old, mistake.new)
            return notebook
    raise AssertionError(f"{mistake.id}: no answer cell {mistake.exercise}-answer in {mistake.set}")
