"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Parameters, names, shapes, registration order and initialisation are torch's. As in torch's
CPU path, the input projection of a whole sequence is computed at once, then each step adds
the hidden projection (``addmm`` with the transposed weight taken once per sequence)
and applies the gate nonlinearities. For LSTM and GRU that elementwise part is one fused
autograd node per step (torch has the same fused cells); gate order: LSTM (i, f, g, o),
GRU (r, z, n) with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import addmm, cat, empty, stack, zeros
from ..._tensor import Tensor, from_array
from ...autograd.function import Function, once_differentiable
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# ---------------------------------------------------------------------------- one time step

def _hidden(h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """The hidden-state projection ``h @ W_hhᵀ + b_hh`` (one addmm, as ``linear`` computes)."""
    return h.mm(w_hh_t) if b_hh is None else addmm(b_hh, h, w_hh_t)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))


class _LSTMGates(Function):
    """The elementwise part of an LSTM step, fused (as torch's ``_thnn_fused_lstm_cell``):
    from the hidden and input gate projections and the previous cell state to ``(h, c)``
    with ``c = f*c_prev + i*g`` and ``h = o*tanh(c)``; one graph node instead of a dozen."""

    @staticmethod
    def forward(ctx, hgates: Tensor, igates: Tensor, cx: Tensor):
        gates = hgates.detach().numpy() + igates.detach().numpy()
        i, f, g, o = np.split(gates, 4, axis=1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c_prev = cx.detach().numpy()
        cy = f * c_prev + i * g
        tc = np.tanh(cy)
        ctx.saved = (i, f, g, o, tc, c_prev)
        return from_array(o * tc), from_array(cy)

    @staticmethod
    @once_differentiable
    def backward(ctx, dh: Tensor, dc: Tensor):
        i, f, g, o, tc, c_prev = ctx.saved
        one = tc.dtype.type(1)
        dh = dh.detach().numpy()
        dcy = dc.detach().numpy() + dh * o * (one - tc * tc)
        dgates = from_array(np.concatenate([dcy * g * i * (one - i), dcy * c_prev * f * (one - f),
                                            dcy * i * (one - g * g), dh * tc * o * (one - o)],
                                           axis=1))
        return dgates, dgates, from_array(dcy * f)


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh_t, b_hh, w_hr):
    """One LSTM step from the precomputed input projection ``gi``."""
    h, c = _LSTMGates.apply(_hidden(h, w_hh_t, b_hh), gi, c)
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


class _GRUGates(Function):
    """The elementwise part of a GRU step, fused (as torch's ``_thnn_fused_gru_cell``):
    ``r, z = σ(h_r + i_r), σ(h_z + i_z)``, ``n = tanh(i_n + r*h_n)``, ``h' = (h - n)*z + n``."""

    @staticmethod
    def forward(ctx, hgates: Tensor, igates: Tensor, hx: Tensor):
        hr, hz, hn = np.split(hgates.detach().numpy(), 3, axis=1)
        ir, iz, in_ = np.split(igates.detach().numpy(), 3, axis=1)
        r = _sigmoid(hr + ir)
        z = _sigmoid(hz + iz)
        n = np.tanh(in_ + hn * r)
        h = hx.detach().numpy()
        ctx.saved = (r, z, n, hn, h)
        return from_array((h - n) * z + n)

    @staticmethod
    @once_differentiable
    def backward(ctx, dh: Tensor):
        r, z, n, hn, h = ctx.saved
        one = n.dtype.type(1)
        dh = dh.detach().numpy()
        dn = dh * (one - z) * (one - n * n)
        dr = dn * hn * r * (one - r)
        dz = dh * (h - n) * z * (one - z)
        return (from_array(np.concatenate([dr, dz, dn * r], axis=1)),
                from_array(np.concatenate([dr, dz, dn], axis=1)), from_array(dh * z))


def _gru_step(gi: Tensor, h: Tensor, w_hh_t, b_hh):
    """One GRU step from the precomputed input projection ``gi``."""
    return _GRUGates.apply(_hidden(h, w_hh_t, b_hh), gi, h)


def _rnn_step(gi: Tensor, h: Tensor, w_hh_t, b_hh, relu: bool):
    pre = _hidden(h, w_hh_t, b_hh) + gi
    return pre.relu() if relu else pre.tanh()


def _run_direction(mode: str, x: Tensor, h: Tensor, c: Tensor | None, weights: list,
                   reverse: bool):
    """One layer in one direction over a (T, B, I) sequence; returns the (T, B, H) outputs and
    the final hidden (and cell) state."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    w_hh_t = w_hh.t()
    gis = F.linear(x, w_ih, b_ih).unbind(0)
    steps = range(len(gis) - 1, -1, -1) if reverse else range(len(gis))
    outs: list = [None] * len(gis)
    for t in steps:
        if mode == "LSTM":
            h, c = _lstm_step(gis[t], h, c, w_hh_t, b_hh, w_hr)
        elif mode == "GRU":
            h = _gru_step(gis[t], h, w_hh_t, b_hh)
        else:
            h = _rnn_step(gis[t], h, w_hh_t, b_hh, mode == "RNN_RELU")
        outs[t] = h
    return stack(outs), h, c


# ---------------------------------------------------------------------------- layers

class RNNBase(Module):
    """Shared parameters and sequence loop of RNN, LSTM and GRU."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_input_size)),
                          ("weight_hh", (gate_size, real_hidden_size))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr", (proj_size, hidden_size)))
                names = [f"{kind}_l{layer}{suffix}" for kind, _ in params]
                for name, (_, shape) in zip(names, params):
                    setattr(self, name, Parameter(empty(shape, **factory_kwargs)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, w) for w in weights] for weights in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op on the CPU (cuDNN's packed weight buffer does not exist here)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ------------------------------------------------------------------ argument checks

    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got "
                               f"{input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return hx

    # ------------------------------------------------------------------ computation

    def _prepare(self, input: Tensor, name: str):
        """Check the input's rank and give an unbatched input a batch dim; returns the 3-D
        input and whether the input was batched."""
        if input.dim() not in (2, 3):
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, is_batched

    def _zeros(self, input: Tensor, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return zeros(self.num_layers * num_directions, batch, size, dtype=input.dtype,
                     device=input.device)

    def _run(self, input: Tensor, h0: Tensor, c0: Tensor | None):
        """All layers and directions; returns the output and the stacked final states."""
        x = input.transpose(0, 1) if self.batch_first else input
        num_directions = 2 if self.bidirectional else 1
        weights = self._flat_weights
        per_dir = len(weights) // (self.num_layers * num_directions)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_directions):
                idx = layer * num_directions + d
                w = weights[idx * per_dir:(idx + 1) * per_dir]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                out, h, c = _run_direction(self.mode, x, h0[idx],
                                           None if c0 is None else c0[idx],
                                           [w_ih, w_hh, b_ih, b_hh, w_hr], reverse=d == 1)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if num_directions == 1 else cat(outs, 2)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, stack(h_n), (stack(c_n) if c0 is not None else None)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`` (or ReLU)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return _single_state_forward(self, input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit (reset, update and new gates)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return _single_state_forward(self, input, hx, "GRU")


def _single_state_forward(self: RNNBase, input: Tensor, hx, name: str):
    input, is_batched = self._prepare(input, name)
    if hx is not None:
        if not is_batched:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        elif hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
    else:
        hx = self._zeros(input, self.hidden_size)
    self.check_forward_args(input, hx)
    output, hidden, _ = self._run(input, hx, None)
    if not is_batched:
        output = output.squeeze(0 if self.batch_first else 1)
        hidden = hidden.squeeze(1)
    return output, hidden


class LSTM(RNNBase):
    """Long short-term memory, optionally with a projection of the hidden state."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        input, is_batched = self._prepare(input, "LSTM")
        if hx is None:
            real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real_hidden), self._zeros(input, self.hidden_size))
        elif is_batched:
            if hx[0].dim() != 3 or hx[1].dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        else:
            if hx[0].dim() != 2 or hx[1].dim() != 2:
                raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        output, h_n, c_n = self._run(input, hx[0], hx[1])
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


# ---------------------------------------------------------------------------- cells

class RNNCellBase(Module):
    """Parameters ``weight_ih``, ``weight_hh`` (and ``bias_ih``, ``bias_hh``) of a cell."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size),
                                         **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size),
                                         **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input: Tensor, hx, name: str, hidden_label: str = "hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = hx if isinstance(hx, (tuple, list)) else (() if hx is None else (hx,))
        for idx, value in enumerate(states):
            if value.dim() not in (1, 2):
                label = f"hx[{idx}]" if isinstance(hx, (tuple, list)) else hidden_label
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                 f"{value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
            states = tuple(s.unsqueeze(0) for s in states)
        if not states:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            states = (z, z)
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """One Elman RNN step."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h, *_), is_batched = self._batched(input, hx, "RNNCell")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        ret = _rnn_step(gi, h, self.weight_hh.t(), self.bias_hh, self.nonlinearity == "relu")
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        input, (h, c), is_batched = self._batched(input, hx, "LSTMCell")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h, c, self.weight_hh.t(), self.bias_hh, None)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h, *_), is_batched = self._batched(input, hx, "GRUCell")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        ret = _gru_step(gi, h, self.weight_hh.t(), self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
