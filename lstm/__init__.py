"""LSTMs from scratch: the math of the course, in numpy.

Every function here is one the chapters derive: the LSTM, the vanilla RNN, the GRU (:mod:`lstm.gru`),
stacked and bidirectional LSTMs (:mod:`lstm.deep`) and two variants of the cell (:mod:`lstm.variants`).
``import lstm`` loads only the math. Training lives in :mod:`lstm.train`, the fused implementation in
:mod:`lstm.fast`, the experiments of the training chapters in :mod:`lstm.experiments`, the bridge to PyTorch
in :mod:`lstm.pytorch`.

Shapes: features first, then the batch, then time. ``x`` is (n_x, m, T_x), one step's input ``xt`` is (n_x, m),
hidden and cell states are (n_a, m), predictions (n_y, m).
"""

from .activations import sigmoid, softmax
from .cell import lstm_cell_backward, lstm_cell_forward
from .deep import stacked_lstm_backward, stacked_lstm_final_states, stacked_lstm_forward
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward, initialize_gru_parameters
from .loss import softmax_cross_entropy, softmax_cross_entropy_backward
from .optim import SGD, Adam, clip_by_global_norm, global_norm, load_parameters, save_parameters
from .parameters import (
    LSTM_PARAMETER_KEYS,
    RNN_PARAMETER_KEYS,
    MissingParameterError,
    initialize_lstm_parameters,
    initialize_rnn_parameters,
)
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward
from .sample import sample_text
from .sequence import lstm_backward, lstm_forward
from .variants import (
    coupled_cell_backward,
    coupled_cell_forward,
    initialize_coupled_parameters,
    initialize_peephole_parameters,
    peephole_cell_backward,
    peephole_cell_forward,
    variant_backward,
    variant_forward,
)

__all__ = [
    "LSTM_PARAMETER_KEYS",
    "RNN_PARAMETER_KEYS",
    "SGD",
    "Adam",
    "MissingParameterError",
    "clip_by_global_norm",
    "global_norm",
    "load_parameters",
    "save_parameters",
    "sample_text",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "gradient_check",
    "initialize_lstm_parameters",
    "initialize_rnn_parameters",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "numerical_gradient",
    "relative_error",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "sigmoid",
    "softmax",
    "stacked_lstm_backward",
    "stacked_lstm_final_states",
    "stacked_lstm_forward",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "initialize_gru_parameters",
    "coupled_cell_backward",
    "coupled_cell_forward",
    "initialize_coupled_parameters",
    "initialize_peephole_parameters",
    "peephole_cell_backward",
    "peephole_cell_forward",
    "variant_backward",
    "variant_forward",
]
