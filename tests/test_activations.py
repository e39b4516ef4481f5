import warnings

import numpy as np
import pytest

from lstm import sigmoid, softmax


def test_sigmoid_matches_its_definition(rng):
    z = rng.normal(scale=5, size=(4, 3))
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14)


def test_sigmoid_is_exact_and_silent_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert s[0] == 0.0 and s[1] == 0.5 and s[2] == 1.0


def test_sigmoid_keeps_float32_and_converts_integers():
    assert sigmoid(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert sigmoid(np.array([0, 1])).dtype == np.float64
    assert float(sigmoid(0)) == 0.5


def test_softmax_columns_are_distributions(rng):
    z = rng.normal(scale=3, size=(5, 7))
    s = softmax(z)
    np.testing.assert_allclose(s.sum(axis=0), 1.0, rtol=1e-14)
    expected = np.exp(z) / np.exp(z).sum(axis=0)
    np.testing.assert_allclose(s, expected, rtol=1e-12)


def test_softmax_is_over_axis_0_not_1():
    z = np.array([[1.0, 1.0], [2.0, 0.0]])
    s = softmax(z)
    np.testing.assert_allclose(s[:, 1], [np.e / (np.e + 1), 1 / (np.e + 1)])
    assert s[0, 0] == pytest.approx(1 / (1 + np.e))


def test_softmax_is_stable_at_extremes():
    z = np.array([[1000.0, -1000.0], [-1000.0, -1000.0], [0.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = softmax(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(s[:, 1], [1 / 3, 1 / 3, 1 / 3])
