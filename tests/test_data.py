"""utils.data against PyTorch: the same batches, in the same shuffled order, with the same
generator (or global) seed; collation of tensors, numbers and containers; splits and
samplers; the RNG streams stay in step afterwards."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch

import frankentorch as ft


def _plain(x):
    """Batches as nested Python values with dtype names, comparable across libraries."""
    if isinstance(x, (torch.Tensor, ft.Tensor)):
        return ("tensor", str(x.dtype).rsplit(".", 1)[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, [(k, _plain(v)) for k, v in x.items()])
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    return x


def run_both(prog):
    """``prog(lib)`` gives the same plain values under torch and frankentorch, and leaves the
    global generator in the same state."""
    results = []
    for lib in (torch, ft):
        lib.manual_seed(1234)
        out = _plain(prog(lib))
        results.append((out, lib.rand(3).tolist()))
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1], "global RNG streams diverged"
    return results[0][0]


def _dataset(lib, n=10):
    x = lib.arange(n * 3, dtype=lib.float32).reshape(n, 3)
    y = lib.arange(n) % 3
    return lib.utils.data.TensorDataset(x, y)


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False),
                                                  (4, True), (16, False)])
def test_sequential_batches(batch_size, drop_last):
    def prog(lib):
        dl = lib.utils.data.DataLoader(_dataset(lib), batch_size=batch_size, drop_last=drop_last)
        return [len(dl), list(dl), list(dl)]
    run_both(prog)


@pytest.mark.parametrize("n,batch_size", [(10, 3), (7, 7), (50, 8), (1, 1)])
def test_shuffle_with_generator_matches_order(n, batch_size):
    def prog(lib):
        g = lib.Generator().manual_seed(42)
        dl = lib.utils.data.DataLoader(_dataset(lib, n), batch_size=batch_size, shuffle=True,
                                       generator=g)
        epochs = [list(dl) for _ in range(3)]
        return [epochs, g.initial_seed(), lib.randint(0, 1000, (3,), generator=g)]
    run_both(prog)


def test_shuffle_without_generator_draws_from_global_rng():
    def prog(lib):
        dl = lib.utils.data.DataLoader(_dataset(lib, 12), batch_size=5, shuffle=True,
                                       drop_last=True)
        return [list(dl), list(dl)]
    run_both(prog)


def test_iterating_draws_a_base_seed_even_without_shuffle():
    def prog(lib):
        dl = lib.utils.data.DataLoader(_dataset(lib, 4), batch_size=2)
        it = iter(dl)
        return [lib.rand(2), next(it), len(it)]
    run_both(prog)


def test_collate_tensors_numbers_and_containers():
    Point = namedtuple("Point", "x y")

    class Samples:
        def __init__(self, lib):
            self.lib = lib

        def __len__(self):
            return 5

        def __getitem__(self, i):
            lib = self.lib
            return {"img": lib.full((2, 2), float(i)), "label": i, "w": i * 0.5,
                    "name": f"s{i}", "flag": i % 2 == 0,
                    "pair": (lib.tensor([i, -i]), [i, i + 1]),
                    "pt": Point(i, lib.tensor(i * 1.5)),
                    "np": np.arange(3, dtype=np.float32) + i, "npscalar": np.float64(i),
                    "od": OrderedDict(b=i, a=float(i))}

    def prog(lib):
        dl = lib.utils.data.DataLoader(Samples(lib), batch_size=2)
        return list(dl)
    run_both(prog)


def test_default_collate_and_convert_directly():
    def prog(lib):
        data = lib.utils.data
        out = [data.default_collate([(1, 2.0), (3, 4.0)]),
               data.default_collate([lib.ones(2, dtype=lib.int32), lib.zeros(2, dtype=lib.int32)]),
               data.default_collate([[lib.ones(1)], [lib.ones(1)]]),
               data.default_convert([np.ones(2), (np.int64(3), "x")]),
               data.default_convert({"a": np.zeros(2, dtype=np.float32)})]
        for bad in ([object(), object()], [[1, 2], [3]]):
            try:
                data.default_collate(bad)
            except (TypeError, RuntimeError) as e:
                out.append(type(e).__name__)
        return out
    run_both(prog)


def test_batch_size_none_and_custom_collate():
    def prog(lib):
        data = lib.utils.data
        ds = _dataset(lib, 4)
        return [list(data.DataLoader(ds, batch_size=None)),
                list(data.DataLoader(ds, batch_size=3, collate_fn=lambda b: len(b))),
                list(data.DataLoader([np.ones(2), np.zeros(2)], batch_size=None))]
    run_both(prog)


def test_samplers_and_batch_sampler():
    def prog(lib):
        data = lib.utils.data
        ds = _dataset(lib, 9)
        g = lib.Generator().manual_seed(5)
        out = [list(data.SequentialSampler(ds)),
               list(data.RandomSampler(ds, generator=g)),
               list(data.RandomSampler(ds, num_samples=20, generator=g)),
               list(data.RandomSampler(ds, replacement=True, num_samples=40, generator=g)),
               list(data.RandomSampler(ds)),
               list(data.SubsetRandomSampler([10, 20, 30, 40], generator=g)),
               list(data.BatchSampler(range(7), 3, False)),
               list(data.BatchSampler(range(7), 3, True)),
               len(data.BatchSampler(range(7), 3, False)),
               len(data.BatchSampler(range(7), 3, True))]
        bs = data.BatchSampler(data.SequentialSampler(ds), 4, False)
        out.append(list(data.DataLoader(ds, batch_sampler=bs)))
        out.append(list(data.DataLoader(ds, sampler=[8, 0, 4], batch_size=2)))
        out.append(list(data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2,
                                        generator=lib.Generator().manual_seed(3))))
        return out
    run_both(prog)


def test_random_split_lengths_and_fractions():
    def prog(lib):
        data = lib.utils.data
        ds = _dataset(lib, 10)
        out = []
        for lengths in ([3, 7], [0.5, 0.3, 0.2], [0.33, 0.33, 0.34], [1.0]):
            parts = data.random_split(ds, lengths, generator=lib.Generator().manual_seed(0))
            out.append([p.indices for p in parts])
        parts = data.random_split(range(10), [4, 6])
        out.append([list(p) for p in parts])
        sub = data.Subset(ds, [5, 1, 1])
        out += [len(sub), sub[0], sub.__getitems__([2, 0]), sub[-1]]
        cat = ds + data.Subset(ds, [0])
        out += [len(cat), cat[10], cat[-1]]
        return out
    run_both(prog)


def test_random_split_warns_and_errors():
    for lib in (torch, ft):
        data = lib.utils.data
        ds = _dataset(lib, 3)
        with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
            data.random_split(ds, [0.5, 0.5, 0.0])
        with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
            data.random_split(ds, [1, 1])
        with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
            data.random_split(ds, [1.5, -0.5])


def test_dataloader_argument_errors():
    def prog(lib):
        data = lib.utils.data
        ds = _dataset(lib, 4)
        out = []
        for kwargs in ({"num_workers": -1}, {"sampler": [0], "shuffle": True},
                       {"batch_sampler": [[0]], "batch_size": 2},
                       {"batch_size": None, "drop_last": True}, {"batch_size": 0},
                       {"prefetch_factor": 2}, {"persistent_workers": True},
                       {"timeout": -1}):
            try:
                data.DataLoader(ds, **kwargs)
            except ValueError as e:
                out.append(str(e))
        dl = data.DataLoader(ds)
        try:
            dl.batch_size = 3
        except ValueError as e:
            out.append(str(e))
        for bad in (lambda: data.RandomSampler(ds, num_samples=0),
                    lambda: data.RandomSampler(ds, replacement=1),
                    lambda: data.BatchSampler([0], 2, drop_last=1),
                    lambda: data.TensorDataset(lib.ones(2), lib.ones(3))):
            try:
                bad()
            except (ValueError, TypeError, AssertionError) as e:
                out.append(f"{type(e).__name__}: {e}")
        return out
    run_both(prog)


def test_iterable_dataset():
    def prog(lib):
        data = lib.utils.data

        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter([lib.tensor([float(i)]) for i in range(7)])
        out = [list(data.DataLoader(Stream(), batch_size=3)),
               list(data.DataLoader(Stream(), batch_size=3, drop_last=True)),
               list(data.DataLoader(Stream(), batch_size=None))]
        try:
            data.DataLoader(Stream(), shuffle=True)
        except ValueError as e:
            out.append(str(e))
        return out
    run_both(prog)


def test_training_loop_with_loader_matches_torch():
    def prog(lib):
        lib.manual_seed(0)
        nn, data = lib.nn, lib.utils.data
        x = lib.linspace(-1, 1, 24).reshape(12, 2)
        y = (x[:, :1] * 2 - x[:, 1:]) + 0.5
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=5, shuffle=True,
                                 generator=lib.Generator().manual_seed(9))
        losses = []
        for _ in range(3):
            for xb, yb in loader:
                model.zero_grad()
                loss = ((model(xb) - yb) ** 2).mean()
                loss.backward()
                with lib.no_grad():
                    for p in model.parameters():
                        p -= 0.1 * p.grad
                losses.append(round(loss.item(), 5))
        return losses
    run_both(prog)


def test_worker_options_run_in_process():
    for lib in (torch, ft):
        data = lib.utils.data
        assert data.get_worker_info() is None
        dl = data.DataLoader(_dataset(lib, 4), num_workers=2, batch_size=2)
        assert dl.prefetch_factor == 2
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
            iter(data.DataLoader(_dataset(lib, 4), pin_memory=True))
