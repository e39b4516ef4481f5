"""The experiments of chapters 7 and 8, as commands that write the results the chapters
plot.

Run from the repository root::

    python -m lstm.experiments long_memory   # chapter 7: results/long_memory.json
    python -m lstm.experiments names         # chapter 8: results/names.json, names_lstm*.npz

Add ``--quiet`` to hide the progress bars. Each command takes a few minutes on one core
(per seed) and is deterministic: every random number comes from a generator seeded in
the configuration stored beside the results.

``results/long_memory.json``
    ``{"task": str, "T": [T, ...], "chance": 1 / n_classes,
    "rnn": {"<T>": mean test accuracy, ...}, "lstm": {"<T>": ...}, "lstm_forget_bias_1":
    {"<T>": ...}, "per_seed": {"rnn": {"<T>": [accuracy of each seed], ...}, "lstm":
    {...}, ...}, "config": {...}}``. JSON keys are strings, so the LSTM's accuracy at T
    = 40 is ``results["lstm"]["40"]``. An accuracy is the share of ``config["n_test"]``
    held-out sequences classified correctly, averaged over ``config["seeds"]``.
    ``"lstm"`` is the LSTM with the chrono initialisation of its gate biases,
    ``"lstm_forget_bias_1"`` the same LSTM with the default initialisation (see
    :func:`memory_task_parameters`).
``results/names.json``
    ``{"unigram": nats, "bigram": nats, "ngram_best": {"order": k, "discount": d,
    "method": str, "nats": nats, "validation": nats, "nats_unnormalised": nats},
    "ngram_validation": [{"order", "discount", "validation"}, ...], "lstm": nats,
    "lstm_seeds": [{"seed", "nats", "best_step", "validation"}, ...], "units": str,
    "n_train", "n_validation", "n_test", "n_test_characters": int, "curves": [{"seed",
    "step": [...], "train": [...], "validation": [...]}, ...], "by_position":
    {"position", "count", "ngram", "lstm", "lstm_seed"}, "data_sha256": {...}, "config":
    {...}}``. Every "nats" is a held-out cross-entropy on the test names in nats per
    character, where a name's characters include the end-of-name symbol (predicting
    where a name stops is part of the task); "validation" figures are on the validation
    names, which choose the n-gram's order and discount and each LSTM's best evaluation.
    ``lstm`` is the median of ``lstm_seeds``; ``by_position`` splits the test figure of
    the n-gram model and of the seed with the lowest validation loss by position in the
    name (:func:`names_by_position`). ``curves`` hold each seed's validation loss every
    ``config["evaluate_every"]`` updates and its training loss averaged over the same
    windows.
``results/names_lstm_seed<k>.npz``, ``results/names_lstm.npz``
    Each seed's LSTM at its best evaluation, and a copy of the one with the lowest
    validation loss, which chapter 8 loads to sample names
    (:func:`lstm.optim.save_parameters`).
"""

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from .optim import Adam, load_parameters, save_parameters
from .parameters import LSTM_PARAMETER_KEYS, initialize_lstm_parameters, initialize_rnn_parameters
from .train import accuracy, evaluate_loss, hidden_states, train

REPOSITORY = Path(__file__).resolve().parent.parent
DATA_DIR = REPOSITORY / "data" / "census1990"
RESULTS_DIR = REPOSITORY / "results"

# --- chapter 7: remembering a symbol over T distractor steps ------------------------------------------------

#: The full experiment of ``python -m lstm.experiments long_memory``.
LONG_MEMORY_CONFIG = {
    "n_classes": 4,  # symbols; the one to remember is one of 4, so chance accuracy is 1/4
    "lengths": [5, 10, 20, 40, 80, 160],  # T, the number of distractor steps after the symbol
    "seeds": [0, 1, 2],
    "models": ["rnn", "lstm", "lstm_forget_bias_1"],
    "n_hidden": 16,  # the same for every model
    "steps": 1000,  # updates, the same for every model
    "batch_size": 32,
    "learning_rate": 0.01,  # Adam
    "max_norm": 1.0,  # gradient clipping by global norm
    "memory_horizon": 160,  # T_max of the LSTM's chrono initialisation (see lstm_memory_task_parameters)
    "n_test": 500,
}

#: The reduced version that chapter 7 runs live and the tests re-run: two delays, one seed, fewer updates.
REDUCED_LONG_MEMORY_CONFIG = {**LONG_MEMORY_CONFIG, "lengths": [5, 20, 80], "seeds": [0], "models": ["rnn", "lstm"],
                              "steps": 600}


def long_memory_batch(rng, m, T, n_classes=4):
    """A batch of the memory task: a symbol to remember at step 0, then ``T`` random
    distractor symbols.

    The sequence has T + 1 steps and its label is the symbol at step 0, to be reported
    after the last step. Input row k < n_classes is the one-hot code of symbol k, the
    same symbols at every step, so a network cannot simply ignore the inputs that carry
    distractors; the extra last row is 1 at step 0 only and marks the symbol to
    remember.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : int
        Batch size.
    T : int
        Number of distractor steps (the delay between the symbol and the question).
    n_classes : int
        Number of symbols.

    Returns
    -------
    x : ndarray, shape (n_classes + 1, m, T + 1)
    labels : ndarray of int, shape (m,)
    """
    labels = rng.integers(0, n_classes, size=m)
    distractors = rng.integers(0, n_classes, size=(m, T))
    x = np.zeros((n_classes + 1, m, T + 1))
    x[labels, np.arange(m), 0] = 1.0
    x[n_classes, :, 0] = 1.0  # the marker: "remember this one"
    x[distractors, np.arange(m)[:, None], np.arange(1, T + 1)[None, :]] = 1.0
    return x, labels


def memory_task_parameters(model, seed, config=LONG_MEMORY_CONFIG):
    """Initial parameters of ``model`` for the memory task.

    ``"rnn"``: :func:`lstm.initialize_rnn_parameters`. ``"lstm_forget_bias_1"``:
    :func:`lstm.initialize_lstm_parameters` unchanged (forget-gate bias 1). ``"lstm"``:
    the same weights with the *chrono* initialisation of the biases (Tallec & Ollivier,
    2018): b_f = log(u) with u drawn uniformly in [1, T_max - 1] for each unit, and
    b_i = -b_f. A forget gate σ(log u) = u / (1 + u) keeps its memory for about
    1 / (1 - Γf) = 1 + u steps, so the units start with memories spread from 2 to T_max
    steps, and their update gates start mostly closed.
    """
    n_x, n_y, n_a = config["n_classes"] + 1, config["n_classes"], config["n_hidden"]
    if model == "rnn":
        return initialize_rnn_parameters(n_a, n_x, n_y, seed=seed)
    parameters = initialize_lstm_parameters(n_a, n_x, n_y, seed=seed)
    if model == "lstm":
        rng = np.random.default_rng([seed, 1997])
        u = rng.uniform(1, config["memory_horizon"] - 1, size=(n_a, 1))
        parameters["bf"] = np.log(u)
        parameters["bi"] = -np.log(u)
    elif model != "lstm_forget_bias_1":
        raise ValueError(
            f"model must be 'rnn', 'lstm' or 'lstm_forget_bias_1', got {model!r}")
    return parameters


def train_long_memory(model, T, seed, config=LONG_MEMORY_CONFIG, implementation=None, progress=False):
    """Train one model on the memory task with delay ``T``; return its parameters,
    history and test accuracy.

    The test set (``config["n_test"]`` sequences) is drawn from its own generator,
    seeded apart from training.
    """
    parameters = memory_task_parameters(model, seed, config)
    recurrent = "rnn" if model == "rnn" else "lstm"

    def next_batch(rng):
        return long_memory_batch(rng, config["batch_size"], T, config["n_classes"])

    parameters, history = train(parameters, next_batch, config["steps"], Adam(config["learning_rate"]),
                                model=recurrent, targets_at="last", max_norm=config["max_norm"], seed=seed,
                                implementation=implementation, progress=progress,
                                description=f"{model} T={T} seed={seed}")
    x_test, labels_test = long_memory_batch(np.random.default_rng([seed, T, 2026]), config["n_test"], T,
                                            config["n_classes"])
    return parameters, history, accuracy(parameters, x_test, labels_test, recurrent, implementation)


def run_long_memory(config=LONG_MEMORY_CONFIG, implementation=None, progress=True):
    """Train every model at every T and seed of ``config``; return the results dict (schema in the docstring)."""
    per_seed = {model: {} for model in config["models"]}
    for T in config["lengths"]:
        for model in config["models"]:
            per_seed[model][str(T)] = [
                train_long_memory(model, T, seed, config, implementation, progress)[2] for seed in config["seeds"]]
    return {
        "task": "classify a sequence by its first symbol, shown before T distractor steps",
        "T": list(config["lengths"]),
        "chance": 1 / config["n_classes"],
        **{model: {T: float(np.mean(accs)) for T, accs in per_seed[model].items()} for model in per_seed},
        "per_seed": per_seed,
        "config": dict(config),
    }


# --- chapter 8: a character-level language model of surnames --------------------------------------------------

#: Symbol 0 marks both the start and the end of a name; symbols 1-26 are the letters.
ALPHABET = ".abcdefghijklmnopqrstuvwxyz"
BOUNDARY = 0
#: The census files of each corpus, in ``data/census1990``.
CORPORA = {"surnames": ("dist.all.last",), "first_names": ("dist.female.first", "dist.male.first")}
NAME_FILES = ("dist.all.last", "dist.female.first", "dist.male.first")

#: The full experiment of ``python -m lstm.experiments names``.
NAMES_CONFIG = {
    "corpus": "surnames",
    "validation_fraction": 0.1,  # held out to choose the n-gram's order and the LSTM's best evaluation
    "test_fraction": 0.1,  # held out to report, touched once per model
    "split_seed": 0,
    "ngram_orders": [2, 3, 4, 5, 6, 7, 8],
    "ngram_discounts": [0.5, 0.75, 0.9, 1.0],
    "n_hidden": 64,
    "steps": 5000,
    "batch_size": 64,
    "learning_rate": 0.01,  # Adam
    "max_norm": 5.0,
    "seeds": [0, 1, 2],
    "evaluate_every": 250,
}


def load_names(directory=DATA_DIR, corpus="surnames"):
    """The distinct names of one corpus of the 1990 U.S. Census lists in
    ``data/census1990``, lower case, sorted.

    ``corpus`` is ``"surnames"`` (``dist.all.last``) or ``"first_names"``
    (``dist.female.first`` and ``dist.male.first``). Each file has one name a line, then
    three numbers (frequency, cumulative frequency, rank); only the name is used, once,
    whatever its frequency, and a name on two lists counts once.
    """
    if corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {sorted(CORPORA)}, got {corpus!r}")
    names = set()
    for filename in CORPORA[corpus]:
        for line in (Path(directory) / filename).read_text(encoding="ascii").splitlines():
            if line.strip():
                names.add(line.split()[0].lower())
    unknown = sorted({ch for name in names for ch in name} - set(ALPHABET[1:]))
    if unknown:
        raise ValueError(f"the name lists hold characters outside a-z: {unknown}")
    return sorted(names)


def data_sha256(directory=DATA_DIR):
    """SHA-256 of each census file, to record in the results which data they came from."""
    return {name: hashlib.sha256((Path(directory) / name).read_bytes()).hexdigest() for name in NAME_FILES}


def split_names(names, test_fraction=0.1, seed=0, validation_fraction=0.0):
    """Shuffle ``names`` with ``seed``; hold out a test and a validation share.

    Returns ``(train, test)`` when ``validation_fraction`` is 0, else ``(train,
    validation, test)``. The test names are the same whatever the validation share.
    """
    order = np.random.default_rng(seed).permutation(len(names))
    n_test = int(round(test_fraction * len(names)))
    n_validation = int(round(validation_fraction * len(names)))
    test = [names[i] for i in order[:n_test]]
    validation = [names[i] for i in order[n_test:n_test + n_validation]]
    train = [names[i] for i in order[n_test + n_validation:]]
    return (train, test) if not validation_fraction else (train, validation, test)


def encode_names(names):
    """One-hot inputs, next-character targets and a padding mask for a batch of names.

    A name of length n is read as n + 1 steps: input ``.`` then its n letters; the
    targets are its n letters then ``.``, the end of the name. Shorter names are padded
    to the longest; padded steps have mask 0.

    Returns
    -------
    x : ndarray, shape (27, m, T_x)
        T_x = 1 + the length of the longest name.
    targets : ndarray of int, shape (m, T_x)
    mask : ndarray, shape (m, T_x)
        1 at real targets (letters and the end symbol), 0 at padding.
    """
    T_x = 1 + max(len(name) for name in names)
    m = len(names)
    inputs = np.full((m, T_x), BOUNDARY)
    targets = np.full((m, T_x), BOUNDARY)
    mask = np.zeros((m, T_x))
    for i, name in enumerate(names):
        indices = [ALPHABET.index(ch) for ch in name]
        inputs[i, 1:len(indices) + 1] = indices
        targets[i, :len(indices)] = indices
        mask[i, :len(indices) + 1] = 1.0
    x = np.zeros((len(ALPHABET), m, T_x))
    x[inputs, np.arange(m)[:, None], np.arange(T_x)[None, :]] = 1.0
    return x, targets, mask


def _transitions(names):
    """Every (previous symbol, next symbol) pair of the names, with ``.`` before the first letter and after the last."""
    for name in names:
        symbols = [BOUNDARY] + [ALPHABET.index(ch) for ch in name] + [BOUNDARY]
        yield from zip(symbols[:-1], symbols[1:], strict=True)


def unigram_cross_entropy(train_names, test_names):
    """Held-out nats per character of the unigram model: P(c) = (count(c) + 1) / (N +
    27), counted on training names.

    The counts run over the characters a model must predict: every letter and the
    end-of-name symbol. Adding one to every count (Laplace smoothing) gives unseen
    symbols a small probability instead of zero.
    """
    counts = np.ones(len(ALPHABET))
    for _, following in _transitions(train_names):
        counts[following] += 1
    log_p = np.log(counts / counts.sum())
    return float(-np.mean([log_p[following] for _, following in _transitions(test_names)]))


def bigram_cross_entropy(train_names, test_names):
    """Held-out nats per character of the bigram model, P(c | previous) with add-one
    smoothing.

    P(c | b) = (count(b, c) + 1) / (count(b) + 27), counted on the training names, where
    b is the previous symbol (``.`` before the first letter).
    """
    counts = np.ones((len(ALPHABET), len(ALPHABET)))
    for previous, following in _transitions(train_names):
        counts[previous, following] += 1
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    transitions = _transitions(test_names)
    return float(-np.mean([log_p[before, after] for before, after in transitions]))


# --- chapter 8: the strongest counting model, interpolated Kneser-Ney ----------------------------------------

#: The start and end symbols of the n-gram models, outside the alphabet (the LSTM uses "." for both).
NGRAM_START, NGRAM_END = "<", ">"
#: What a model of names is scored on: each letter, and the end of the name.
PREDICTED_SYMBOLS = ALPHABET[1:] + NGRAM_END


class KneserNey:
    """Interpolated Kneser-Ney character n-gram model of names, as
    ``nltk.lm.KneserNeyInterpolated`` defines it.

    A name is padded as NLTK's ``padded_everygram_pipeline`` pads it: ``order - 1``
    start symbols before it and ``order - 1`` end symbols after it. For a context h of
    length order - 1 and a next symbol w,

    P(w | h) = max(c(h w) - d, 0) / c(h) + d · N(h) / c(h) · P(w | h without its first
    symbol),

    where c counts n-grams in the training names, N(h) is the number of distinct symbols
    seen after h and d is the discount. Shorter contexts use continuation counts instead
    of c: how many distinct symbols precede ``h w`` (Kneser & Ney, 1995; Chen & Goodman,
    1999); the recursion ends at the continuation unigram. A context never seen in
    training passes all its probability to the shorter one.

    :meth:`probability` is NLTK's formula exactly (the tests check it against NLTK).
    That formula does not quite sum to one over what a model of names must predict: near
    the start of a name N(h) counts the start symbol as a follower while the
    continuation counts do not, and the start symbol itself gets some probability.
    :meth:`cross_entropy` therefore divides by the sum over the 26 letters and the end
    symbol, so that the n-gram model, like the LSTM, spreads exactly one unit of
    probability over the symbols it is scored on. Counting uses dictionaries keyed by
    strings, so fitting and scoring take seconds where NLTK's scoring, which rescans its
    counts for every query, would take hours on the census surnames.
    """

    def __init__(self, names, order, discount=0.1):
        if order < 2:
            raise ValueError(f"order must be at least 2 (a context of one symbol or more), got {order}")
        self.order, self.discount = order, discount
        self._normalisers = {}
        counts = {}
        for name in names:
            padded = NGRAM_START * (order - 1) + name + NGRAM_END * (order - 1)
            for k in range(1, order + 1):
                for i in range(len(padded) - k + 1):
                    gram = padded[i:i + k]
                    counts[gram] = counts.get(gram, 0) + 1
        self.count = counts
        self.context_total, self.followers = {}, {}  # c(h) and N(h), for every context h seen
        self.continuation, self.continuation_total = {}, {}  # N(. h w) and N(. h .)
        for gram, count in counts.items():
            context = gram[:-1]
            self.context_total[context] = self.context_total.get(context, 0) + count
            self.followers[context] = self.followers.get(context, 0) + 1
            if len(gram) >= 2:
                self.continuation[gram[1:]] = self.continuation.get(gram[1:], 0) + 1
                self.continuation_total[gram[1:-1]] = self.continuation_total.get(gram[1:-1], 0) + 1

    def probability(self, symbol, context):
        """P(symbol | context), where context is a string of up to ``order - 1``
        symbols."""
        context = context[len(context) - self.order + 1:]
        probability, weight = 0.0, 1.0
        while True:
            if not context:
                unigram = self.continuation.get(symbol, 0) / self.continuation_total[""]
                return probability + weight * unigram
            if context in self.context_total:
                if len(context) + 1 == self.order:
                    count = self.count.get(context + symbol, 0)
                    total = self.context_total[context]
                else:
                    count = self.continuation.get(context + symbol, 0)
                    total = self.continuation_total[context]
                probability += weight * max(count - self.discount, 0) / total
                weight *= self.discount * self.followers[context] / total
            context = context[1:]

    def normaliser(self, context):
        """The sum of :meth:`probability` over the symbols a name model predicts: the letters and the end."""
        if context not in self._normalisers:
            self._normalisers[context] = sum(self.probability(symbol, context) for symbol in PREDICTED_SYMBOLS)
        return self._normalisers[context]

    def cross_entropy(self, names, normalise=True):
        """Nats per character on ``names``: every letter and one end symbol per name.

        With ``normalise`` (the default) each probability is divided by
        :meth:`normaliser`; without it, NLTK's formula is used as it stands.
        """
        total, n = 0.0, 0
        for name in names:
            padded = NGRAM_START * (self.order - 1) + name + NGRAM_END
            for i in range(self.order - 1, len(padded)):
                context = padded[i - self.order + 1:i]
                probability = self.probability(padded[i], context)
                if normalise:
                    probability /= self.normaliser(context)
                total -= np.log(probability)
                n += 1
        return total / n


#: How ``results/names.json`` describes the n-gram model it reports.
KNESER_NEY_METHOD = ("interpolated Kneser-Ney (the formula of nltk.lm.KneserNeyInterpolated, normalised over the "
                     "letters and the end symbol), order and discount chosen on the validation names")


def select_kneser_ney(train_names, validation_names, orders, discounts):
    """Fit a Kneser-Ney model for every order and discount; return the one best on
    ``validation_names``.

    The validation figures use NLTK's formula as it stands (``normalise=False``):
    normalising changes them very little and makes the search several times slower. The
    chosen model's test figure is normalised.

    Returns
    -------
    best : dict
        ``{"order": k, "discount": d, "validation": nats}``.
    table : list of dict
        The same for every pair tried, in order.
    """
    table = []
    for order in orders:
        for discount in discounts:
            model = KneserNey(train_names, order, discount)
            table.append({"order": order, "discount": discount,
                          "validation": float(model.cross_entropy(validation_names, normalise=False))})
    return min(table, key=lambda row: row["validation"]), table


def names_cross_entropy(parameters, names, implementation=None):
    """Nats per character of an LSTM on ``names`` (letters and end symbols, padding excluded)."""
    x, targets, mask = encode_names(names)
    return evaluate_loss(parameters, x, targets, "lstm", "all", mask, implementation)


def names_splits(config=NAMES_CONFIG, directory=DATA_DIR):
    """``(train, validation, test)`` names of the experiment ``config`` describes."""
    return split_names(load_names(directory, config["corpus"]), config["test_fraction"], config["split_seed"],
                       config["validation_fraction"])


def train_names(seed, config=NAMES_CONFIG, implementation=None, progress=True, directory=DATA_DIR):
    """Train one character-level LSTM on the training names and keep its best evaluation
    on the validation names.

    Returns
    -------
    best : dict of ndarray
        The parameters at the evaluation with the lowest validation loss (early
        stopping).
    history : dict
        As :func:`lstm.train.train` returns it; ``history["evaluation"]`` holds the
        validation losses.
    best_step : int
        The number of updates done at that evaluation.
    """
    train_set, validation_set, _ = names_splits(config, directory)
    n = len(ALPHABET)
    parameters = initialize_lstm_parameters(config["n_hidden"], n, n, seed=seed)
    best = {"loss": np.inf}

    def next_batch(rng):
        return encode_names([train_set[i] for i in rng.integers(0, len(train_set), size=config["batch_size"])])

    def evaluate(current):
        loss = names_cross_entropy(current, validation_set, implementation)
        if loss < best["loss"]:
            best.update(loss=loss, parameters={key: value.copy() for key, value in current.items()})
        return loss

    _, history = train(
        parameters, next_batch, config["steps"], Adam(config["learning_rate"]), model="lstm", targets_at="all",
        max_norm=config["max_norm"], seed=seed, implementation=implementation, evaluate=evaluate,
        evaluate_every=config["evaluate_every"], progress=progress, description=f"names seed={seed}")
    best_step = next(step for step, loss in history["evaluation"] if loss == best["loss"])
    return best["parameters"], history, best_step


def names_baselines(config=NAMES_CONFIG, directory=DATA_DIR):
    """The counting models: add-one unigram and bigram, and Kneser-Ney with order and
    discount chosen on validation.

    Returns the part of the results dict that belongs to them (schema in the module
    docstring).
    """
    train_set, validation_set, test_set = names_splits(config, directory)
    best, table = select_kneser_ney(train_set, validation_set, config["ngram_orders"], config["ngram_discounts"])
    model = KneserNey(train_set, best["order"], best["discount"])
    return {
        "unigram": unigram_cross_entropy(train_set, test_set),
        "bigram": bigram_cross_entropy(train_set, test_set),
        "ngram_best": {"order": best["order"], "discount": best["discount"],
                       "method": KNESER_NEY_METHOD,
                       "nats": float(model.cross_entropy(test_set)), "validation": best["validation"],
                       "nats_unnormalised": float(model.cross_entropy(test_set, normalise=False))},
        "ngram_validation": table,
    }


def run_names(config=NAMES_CONFIG, implementation=None, progress=True, directory=DATA_DIR, on_seed=None):
    """Compute the baselines and train one LSTM per seed; return ``(results, parameters
    of each seed)``.

    ``on_seed(results, parameters)``, if given, is called after each seed with the
    results so far.
    """
    train_set, validation_set, test_set = names_splits(config, directory)
    results = {
        **names_baselines(config, directory),
        "units": "nats per character (letters and the end-of-name symbol) on the held-out test names",
        "n_train": len(train_set),
        "n_validation": len(validation_set),
        "n_test": len(test_set),
        "n_test_characters": sum(len(name) + 1 for name in test_set),
        "lstm_seeds": [],
        "curves": [],
        "data_sha256": data_sha256(directory),
        "config": dict(config),
    }
    every = config["evaluate_every"]
    all_parameters = []
    for seed in config["seeds"]:
        parameters, history, best_step = train_names(seed, config, implementation, progress, directory)
        steps = [step for step, _ in history["evaluation"]]
        all_parameters.append(parameters)
        results["lstm_seeds"].append({
            "seed": seed, "nats": names_cross_entropy(parameters, test_set, implementation), "best_step": best_step,
            "validation": min(loss for _, loss in history["evaluation"])})
        results["curves"].append({
            "seed": seed, "step": steps,
            "train": [float(np.mean(history["loss"][max(0, step - every):step])) for step in steps],
            "validation": [value for _, value in history["evaluation"]]})
        results["lstm"] = float(np.median([row["nats"] for row in results["lstm_seeds"]]))
        if on_seed is not None:
            on_seed(results, all_parameters)
    chosen = min(range(len(all_parameters)), key=lambda i: results["lstm_seeds"][i]["validation"])
    results["by_position"] = names_by_position(results, all_parameters[chosen], config, directory)
    results["by_position"]["lstm_seed"] = results["lstm_seeds"][chosen]["seed"]
    if on_seed is not None:
        on_seed(results, all_parameters)
    return results, all_parameters


def names_by_position(results, parameters, config=NAMES_CONFIG, directory=DATA_DIR, last_position=10):
    """Test nats per character of the chosen n-gram model and of an LSTM, by position in
    the name.

    Position k is the k-th letter (all letters from ``last_position`` on are pooled);
    ``"end"`` is the end symbol.

    Returns
    -------
    dict
        ``{"position": [...], "count": [...], "ngram": [...], "lstm": [...]}``, one
        entry per position.
    """
    train_set, _, test_set = names_splits(config, directory)
    best = results["ngram_best"]
    model = KneserNey(train_set, best["order"], best["discount"])
    x, targets, mask = encode_names(test_set)
    a = hidden_states(parameters, x, "lstm")
    logits = np.einsum("ya,amt->ymt", parameters["Wy"], a) + parameters["by"][:, :, None]
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    lstm_nats = -np.take_along_axis(log_p, targets[None], axis=0)[0]  # (m, T_x)
    labels = [str(k) for k in range(1, last_position)] + [f"{last_position}+", "end"]
    totals = {label: [0, 0.0, 0.0] for label in labels}
    pad = NGRAM_START * (model.order - 1)
    for i, name in enumerate(test_set):
        padded = pad + name + NGRAM_END
        for j in range(len(name) + 1):
            label = "end" if j == len(name) else labels[min(j, last_position - 1)]
            context = padded[j:j + model.order - 1]
            symbol = padded[j + model.order - 1]
            totals[label][0] += 1
            totals[label][1] -= np.log(model.probability(symbol, context) / model.normaliser(context))
            totals[label][2] += lstm_nats[i, j]
    return {"position": labels, "count": [totals[label][0] for label in labels],
            "ngram": [float(totals[label][1] / totals[label][0]) for label in labels],
            "lstm": [float(totals[label][2] / totals[label][0]) for label in labels]}


def load_names_parameters(path=RESULTS_DIR / "names_lstm.npz"):
    """A trained language model that ``python -m lstm.experiments names`` saved
    (``names_lstm.npz`` holds the
    seed with the lowest validation loss, ``names_lstm_seed<k>.npz`` each seed)."""
    return load_parameters(path, LSTM_PARAMETER_KEYS)


def _write_json(path, results):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lstm.experiments", description=__doc__.split("\n")[0])
    parser.add_argument("experiment", choices=["long_memory", "names", "cell_variants"])
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="folder for the results")
    args = parser.parse_args(argv)
    if args.experiment == "long_memory":
        results = run_long_memory(progress=not args.quiet)
        _write_json(args.output / "long_memory.json", results)
        for model in ("rnn", "lstm"):
            print(model, " ".join(f"T={T}: {results[model][str(T)]:.2f}" for T in results["T"]))
    elif args.experiment == "cell_variants":
        results = run_cell_variants(progress=not args.quiet)
        _write_json(args.output / "cell_variants.json", results)
        for model in results["models"]:
            print(model, "accuracy", results["accuracy"][model], "updates", results["updates_to_learn"][model])
    else:
        def save(results, all_parameters):
            _write_json(args.output / "names.json", results)
            for row, parameters in zip(results["lstm_seeds"], all_parameters, strict=True):
                save_parameters(args.output / f"names_lstm_seed{row['seed']}.npz", parameters)
            best = min(range(len(all_parameters)), key=lambda i: results["lstm_seeds"][i]["validation"])
            save_parameters(args.output / "names_lstm.npz", all_parameters[best])

        results, _ = run_names(progress=not args.quiet, on_seed=save)
        print(" ".join(f"{key}: {results[key]:.3f}" for key in ("unigram", "bigram")),
              f"Kneser-Ney order {results['ngram_best']['order']}: {results['ngram_best']['nats']:.3f}",
              "LSTM per seed:", " ".join(f"{row['nats']:.3f}" for row in results["lstm_seeds"]), "nats/char")

# --- chapter 11: the cell variants on the memory task -----------------------------------------------------


def run_cell_variants(T=40, seeds=tuple(range(10)), steps=300, progress=True):
    """Train the LSTM, the peephole LSTM and the coupled-gate LSTM on the memory task of
    chapter 7.

    ``python -m lstm.experiments cell_variants`` writes the result to
    ``results/cell_variants.json``. Every model starts from the same weights for a given
    seed: those of :func:`memory_task_parameters` for ``"lstm"`` (chrono-initialised
    biases), the same plus zero peepholes ``pf = pi = po = 0`` for ``"peephole"`` (so it
    starts as exactly that LSTM), and the same without ``Wi, bi`` for ``"coupled"`` (its
    update gate 1 - Γf matches the chrono initialisation bi = -bf). All three run the
    reference implementations, with the optimiser, clipping, batch size and test set of
    chapter 7 (``LONG_MEMORY_CONFIG``), and the same batches.

    Returns
    -------
    dict
        ``{"task": str, "T": int, "steps": int, "seeds": [...], "models": [...],
        "accuracy": {model: [test accuracy of each seed]},
        "updates_to_learn": {model: [first update at which the training loss, averaged
        over the last 10 updates, is below 0.05 nats; None if never]}, "curve": {"step":
        [...], model: [[mean training loss per window of 10 updates], ...]}, "config":
        {...}}``.
    """
    from .loss import lstm_output_loss, lstm_output_loss_backward, predict_classes
    from .optim import clip_by_global_norm
    from .sequence import lstm_backward, lstm_forward
    from .train import _progress_bar
    from .variants import variant_backward, variant_forward

    config = LONG_MEMORY_CONFIG
    models = ("lstm", "peephole", "coupled")
    window, threshold = 10, 0.05

    def initial(model, seed):
        p = memory_task_parameters("lstm", seed, config)
        if model == "peephole":
            p.update({key: np.zeros((config["n_hidden"], 1)) for key in ("pf", "pi", "po")})
        if model == "coupled":
            del p["Wi"], p["bi"]
        return p

    def forward_backward(model, p, x, labels):
        a0 = np.zeros((config["n_hidden"], x.shape[1]))
        if model == "lstm":
            a, _, _, caches = lstm_forward(x, a0, p)
        else:
            a, _, _, caches = variant_forward(x, a0, p, model)
        loss, output_cache = lstm_output_loss(a, p, labels, "last")
        output = lstm_output_loss_backward(output_cache)
        da = output.pop("da")
        if model == "lstm":
            recurrent = lstm_backward(da, caches)
        else:
            recurrent = variant_backward(da, caches, model)
        recurrent.pop("dx"), recurrent.pop("da0")
        return loss, {**recurrent, **output}

    def test_accuracy(model, p, seed):
        rng = np.random.default_rng([seed, T, 2026])  # chapter 7's test set
        x, labels = long_memory_batch(rng, config["n_test"], T, config["n_classes"])
        a0 = np.zeros((config["n_hidden"], x.shape[1]))
        forward = lstm_forward if model == "lstm" else (
            lambda x, a0, p: variant_forward(x, a0, p, model))
        a = forward(x, a0, p)[0]
        return float(np.mean(predict_classes(a, p["Wy"], p["by"], "last") == labels))

    accuracy, updates, curves = {}, {}, {}
    for model in models:
        accuracy[model], updates[model], curves[model] = [], [], []
        for seed in seeds:
            p = initial(model, seed)
            optimizer = Adam(config["learning_rate"])
            rng = np.random.default_rng(seed)  # the same batches for every model
            losses = np.zeros(steps)
            for step in _progress_bar(steps, progress, f"{model} seed={seed}"):
                x, labels = long_memory_batch(rng, config["batch_size"], T, config["n_classes"])
                losses[step], gradients = forward_backward(model, p, x, labels)
                gradients, _ = clip_by_global_norm(gradients, config["max_norm"])
                optimizer.step(p, gradients)
            smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
            below = np.flatnonzero(smooth < threshold)
            updates[model].append(int(below[0]) + window if below.size else None)
            accuracy[model].append(test_accuracy(model, p, seed))
            curves[model].append(losses.reshape(-1, window).mean(axis=1).round(5).tolist())
    return {
        "task": "classify a sequence by its first symbol, shown before T distractor steps",
        "T": T, "steps": steps, "seeds": list(seeds), "models": list(models),
        "accuracy": accuracy, "updates_to_learn": updates,
        "curve": {"step": list(range(window, steps + 1, window)), **curves},
        "config": {**config, "window": window, "threshold_nats": threshold},
    }


if __name__ == "__main__":
    main()
