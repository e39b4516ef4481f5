"""Course tooling: the feedback checks the exercise notebooks call, the grader and the generator of learner notebooks.

Not imported by ``import lstm``: the math package stays the one a learner reads. The notebooks import the checks
from here, for example ``from grading import check_lstm_cell_forward``.
"""

from .checks import (
    check_lstm_backward,
    check_lstm_cell_backward,
    check_lstm_cell_forward,
    check_lstm_forward,
    check_softmax,
    example_cell_inputs,
    example_sequence_inputs,
    example_upstream_gradient,
    show,
)
from .checks_bidirectional import check_bidirectional_lstm_backward, example_bidirectional_layer
from .checks_gradient_checker import (
    check_backward_with_your_checker,
    check_cell_gradient_errors,
    check_gradient_check,
    check_numerical_gradient,
    check_relative_error,
)
from .checks_gru import check_gru_cell_backward, check_gru_cell_forward

__all__ = [
    "check_backward_with_your_checker",
    "check_bidirectional_lstm_backward",
    "check_cell_gradient_errors",
    "check_gradient_check",
    "check_gru_cell_backward",
    "check_gru_cell_forward",
    "check_lstm_backward",
    "check_lstm_cell_backward",
    "check_lstm_cell_forward",
    "check_lstm_forward",
    "check_numerical_gradient",
    "check_relative_error",
    "check_softmax",
    "example_bidirectional_layer",
    "example_cell_inputs",
    "example_sequence_inputs",
    "example_upstream_gradient",
    "show",
]
