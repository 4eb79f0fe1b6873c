"""Each layer against PyTorch: under the same seed the initial parameters are bit-identical,
and the forward outputs, buffers, input gradients and parameter gradients agree."""
from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import frankentorch as ft


def _np(t) -> np.ndarray:
    return t.detach().numpy().copy()


def _as_lib(lib, x: np.ndarray, requires_grad: bool):
    t = lib.from_numpy(x.copy())
    return t.requires_grad_() if requires_grad else t


def _tensors(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _close(a: np.ndarray, b: np.ndarray, what: str, rtol: float, atol: float) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def check_layer(make, *inputs: np.ndarray, train: bool = True, steps: int = 1, seed: int = 0,
                rtol: float = 1e-5, atol: float = 1e-6, call=lambda m, *xs: m(*xs)) -> None:
    """Build ``make(nn)`` in both libraries after ``manual_seed(seed)``; compare the initial
    parameters bit for bit, then run ``steps`` forward/backward passes on ``inputs`` and
    compare outputs, buffers and gradients; the RNG streams must stay in step."""
    runs = {}
    for lib in (torch, ft):
        lib.manual_seed(seed)
        m = make(lib.nn)
        m.train(train)
        record = {"params": [(n, _np(p)) for n, p in m.named_parameters()],
                  "repr": repr(m), "keys": list(m.state_dict().keys()), "steps": []}
        for _ in range(steps):
            xs = [_as_lib(lib, x, x.dtype.kind == "f") for x in inputs]
            outs = _tensors(call(m, *xs))
            loss = None
            for i, o in enumerate(outs):
                if o.is_floating_point() and o.requires_grad:
                    w = np.random.RandomState(i + 1).standard_normal(tuple(o.shape))
                    term = (o * lib.from_numpy(w.astype(_np(o).dtype))).sum()
                    loss = term if loss is None else loss + term
            if loss is not None:
                loss.backward()
            record["steps"].append({
                "outs": [_np(o) for o in outs],
                "input_grads": [None if x.grad is None else _np(x.grad) for x in xs],
                "param_grads": [None if p.grad is None else _np(p.grad)
                                for p in m.parameters()],
                "buffers": [(n, _np(b)) for n, b in m.named_buffers()]})
            m.zero_grad()
        record["next_draw"] = _np(lib.rand(3))
        runs[lib] = record
    t, f = runs[torch], runs[ft]
    assert [n for n, _ in t["params"]] == [n for n, _ in f["params"]]
    for (name, a), (_, b) in zip(t["params"], f["params"]):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"initial {name} differs"
    assert t["repr"] == f["repr"]
    assert t["keys"] == f["keys"]
    for st, sf in zip(t["steps"], f["steps"]):
        for key in ("outs", "input_grads", "param_grads"):
            assert len(st[key]) == len(sf[key]), key
            for i, (a, b) in enumerate(zip(st[key], sf[key])):
                assert (a is None) == (b is None), (key, i)
                if a is not None:
                    _close(a, b, f"{key}[{i}]", rtol, atol)
        assert [n for n, _ in st["buffers"]] == [n for n, _ in sf["buffers"]]
        for (name, a), (_, b) in zip(st["buffers"], sf["buffers"]):
            _close(a, b, f"buffer {name}", rtol, atol)
    assert np.array_equal(t["next_draw"], f["next_draw"]), "RNG streams diverged"


def _x(*shape, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.RandomState(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- linear family

@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Identity(3, unused=True), (2, 3)),
    (lambda nn: nn.Linear(5, 4), (3, 5)),
    (lambda nn: nn.Linear(5, 4, bias=False), (2, 3, 5)),
    (lambda nn: nn.Linear(1, 7), (4, 1)),
    (lambda nn: nn.Flatten(), (2, 3, 4)),
    (lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
    (lambda nn: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)), (5, 6)),
], ids=["identity", "linear", "linear-nobias-3d", "linear-1", "flatten", "flatten01",
        "unflatten", "mlp"])
def test_linear_and_shape_layers(make, shape):
    check_layer(make, _x(*shape))


def test_bilinear():
    check_layer(lambda nn: nn.Bilinear(3, 4, 2), _x(5, 3), _x(5, 4, seed=1))


def test_linear_double_dtype_and_factory_kwargs():
    check_layer(lambda nn: nn.Linear(4, 3, dtype=ft.float64 if nn is ft.nn else torch.float64),
                _x(2, 4, dtype=np.float64), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- convolutions and pooling

@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    (lambda nn: nn.Conv1d(4, 4, 3, groups=2, padding="same", padding_mode="circular"),
     (2, 4, 7)),
    (lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(3, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                          groups=3, bias=False), (2, 3, 7, 6)),
    (lambda nn: nn.Conv2d(2, 4, 3, padding="same", padding_mode="reflect"), (1, 2, 5, 5)),
    (lambda nn: nn.Conv2d(2, 3, (2, 3), padding=1, padding_mode="replicate"), (2, 2, 4, 4)),
    (lambda nn: nn.Conv2d(2, 3, 4, padding="same", dilation=2), (1, 2, 9, 8)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding="valid"), (3, 2, 5, 5)),
    (lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
     (2, 3, 4, 4)),
    (lambda nn: nn.ConvTranspose2d(4, 2, (2, 3), groups=2, dilation=(2, 1), bias=False),
     (1, 4, 3, 3)),
    (lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2), (2, 3, 5)),
    (lambda nn: nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 0, 1)), (1, 2, 4, 5, 3)),
], ids=["conv1d", "conv1d-same-circular", "conv2d", "conv2d-strided-groups",
        "conv2d-same-reflect", "conv2d-replicate", "conv2d-same-dilated", "conv2d-valid",
        "convT2d", "convT2d-groups", "convT1d", "conv3d"])
def test_convolutions(make, shape):
    check_layer(make, _x(*shape), rtol=1e-4, atol=1e-5)


def test_conv_transpose_with_output_size():
    check_layer(lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2), _x(1, 2, 4, 4),
                call=lambda m, x: m(x, output_size=[10, 9]), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.MaxPool1d(2), (2, 3, 8)),
    (lambda nn: nn.MaxPool1d(3, stride=2, padding=1, return_indices=True), (2, 3, 9)),
    (lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 7, 6)),
    (lambda nn: nn.MaxPool2d((2, 3), dilation=(1, 2), return_indices=True), (2, 2, 6, 9)),
    (lambda nn: nn.AvgPool1d(3, stride=2), (2, 3, 9)),
    (lambda nn: nn.AvgPool2d(2), (2, 3, 6, 6)),
    (lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
     (1, 2, 7, 6)),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    (lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 8)),
    (lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    (lambda nn: nn.AdaptiveAvgPool2d((None, 2)), (2, 3, 5, 5)),
    (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (lambda nn: nn.AdaptiveMaxPool2d((2, 2), return_indices=True), (1, 2, 5, 6)),
    (lambda nn: nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
], ids=["max1d", "max1d-idx", "max2d", "max2d-ceil", "max2d-dil-idx", "avg1d", "avg2d",
        "avg2d-nopad", "avg2d-div", "adaptive-avg", "adaptive-avg-1", "adaptive-avg-none",
        "adaptive-avg1d", "adaptive-max", "adaptive-max1d"])
def test_pooling(make, shape):
    check_layer(make, _x(*shape))


# ---------------------------------------------------------------- normalisation

@pytest.mark.parametrize("make,shape,train,steps", [
    (lambda nn: nn.BatchNorm1d(3), (4, 3), True, 2),
    (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5), True, 3),
    (lambda nn: nn.BatchNorm1d(3, affine=False), (4, 3), True, 1),
    (lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 4), True, 2),
    (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4), True, 1),
    (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4), False, 1),
    (lambda nn: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), (2, 3, 4, 4), False, 1),
    (lambda nn: nn.BatchNorm3d(2), (2, 2, 3, 2, 2), True, 2),
    (lambda nn: nn.LayerNorm(5), (3, 5), True, 1),
    (lambda nn: nn.LayerNorm((3, 5), elementwise_affine=False), (2, 3, 5), True, 1),
    (lambda nn: nn.LayerNorm(5, bias=False, eps=1e-3), (2, 5), True, 1),
    (lambda nn: nn.GroupNorm(2, 4), (3, 4, 5), True, 1),
    (lambda nn: nn.GroupNorm(3, 6, affine=False), (2, 6, 2, 2), True, 1),
], ids=["bn1d", "bn1d-cumulative", "bn1d-noaffine", "bn2d", "bn2d-nostats",
        "bn2d-nostats-eval", "bn2d-eval", "bn3d", "ln", "ln-noaffine", "ln-nobias", "gn",
        "gn-noaffine"])
def test_normalisation(make, shape, train, steps):
    check_layer(make, _x(*shape), train=train, steps=steps, rtol=1e-4, atol=1e-5)


def test_batchnorm_train_then_eval_uses_running_stats():
    def make(nn):
        bn = nn.BatchNorm2d(2)
        bn.train()
        x = (ft if nn is ft.nn else torch).from_numpy(_x(3, 2, 3, 3, seed=5) * 3 + 1)
        for _ in range(3):
            bn(x)
        return bn
    check_layer(make, _x(2, 2, 3, 3), train=False, rtol=1e-4, atol=1e-5)


def test_batchnorm_errors_and_num_batches_tracked():
    for lib in (torch, ft):
        bn = lib.nn.BatchNorm2d(2)
        with pytest.raises(ValueError, match="expected 4D input"):
            bn(lib.ones(2, 2))
        bn(lib.ones(2, 2, 1, 1) * lib.arange(2.0).reshape(1, 2, 1, 1))
        assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == lib.int64
        with pytest.raises(ValueError, match="expected 2D or 3D input"):
            lib.nn.BatchNorm1d(2)(lib.ones(2, 2, 2, 2))
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        sd._metadata[""]["version"] = 1
        bn.load_state_dict(sd)
        assert bn.num_batches_tracked.item() == 1


# ---------------------------------------------------------------- dropout and embedding

@pytest.mark.parametrize("make,shape,train", [
    (lambda nn: nn.Dropout(0.3), (4, 5), True),
    (lambda nn: nn.Dropout(), (64,), True),
    (lambda nn: nn.Dropout(0.3), (4, 5), False),
    (lambda nn: nn.Dropout1d(0.5), (3, 4, 5), True),
    (lambda nn: nn.Dropout2d(0.4), (2, 5, 3, 3), True),
    (lambda nn: nn.Dropout3d(0.4), (2, 5, 2, 2, 2), True),
    (lambda nn: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5, inplace=True)), (3, 4), True),
], ids=["dropout", "dropout-half", "dropout-eval", "dropout1d", "dropout2d",
        "dropout3d", "dropout-inplace"])
def test_dropout_masks_match(make, shape, train):
    check_layer(make, _x(*shape), train=train)


def test_dropout_rejects_bad_probability():
    for lib in (torch, ft):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            lib.nn.Dropout(1.5)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Embedding(10, 3),
    lambda nn: nn.Embedding(10, 3, padding_idx=1),
    lambda nn: nn.Embedding(10, 3, padding_idx=-2),
    lambda nn: nn.Embedding(10, 3, max_norm=1.0, norm_type=1.5),
], ids=["plain", "padding", "negative-padding", "max-norm"])
def test_embedding(make):
    idx = np.array([[1, 2, 8], [1, 0, 5]], dtype=np.int64)
    check_layer(make, idx)


def test_embedding_from_pretrained():
    weights = _x(4, 3)
    for freeze in (True, False):
        check_layer(lambda nn: nn.Embedding.from_pretrained(
            (ft if nn is ft.nn else torch).from_numpy(weights.copy()), freeze=freeze,
            padding_idx=0), np.array([0, 3, 3, 1], dtype=np.int64))


# ---------------------------------------------------------------- activations

@pytest.mark.parametrize("make", [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU6(), lambda nn: nn.GELU(),
    lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(), lambda nn: nn.Tanh(),
    lambda nn: nn.Sigmoid(), lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(-1),
    lambda nn: nn.LogSoftmax(dim=0), lambda nn: nn.LeakyReLU(0.2), lambda nn: nn.ELU(0.5),
    lambda nn: nn.Softplus(2.0, 1.0), lambda nn: nn.Hardswish(), lambda nn: nn.Mish(),
    lambda nn: nn.Hardtanh(-0.5, 0.7), lambda nn: nn.Hardsigmoid(), lambda nn: nn.LogSigmoid(),
])
def test_activations(make):
    check_layer(make, _x(3, 4) * 3)


@pytest.mark.parametrize("make", [
    lambda nn: nn.ReLU(inplace=True), lambda nn: nn.SiLU(inplace=True),
    lambda nn: nn.LeakyReLU(0.1, inplace=True), lambda nn: nn.ELU(inplace=True),
    lambda nn: nn.Hardtanh(inplace=True), lambda nn: nn.Hardswish(inplace=True),
])
def test_inplace_activations_after_a_layer(make):
    check_layer(lambda nn: nn.Sequential(nn.Linear(4, 4), make(nn)), _x(3, 4))


def test_softmax_without_dim_warns_like_torch():
    for lib in (torch, ft):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            lib.nn.Softmax()(lib.ones(2, 3))


def test_hardtanh_rejects_inverted_range():
    for lib in (torch, ft):
        with pytest.raises(AssertionError):
            lib.nn.Hardtanh(1.0, -1.0)


# ---------------------------------------------------------------- losses

def _lib_tensor(nn, x):
    lib = ft if nn is ft.nn else torch
    return lib.from_numpy(np.asarray(x, dtype=np.float32))


_PROBS = np.random.RandomState(3).uniform(0.05, 0.95, (4, 3)).astype(np.float32)
_TARGETS = (np.random.RandomState(4).uniform(size=(4, 3)) > 0.5).astype(np.float32)
_CLASSES = np.array([2, 0, 1, 2], dtype=np.int64)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("make,inputs", [
    (lambda nn, r: nn.MSELoss(reduction=r), (_x(4, 3), _x(4, 3, seed=1))),
    (lambda nn, r: nn.L1Loss(reduction=r), (_x(4, 3), _x(4, 3, seed=1))),
    (lambda nn, r: nn.SmoothL1Loss(reduction=r, beta=0.5), (_x(4, 3), _x(4, 3, seed=1))),
    (lambda nn, r: nn.HuberLoss(reduction=r, delta=0.7), (_x(4, 3), _x(4, 3, seed=1))),
    (lambda nn, r: nn.CrossEntropyLoss(reduction=r), (_x(4, 3), _CLASSES)),
    (lambda nn, r: nn.CrossEntropyLoss(weight=_lib_tensor(nn, [0.2, 1.0, 3.0]),
                                       ignore_index=0, label_smoothing=0.1, reduction=r),
     (_x(4, 3), _CLASSES)),
    (lambda nn, r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.2),
     (_x(4, 3), np.abs(_x(4, 3, seed=2)) / np.abs(_x(4, 3, seed=2)).sum(1, keepdims=True))),
    (lambda nn, r: nn.NLLLoss(weight=_lib_tensor(nn, [1.0, 2.0, 0.5]), reduction=r),
     (_x(4, 3), _CLASSES)),
    (lambda nn, r: nn.BCELoss(reduction=r), (_PROBS, _TARGETS)),
    (lambda nn, r: nn.BCELoss(weight=_lib_tensor(nn, [1.0, 0.5, 2.0]), reduction=r),
     (_PROBS, _TARGETS)),
    (lambda nn, r: nn.BCEWithLogitsLoss(pos_weight=_lib_tensor(nn, [1.0, 3.0, 0.5]),
                                        reduction=r), (_x(4, 3), _TARGETS)),
    (lambda nn, r: nn.KLDivLoss(reduction=r), (np.log(_PROBS), _PROBS[::-1])),
    (lambda nn, r: nn.KLDivLoss(reduction=r, log_target=True),
     (np.log(_PROBS), np.log(_PROBS[::-1]))),
    (lambda nn, r: nn.CosineEmbeddingLoss(margin=0.2, reduction=r),
     (_x(4, 5), _x(4, 5, seed=1), np.array([1, -1, 1, -1], dtype=np.float32))),
    (lambda nn, r: nn.MarginRankingLoss(margin=0.1, reduction=r),
     (_x(4), _x(4, seed=1), np.array([1, -1, -1, 1], dtype=np.float32))),
    (lambda nn, r: nn.TripletMarginLoss(margin=0.5, reduction=r),
     (_x(4, 5), _x(4, 5, seed=1), _x(4, 5, seed=2))),
    (lambda nn, r: nn.TripletMarginLoss(p=1.0, swap=True, reduction=r),
     (_x(4, 5), _x(4, 5, seed=1), _x(4, 5, seed=2))),
], ids=["mse", "l1", "smoothl1", "huber", "ce", "ce-weighted-smooth", "ce-probs", "nll",
        "bce", "bce-weight", "bcelogits", "kldiv", "kldiv-logtarget", "cosine", "ranking",
        "triplet", "triplet-p1-swap"])
def test_losses(make, inputs, reduction):
    check_layer(lambda nn: make(nn, reduction), *inputs, rtol=1e-5, atol=1e-6)


def test_kldiv_batchmean_and_legacy_reduction_flags():
    check_layer(lambda nn: nn.KLDivLoss(reduction="batchmean"), np.log(_PROBS), _PROBS)
    for lib in (torch, ft):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            assert lib.nn.MSELoss(size_average=False).reduction == "sum"
        with pytest.raises(TypeError, match="delta must be a float or int"):
            lib.nn.HuberLoss(delta="1")
        with pytest.raises(ValueError, match="expected margin to be greater than 0"):
            lib.nn.TripletMarginLoss(margin=0)


# ---------------------------------------------------------------- nn.init

@pytest.mark.parametrize("fn", [
    lambda init, t: init.uniform_(t, -0.3, 0.2),
    lambda init, t: init.normal_(t, 1.0, 0.5),
    lambda init, t: init.constant_(t, 0.25),
    lambda init, t: init.ones_(t),
    lambda init, t: init.zeros_(t),
    lambda init, t: init.xavier_uniform_(t, gain=init.calculate_gain("relu")),
    lambda init, t: init.xavier_normal_(t),
    lambda init, t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    lambda init, t: init.kaiming_normal_(t, a=0.1),
    lambda init, t: init.trunc_normal_(t, std=0.02),
    lambda init, t: init.trunc_normal_(t, mean=0.5, std=1.0, a=0.0, b=0.3),
    lambda init, t: init.trunc_normal_(t, std=2.0, a=-1.0, b=1.0),
    lambda init, t: init.sparse_(t.view(t.shape[0], -1), 0.3),
], ids=["uniform", "normal", "constant", "ones", "zeros", "xavier_uniform", "xavier_normal",
        "kaiming_uniform", "kaiming_normal", "trunc_normal", "trunc_normal_narrow",
        "trunc_normal_wide", "sparse"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 3, 3), (300, 40)], ids=str)
def test_init_bit_identical(fn, shape):
    results = []
    for lib in (torch, ft):
        lib.manual_seed(7)
        t = lib.empty(shape)
        out = fn(lib.nn.init, t)
        assert out is t or out.data_ptr() == t.data_ptr()
        results.append((_np(t), _np(lib.rand(2))))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)], ids=str)
def test_orthogonal_close_to_torch(shape):
    results = []
    for lib in (torch, ft):
        lib.manual_seed(3)
        t = lib.nn.init.orthogonal_(lib.empty(shape), gain=1.5)
        results.append((_np(t), _np(lib.rand(2))))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-5)
    assert np.array_equal(results[0][1], results[1][1])


def test_eye_dirac_gain_and_errors():
    for lib in (torch, ft):
        init = lib.nn.init
        assert np.array_equal(_np(init.eye_(lib.empty(3, 5))), np.eye(3, 5, dtype=np.float32))
        d = _np(init.dirac_(lib.empty(4, 2, 3, 3), groups=2))
        t = _np(torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2))
        assert np.array_equal(d, t)
        assert init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain(
            "leaky_relu", 0.2)
        assert init.calculate_gain("tanh") == 5.0 / 3 and init.calculate_gain("conv2d") == 1
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            init.calculate_gain("swish")
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
            init.xavier_uniform_(lib.empty(3))
        with pytest.raises(ValueError, match="Mode fan_up not supported"):
            init.kaiming_uniform_(lib.empty(3, 3), mode="fan_up")
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            init.eye_(lib.empty(3))
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            init.kaiming_uniform_(lib.empty(0, 3))
        with pytest.warns(FutureWarning, match="deprecated in favor of `nn.init.normal_`"):
            init.normal(lib.empty(2))
        p = lib.nn.Parameter(lib.ones(2, 2))
        init.normal_(p)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None


def _cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(4 * 3 * 3, 5))


def test_cnn_state_dict_interchange_with_torch():
    """A torch CNN's state (after BatchNorm has tracked a batch) loads into the frankentorch
    model through NumPy and gives the same eval outputs, and back again."""
    x = _x(2, 1, 6, 6)
    torch.manual_seed(0)
    tnet = _cnn(torch.nn)
    tnet(torch.from_numpy(x * 2 + 1))
    ft.manual_seed(1)
    fnet = _cnn(ft.nn)
    tsd = tnet.state_dict()
    assert list(tsd) == list(fnet.state_dict())
    assert list(tsd._metadata.items()) == list(fnet.state_dict()._metadata.items())
    res = fnet.load_state_dict({k: ft.from_numpy(v.numpy().copy()) for k, v in tsd.items()})
    assert repr(res) == "<All keys matched successfully>"
    tnet.eval()
    fnet.eval()
    np.testing.assert_allclose(_np(fnet(ft.from_numpy(x))), _np(tnet(torch.from_numpy(x))),
                               rtol=1e-5, atol=1e-6)
    back = _cnn(torch.nn).eval()
    back.load_state_dict({k: torch.from_numpy(_np(v)) for k, v in fnet.state_dict().items()})
    for (k, a), b in zip(tsd.items(), back.state_dict().values()):
        assert a.dtype == b.dtype and torch.equal(a, b), k


def _cnn_training(T, steps: int = 50):
    """A small CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout) trained with SGD+momentum on
    shuffled DataLoader batches; returns the losses, the model and the RNG's next draw."""
    T.manual_seed(0)
    nn, data = T.nn, T.utils.data
    model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.2), nn.Conv2d(6, 8, 3), nn.ReLU(),
                          nn.Flatten(), nn.Linear(8 * 2 * 2, 4))
    x = T.randn(40, 1, 8, 8)
    y = T.randint(0, 4, (40,))
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=8, shuffle=True,
                             generator=T.Generator().manual_seed(3))
    opt = T.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    while len(losses) < steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    return losses, model, _np(model(x[:4])), _np(T.rand(2))


def test_cnn_sgd_momentum_training_matches_torch():
    lt, mt, et, rt = _cnn_training(torch)
    lf, mf, ef, rf = _cnn_training(ft)
    np.testing.assert_allclose(lf, lt, rtol=1e-5)
    for (nt, vt), (nf, vf) in zip(mt.state_dict().items(), mf.state_dict().items()):
        assert nt == nf
        np.testing.assert_allclose(_np(vf), _np(vt), rtol=1e-4, atol=1e-5, err_msg=nt)
    np.testing.assert_allclose(ef, et, rtol=1e-4, atol=1e-5)
    assert np.array_equal(rt, rf)


def _sorted_sets(message: str) -> str:
    """A message with each ``{'a', 'b'}`` set printed sorted: a set literal's order depends on
    the hash seed of the process that compiled the module, so it is not part of the message."""
    return re.sub(r"\{('[^{}]*')\}",
                  lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def _constructor_sweep(T):
    """Constructor checks, reprs, buffers and indexing errors of many layers."""
    nn = T.nn
    out = []
    def attempt(f):
        try:
            r = f()
            plain = isinstance(r, (str, int, float, bool, tuple, list)) or r is None
            out.append(r if plain else repr(r))
        except Exception as e:
            text = _sorted_sets(str(e)).replace("frankentorch", "torch")
            out.append(f"{type(e).__name__}: {text}")
    T.manual_seed(0)
    attempt(lambda: nn.Linear(3, 4)(T.ones(3)).shape)
    attempt(lambda: repr(nn.ParameterList()))
    attempt(lambda: repr(nn.ParameterDict()))
    attempt(lambda: repr(nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(2, 2)})))
    attempt(lambda: nn.Sequential()(T.ones(2)).tolist())
    attempt(lambda: nn.Conv2d(3, 4, 3, padding="same", stride=2))
    attempt(lambda: nn.Conv2d(3, 4, 3, groups=2))
    attempt(lambda: nn.Conv2d(4, 4, 3, groups=0))
    attempt(lambda: nn.Conv2d(4, 4, 3, padding="full"))
    attempt(lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"))
    attempt(lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"))
    attempt(lambda: repr(nn.Conv2d(4, 8, (3, 1), stride=2, dilation=2, groups=4, bias=False)))
    attempt(lambda: repr(nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1)))
    attempt(lambda: nn.Embedding(3, 2, padding_idx=5))
    attempt(lambda: repr(nn.Embedding(3, 2, max_norm=1.0, norm_type=1.0,
                                      scale_grad_by_freq=True, sparse=True)))
    attempt(lambda: repr(nn.Unflatten(1, [2, 3])))
    attempt(lambda: nn.Unflatten(1, 6))
    attempt(lambda: nn.Unflatten(1, (2, 3.0)))
    attempt(lambda: nn.GroupNorm(3, 4))
    bn = nn.BatchNorm1d(3).double()
    attempt(lambda: [str(t.dtype) for t in (bn.num_batches_tracked, bn.running_mean, bn.weight)])
    attempt(lambda: str(nn.Linear(2, 2).half().weight.dtype))
    dest = OrderedDict()
    attempt(lambda: list(nn.Linear(2, 2).state_dict(destination=dest, prefix="x.").keys()))
    attempt(lambda: repr(nn.MaxPool2d(2)))
    attempt(lambda: repr(nn.MaxPool1d(3, 2, 1, return_indices=True)))
    attempt(lambda: repr(nn.AvgPool2d(3, 2, 1, ceil_mode=True)))
    attempt(lambda: repr(nn.AvgPool1d(3)))
    attempt(lambda: repr(nn.AdaptiveAvgPool2d((None, 3))))
    attempt(lambda: repr(nn.AdaptiveMaxPool2d(3, return_indices=True)))
    attempt(lambda: repr(nn.LayerNorm([2, 3], eps=1e-3)))
    attempt(lambda: repr(nn.GroupNorm(2, 4, affine=False)))
    attempt(lambda: repr(nn.BatchNorm2d(4, momentum=None, track_running_stats=False)))
    attempt(lambda: repr(nn.Hardtanh(-2, 2, inplace=True)))
    attempt(lambda: repr(nn.ReLU6(True)))
    attempt(lambda: repr(nn.ELU(inplace=True)))
    attempt(lambda: repr(nn.LeakyReLU(inplace=True)))
    attempt(lambda: repr(nn.Bilinear(2, 3, 4, bias=False)))
    attempt(lambda: repr(nn.Identity(1, 2)))
    attempt(lambda: repr(nn.Flatten(0, 2)))
    attempt(lambda: repr(nn.CrossEntropyLoss(label_smoothing=0.1)))
    attempt(lambda: [n for n, _ in nn.CrossEntropyLoss(weight=T.ones(3)).named_buffers()])
    attempt(lambda: [n for n, _ in nn.BCEWithLogitsLoss(pos_weight=T.ones(3)).named_buffers()])
    attempt(lambda: list(nn.BCEWithLogitsLoss(pos_weight=T.ones(3)).state_dict()))
    attempt(lambda: nn.Bilinear(0, 2, 3))
    attempt(lambda: repr(nn.Dropout1d(0.1, True)))
    attempt(lambda: repr(nn.Softplus(beta=2)))
    attempt(lambda: repr(nn.GELU(approximate="tanh")))
    attempt(lambda: nn.Softmax(dim=1).dim)
    attempt(lambda: repr(nn.Sequential(OrderedDict(a=nn.ReLU()))))
    attempt(lambda: nn.Sequential(nn.ReLU())[1])
    attempt(lambda: nn.ModuleList()[0])
    attempt(lambda: nn.ModuleDict()["x"])
    attempt(lambda: nn.ParameterList([T.ones(1)])[3])
    attempt(lambda: nn.ParameterDict()["x"])
    attempt(lambda: repr(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 3)])))
    return out


def test_constructor_checks_and_reprs():
    assert _constructor_sweep(ft) == _constructor_sweep(torch)
