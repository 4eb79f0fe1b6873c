"""``python -m frankentorch demo``: a tour of the tensor core, then a real training run.

The training part is one program written against the torch API (``program(torch)``): it runs
with frankentorch, saves a checkpoint with a RaptorQ sidecar, damages the file, repairs it and
reloads it; when PyTorch is installed the very same program runs under torch and both loss
curves are printed side by side.
"""
from __future__ import annotations

import os
import tempfile

EPOCHS = 12


def program(torch, progress=None):
    """Train a small MLP on a three-class 2-D dataset it generates itself (no download)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(768, 2, generator=g)
    radius = x.pow(2).sum(dim=1).sqrt()
    y = (x[:, 0] * x[:, 1] > 0).long() + (radius > 1.2).long()
    nn = torch.nn
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    data = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True,
                                         generator=torch.Generator().manual_seed(2))
    losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(data))
        if progress is not None:
            progress()
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return model, opt, x, losses, accuracy


def _show(label: str, value) -> None:
    print(f"\n>>> {label}\n{value if isinstance(value, str) else repr(value)}")


def tour() -> None:
    """Tensors, views, promotion, kernels, and how a call was dispatched."""
    import frankentorch as torch
    from frankentorch._dispatch.dispatcher import OPS

    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    _show("x = torch.arange(12, dtype=torch.float32).reshape(3, 4)", x)
    xt = x.t()
    _show("x.t(): a view, strides swapped, same storage",
          f"shape={tuple(xt.shape)} stride={xt.stride()} offset={xt.storage_offset()} "
          f"contiguous={xt.is_contiguous()} shares_storage="
          f"{xt.untyped_storage() is x.untyped_storage()}")
    col = x[:, 1]
    col.add_(100)
    _show("x[:, 1].add_(100) writes through the view; version counter shared",
          f"{x}\nx._version={x._version} col._version={col._version}")
    i = torch.tensor([1, 2, 3], dtype=torch.int8)
    _show("int8 tensor + 2.5 -> type promotion", i + 2.5)
    _show("broadcasting (3,1) * (2,)", torch.ones(3, 1) * torch.tensor([1.0, 10.0]))
    _show("meta tensors: shapes and dtypes only",
          torch.empty(2, 3, device="meta") + torch.empty(3, device="meta"))
    op = OPS["add"].overloads[0]
    route = op.explain(x, x)
    _show("dispatch of torch.add(x, x)",
          f"schema: {op.schema}\nkey set: {route['keyset']}\n"
          f"resolved for: {route['resolved_for']}\nkernel: {route['kernel'].__qualname__}")
    w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    loss = torch.log_softmax(torch.tensor([[1.0, 2.0], [3.0, 4.0]]) @ w, dim=1).mean()
    report = torch.autograd.backward(loss, report=True)
    _show("autograd: log_softmax(x @ w).mean().backward()", f"loss={loss}\nw.grad={w.grad}")
    _show("what the engine did (highest sequence number first)",
          "\n".join(f"  {n.name:<34} deps={n.dependencies}" for n in report.nodes))


def train() -> None:
    """Train, checkpoint with a sidecar, damage, repair, reload, compare with torch."""
    import frankentorch as ft
    from frankentorch.serialization import repair, verify
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("training with frankentorch", total=EPOCHS)
        model, opt, x, losses, accuracy = program(ft, lambda: bar.advance(task))
    _show("trained a 2-32-32-3 MLP with Adam for %d epochs" % EPOCHS,
          f"final loss {losses[-1]:.4f}, training accuracy {accuracy:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        ft.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                 "epoch": EPOCHS, "losses": losses}, path, sidecar=True)
        size = os.path.getsize(path)
        with open(path, "r+b") as fh:  # damage 1% of the file in the middle
            fh.seek(size // 2)
            fh.write(bytes(max(size // 100, 1)))
        before = verify(path)
        proof = repair(path)
        after = verify(path)
        _show("checkpoint with a RaptorQ sidecar, 1% of it zeroed, then repaired",
              f"{size} bytes; verify before repair: {before.status}; repair: "
              f"{proof['status']} ({sum(len(b['lost_source_symbols']) for b in proof['blocks'])}"
              f" symbols rebuilt); verify after: {after.status}")
        state = ft.load(path)
        restored, _, _, _, _ = program(ft)
        restored.load_state_dict(state["model"])
        same = bool((restored(x).argmax(dim=1) == model(x).argmax(dim=1)).all())
        _show("reloaded model predicts the same classes", same)
    try:
        import torch
    except ImportError:
        _show("loss per epoch", "\n".join(f"  {i + 1:>2}  {v:.6f}" for i, v in
                                          enumerate(losses)))
        return
    _, _, _, torch_losses, torch_acc = program(torch)
    rows = "\n".join(f"  {i + 1:>5}  {a:>12.6f}  {b:>12.6f}  {abs(a - b):.1e}"
                     for i, (a, b) in enumerate(zip(losses, torch_losses)))
    _show("the same program under PyTorch " + torch.__version__,
          f"  epoch  frankentorch         torch  |diff|\n{rows}\n"
          f"  accuracy: frankentorch {accuracy:.3f}, torch {torch_acc:.3f}")


def demo() -> int:
    tour()
    train()
    return 0
