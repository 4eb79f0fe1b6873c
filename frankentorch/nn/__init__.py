"""Neural-network building blocks (``frankentorch.nn``)."""
from . import functional  # noqa: F401
from .parameter import Parameter, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import init  # noqa: F401
from . import utils  # noqa: F401
from .modules.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401,E501
from .modules.attention import MultiheadAttention  # noqa: F401
from .modules.transformer import TransformerEncoderLayer, TransformerEncoder  # noqa: F401
