"""Recurrent and attention layers against real torch: parameter names, shapes and seeded
initial values, outputs and gradients with the same parameters, argument errors."""
import warnings

import numpy as np
import pytest
import torch

import frankentorch as ft

RTOL, ATOL = 2e-5, 2e-6


def copy_params(tm, fm) -> None:
    """Give the frankentorch module the torch module's parameter values."""
    names_t = [n for n, _ in tm.named_parameters()]
    names_f = [n for n, _ in fm.named_parameters()]
    assert names_f == names_t
    with ft.no_grad():
        for (_, pt), (_, pf) in zip(tm.named_parameters(), fm.named_parameters()):
            pf.copy_(ft.tensor(pt.detach().numpy()))


def run_both(make, inputs, call):
    """Build the module with both libraries, share the parameters, run ``call`` and
    backward through the sum of all outputs; returns outputs and parameter grads."""
    tm, fm = make(torch), make(ft)
    copy_params(tm, fm)
    res = []
    for T, m in ((torch, tm), (ft, fm)):
        args = [T.tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]
        for a in args:
            if isinstance(a, T.Tensor) and a.dtype.is_floating_point:
                a.requires_grad_()
        outs = call(m, *args)
        flat = [o for o in outs if o is not None]
        total = flat[0].sum()
        for o in flat[1:]:
            total = total + o.sum()
        total.backward()
        res.append(([o.detach().numpy() for o in flat],
                    [p.grad.numpy() if p.grad is not None else None for p in m.parameters()],
                    [a.grad.numpy() for a in args if isinstance(a, T.Tensor) and
                     a.grad is not None]))
    return res


def assert_close(a, b):
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
            continue
        assert x.shape == y.shape
        np.testing.assert_allclose(y, x, rtol=RTOL, atol=ATOL)


def check(make, inputs, call):
    (ot, gt, it), (of, gf, if_) = run_both(make, inputs, call)
    assert len(ot) == len(of)
    assert_close(ot, of)
    assert_close(gt, gf)
    assert_close(it, if_)


def _flatten_state(out):
    o, h = out
    return (o, *h) if isinstance(h, tuple) else (o, h)


RNN_CASES = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2, bias=False)),
    ("RNN", dict(bidirectional=True, batch_first=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=3, batch_first=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=3, batch_first=True)),
    ("GRU", dict(bidirectional=True, num_layers=2)),
]


@pytest.mark.parametrize("name,kw", RNN_CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(RNN_CASES)])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers(name, kw, with_state):
    rng = np.random.default_rng(0)
    seq, batch, inp, hid = 5, 3, 4, 6
    shape = (batch, seq, inp) if kw.get("batch_first") else (seq, batch, inp)
    x = rng.standard_normal(shape).astype(np.float32)
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h_size = kw.get("proj_size") or hid
    h0 = rng.standard_normal((layers * dirs, batch, h_size)).astype(np.float32)
    c0 = rng.standard_normal((layers * dirs, batch, hid)).astype(np.float32)

    def make(T):
        return getattr(T.nn, name)(inp, hid, **kw)

    if not with_state:
        check(make, [x], lambda m, x: _flatten_state(m(x)))
    elif name == "LSTM":
        check(make, [x, h0, c0], lambda m, x, h, c: _flatten_state(m(x, (h, c))))
    else:
        check(make, [x, h0], lambda m, x, h: _flatten_state(m(x, h)))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    h0 = rng.standard_normal((2, 3)).astype(np.float32)

    def make(T):
        return getattr(T.nn, name)(4, 3, num_layers=2)

    if name == "LSTM":
        check(make, [x, h0, h0.copy()], lambda m, x, h, c: _flatten_state(m(x, (h, c))))
    else:
        check(make, [x, h0], lambda m, x, h: _flatten_state(m(x, h)))
    check(make, [x], lambda m, x: _flatten_state(m(x)))


@pytest.mark.parametrize("name,kw", [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu",
                                                                            bias=False)),
                                     ("LSTMCell", dict()), ("GRUCell", dict()),
                                     ("GRUCell", dict(bias=False))])
def test_cells(name, kw):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    h = rng.standard_normal((3, 5)).astype(np.float32)

    def make(T):
        return getattr(T.nn, name)(4, 5, **kw)

    def call(m, x, h, *c):
        out = m(x, (h, c[0]) if c else h) if h is not None else m(x)
        return out if isinstance(out, tuple) else (out,)

    check(make, [x, h, h * 0.5] if name == "LSTMCell" else [x, h], call)
    check(make, [x], lambda m, x: call(m, x, None))
    check(make, [x[0], h[0]] + ([h[1]] if name == "LSTMCell" else []), call)


def test_rnn_multilayer_dropout_train_and_eval():
    """Dropout between layers uses the generator like torch (same seed, same masks)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2, 4)).astype(np.float32)
    outs = []
    for T in (torch, ft):
        T.manual_seed(7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = T.nn.LSTM(4, 5, num_layers=3, dropout=0.5)
        y_train = m(T.tensor(x))[0]
        m.eval()
        y_eval = m(T.tensor(x))[0]
        outs.append((y_train.detach().numpy(), y_eval.detach().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("make", [
    lambda T: T.nn.LSTM(4, 5, 2, bidirectional=True),
    lambda T: T.nn.GRU(3, 4),
    lambda T: T.nn.RNN(3, 4, 2, "relu", batch_first=True),
    lambda T: T.nn.LSTM(3, 6, proj_size=2),
    lambda T: T.nn.LSTMCell(3, 4),
    lambda T: T.nn.GRUCell(3, 4, bias=False),
    lambda T: T.nn.RNNCell(3, 4, nonlinearity="relu"),
    lambda T: T.nn.MultiheadAttention(8, 2),
    lambda T: T.nn.MultiheadAttention(8, 4, kdim=3, vdim=5, add_bias_kv=True),
    lambda T: T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
], ids=["lstm", "gru", "rnn", "lstm-proj", "lstmcell", "grucell", "rnncell", "mha",
        "mha-kv", "encoder-layer"])
def test_seeded_init_names_and_repr(make):
    """Same seed → bit-identical initial parameters, same names, shapes and repr."""
    mods = []
    for T in (torch, ft):
        T.manual_seed(1234)
        mods.append(make(T))
    tm, fm = mods
    assert [(n, tuple(p.shape)) for n, p in fm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    for (_, a), (_, b) in zip(tm.named_parameters(), fm.named_parameters()):
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())
    assert list(fm.state_dict()) == list(tm.state_dict())
    assert repr(fm) == repr(tm)


def rnn_errors(T):
    lstm = T.nn.LSTM(4, 5, 2)
    gru = T.nn.GRU(4, 5)
    x = T.tensor(np.zeros((3, 2, 4), np.float32))
    calls = [
        lambda: T.nn.LSTM(4, 5, proj_size=5),
        lambda: T.nn.LSTM(4, 5, proj_size=-1),
        lambda: T.nn.GRU(4, 5, proj_size=2),
        lambda: T.nn.RNN(4, 5, nonlinearity="gelu"),
        lambda: T.nn.RNN(4, 5, dropout=1.5),
        lambda: T.nn.RNN(4, 0),
        lambda: T.nn.RNN(4.0, 5),
        lambda: T.nn.RNN(4, 5, bias=1),
        lambda: T.nn.RNN(4, 5, num_layers=0),
        lambda: lstm(T.tensor(np.zeros((3, 2, 3), np.float32))),
        lambda: lstm(T.tensor(np.zeros((3, 4), np.float64))),
        lambda: lstm(T.tensor(np.zeros((3,), np.float32))),
        lambda: lstm(x, (T.tensor(np.zeros((2, 2, 5), np.float32)),
                         T.tensor(np.zeros((1, 2, 5), np.float32)))),
        lambda: lstm(x, (T.tensor(np.zeros((2, 5), np.float32)),
                         T.tensor(np.zeros((2, 5), np.float32)))),
        lambda: gru(x, T.tensor(np.zeros((1, 3, 5), np.float32))),
        lambda: gru(x, T.tensor(np.zeros((2, 5), np.float32))),
        lambda: T.nn.GRUCell(4, 5)(T.tensor(np.zeros((1, 2, 4), np.float32))),
        lambda: T.nn.LSTMCell(4, 5)(T.tensor(np.zeros((2, 4), np.float32)),
                                    (T.tensor(np.zeros((1, 1, 2, 5), np.float32)),
                                     T.tensor(np.zeros((2, 5), np.float32)))),
        lambda: T.nn.MultiheadAttention(8, 3),
        lambda: T.nn.MultiheadAttention(0, 2),
    ]
    return outcomes(calls)


def outcomes(calls):
    """For each call: None, or the type and message of what it raised (warnings muted)."""
    out = []
    for c in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - the type and message are compared
            out.append((type(e).__name__, str(e)))
    return out


def test_rnn_errors_match_torch():
    assert rnn_errors(ft) == rnn_errors(torch)


# ----------------------------------------------------------------------------- attention

MHA_CASES = [
    dict(),
    dict(kdim=5, vdim=3),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(batch_first=True, bias=False),
]


@pytest.mark.parametrize("kw", MHA_CASES, ids=["packed", "kdim-vdim", "bias-kv", "batch-first"])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "3d"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_weights_path(kw, masks, average):
    rng = np.random.default_rng(4)
    L, S, N, E, H = 4, 6, 3, 8, 2
    q = rng.standard_normal((L, N, E)).astype(np.float32)
    k = rng.standard_normal((S, N, kw.get("kdim", E))).astype(np.float32)
    v = rng.standard_normal((S, N, kw.get("vdim", E))).astype(np.float32)
    if kw.get("batch_first"):
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    kpm = np.zeros((N, S), bool)
    kpm[:, -1] = True
    kpm[0, 2] = True
    extra = {}
    if masks == "bool":
        extra = dict(key_padding_mask=kpm, attn_mask=np.triu(np.ones((L, S), bool), 3))
    elif masks == "float":
        extra = dict(key_padding_mask=np.where(kpm, -np.inf, 0).astype(np.float32),
                     attn_mask=rng.standard_normal((L, S)).astype(np.float32))
    elif masks == "3d":
        extra = dict(attn_mask=rng.standard_normal((N * H, L, S)).astype(np.float32))
    names = list(extra)

    def call(m, q, k, v, *ms):
        return m(q, k, v, average_attn_weights=average, **dict(zip(names, ms)))

    check(lambda T: T.nn.MultiheadAttention(E, H, **kw), [q, k, v, *extra.values()], call)


def test_multihead_attention_self_and_unbatched():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 2, 8)).astype(np.float32)
    check(lambda T: T.nn.MultiheadAttention(8, 4), [x], lambda m, x: m(x, x, x))
    xu = rng.standard_normal((5, 8)).astype(np.float32)
    kpm = np.array([False, False, True, False, True])
    check(lambda T: T.nn.MultiheadAttention(8, 4), [xu, kpm],
          lambda m, x, kpm: m(x, x, x, key_padding_mask=kpm))
    mem = rng.standard_normal((7, 2, 8)).astype(np.float32)
    check(lambda T: T.nn.MultiheadAttention(8, 2), [x, mem], lambda m, x, mem: m(x, mem, mem))


def mha_errors(T):
    m = T.nn.MultiheadAttention(8, 2)
    x = T.tensor(np.zeros((3, 2, 8), np.float32))
    calls = [
        lambda: m(x, x, T.tensor(np.zeros((3, 8), np.float32))),
        lambda: m(T.tensor(np.zeros((2, 3, 2, 8), np.float32)), x, x),
        lambda: m(x, x, x, attn_mask=T.tensor(np.zeros((3, 4), np.float32))),
        lambda: m(x, x, x, attn_mask=T.tensor(np.zeros((5, 3, 3), np.float32))),
        lambda: m(x, x, x, key_padding_mask=T.tensor(np.zeros((2, 4), bool))),
        lambda: m(x, x, x, key_padding_mask=T.tensor(np.zeros((2, 3), np.int64))),
        lambda: m(x, x, x, is_causal=True),
        lambda: m(T.tensor(np.zeros((3, 2, 6), np.float32)), x, x),
    ]
    return outcomes(calls)


def test_multihead_attention_errors_match_torch():
    assert mha_errors(ft) == mha_errors(torch)


@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_multihead_attention_no_weights_path(masks):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    extra = {}
    if masks == "bool":
        kpm = np.zeros((2, 5), bool)
        kpm[1, 3:] = True
        extra = dict(key_padding_mask=kpm, attn_mask=np.triu(np.ones((5, 5), bool), 1))
    elif masks == "float":
        extra = dict(attn_mask=rng.standard_normal((5, 5)).astype(np.float32))
    names = list(extra)

    def call(m, x, *ms):
        out, w = m(x, x, x, need_weights=False, **dict(zip(names, ms)))
        assert w is None
        return (out,)

    check(lambda T: T.nn.MultiheadAttention(8, 2, batch_first=True), [x, *extra.values()],
          call)


ENCODER_CASES = [
    dict(),
    dict(norm_first=True, activation="gelu", batch_first=True),
    dict(activation=None, layer_norm_eps=1e-3),
    dict(bias=False, batch_first=True),
]


@pytest.mark.parametrize("kw", ENCODER_CASES, ids=["post-norm", "pre-norm-gelu", "callable",
                                                   "no-bias"])
def test_transformer_encoder_layer(kw):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 8)).astype(np.float32)
    kpm = np.zeros((3, 4), bool)
    kpm[2, 2:] = True
    if kw.get("batch_first"):
        x = x.transpose(1, 0, 2).copy()

    def make(T):
        args = dict(kw)
        if "activation" in args and args["activation"] is None:
            args["activation"] = lambda t: T.nn.functional.silu(t)
        return T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **args)

    check(make, [x], lambda m, x: (m(x),))
    check(make, [x, kpm], lambda m, x, kpm: (m(x, src_key_padding_mask=kpm),))


def test_transformer_encoder_stack_with_causal_mask():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 2, 8)).astype(np.float32)
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)

    def make(T):
        layer = T.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return T.nn.TransformerEncoder(layer, 2, norm=T.nn.LayerNorm(8))

    check(make, [x, causal], lambda m, x, mask: (m(x, mask=mask),))
    check(make, [x], lambda m, x: (m(x),))


def test_transformer_encoder_nested_tensor_warning():
    def prog(T):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 2)
            T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                                 norm_first=True), 1)
            T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
        return [str(w.message) for w in seen]
    assert prog(ft) == prog(torch)


@pytest.mark.parametrize("make", [
    lambda: ft.nn.LSTM(3, 2, num_layers=2, bidirectional=True, dtype=ft.float64),
    lambda: ft.nn.GRU(3, 2, batch_first=True, dtype=ft.float64),
    lambda: ft.nn.LSTMCell(3, 2, dtype=ft.float64),
    lambda: ft.nn.GRUCell(3, 2, dtype=ft.float64),
], ids=["lstm", "gru", "lstmcell", "grucell"])
def test_recurrent_gradcheck(make):
    """Finite differences confirm the fused gate derivatives (inputs and states)."""
    m = make()
    cell = not isinstance(m, ft.nn.RNNBase)
    x = ft.randn(2, 3, 3, dtype=ft.float64).requires_grad_() if not cell else \
        ft.randn(3, 3, dtype=ft.float64).requires_grad_()
    h = ft.randn(*((3, 2) if cell else (m.num_layers * (2 if m.bidirectional else 1), 2 if
                                          m.batch_first else 3, 2)), dtype=ft.float64)
    h = h.requires_grad_()
    if isinstance(m, (ft.nn.LSTM, ft.nn.LSTMCell)):
        c = (h * 0.5).detach().requires_grad_()

        def fn(x, h, c):
            out = m(x, (h, c))
            return out if cell else (out[0], *out[1])
        assert ft.autograd.gradcheck(fn, (x, h, c))
    else:
        def fn(x, h):
            return m(x, h)
        assert ft.autograd.gradcheck(fn, (x, h))


@pytest.mark.parametrize("rows", [[[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]],
                                  [[0, 1, 0, 0, 0], [0, 0, 0, 1, 1]]],
                         ids=["left-aligned", "not-left-aligned"])
@pytest.mark.parametrize("norm", [False, True])
def test_transformer_encoder_inference_padding(rows, norm):
    """In inference torch runs padded batches as nested tensors: padded outputs are zeros
    (before the final norm); with gradients recorded it does not."""
    x = np.random.default_rng(9).standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.array(rows, bool)
    outs = []
    for T in (torch, ft):
        T.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = T.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
            m = T.nn.TransformerEncoder(layer, 2, norm=T.nn.LayerNorm(8) if norm else None)
        m.eval()
        with T.no_grad():
            inference = m(T.tensor(x), src_key_padding_mask=T.tensor(kpm))
        recorded = m(T.tensor(x), src_key_padding_mask=T.tensor(kpm))
        outs.append((inference.numpy(), recorded.detach().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
