"""Entropy weights against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loyalscope.errors import InsufficientDataError
from loyalscope.indices.entropy import entropy_weights


def test_entropy_weights_hand_computation() -> None:
    # col 1 = (1, 2, 3): x' = (0, .5, 1), p = (0, 1/3, 2/3)
    #   e1 = -(1/3 ln 1/3 + 2/3 ln 2/3) / ln 3 = 0.636514 / 1.098612 = 0.579380
    # col 2 = (4, 4, 8): x' = (0, 0, 1), p = (0, 0, 1), e2 = 0
    # d = (0.420620, 1), w = d / 1.420620 = (0.296082, 0.703918)
    x = np.array([[1.0, 4.0], [2.0, 4.0], [3.0, 8.0]])
    w = entropy_weights(x)
    e1 = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    assert e1 == pytest.approx(0.579380, abs=1e-6)
    np.testing.assert_allclose(w, [0.296082, 0.703918], atol=1e-6)


def test_negative_direction_and_constant_column() -> None:
    x = np.array([[3.0, 1.0, 7.0], [2.0, 2.0, 7.0], [1.0, 3.0, 7.0]])
    w = entropy_weights(x, positive=[False, True, True])
    # the reversed first column equals the second one; the constant third gets 0
    assert w[0] == pytest.approx(w[1])
    assert w[2] == 0.0
    assert w.sum() == pytest.approx(1.0)


def test_too_few_rows() -> None:
    with pytest.raises(InsufficientDataError):
        entropy_weights(np.array([[1.0, 2.0]]))
