"""Command line: ``python -m frankentorch demo`` shows what frankentorch does today."""
from __future__ import annotations

import argparse
import sys


def demo() -> int:
    """A short tour: tensors, views, promotion, kernels, and how a call was dispatched."""
    import frankentorch as torch
    from frankentorch._dispatch.dispatcher import OPS

    def show(label: str, value) -> None:
        print(f"\n>>> {label}\n{value if isinstance(value, str) else repr(value)}")

    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    show("x = torch.arange(12, dtype=torch.float32).reshape(3, 4)", x)
    xt = x.t()
    show("x.t(): a view, strides swapped, same storage",
         f"shape={tuple(xt.shape)} stride={xt.stride()} offset={xt.storage_offset()} "
         f"contiguous={xt.is_contiguous()} shares_storage="
         f"{xt.untyped_storage() is x.untyped_storage()}")
    col = x[:, 1]
    show("x[:, 1]", f"{col}  stride={col.stride()} offset={col.storage_offset()}")
    col.add_(100)
    show("x[:, 1].add_(100) writes through the view; version counter shared",
         f"{x}\nx._version={x._version} col._version={col._version}")
    i = torch.tensor([1, 2, 3], dtype=torch.int8)
    show("int8 tensor + 2.5 -> type promotion", i + 2.5)
    show("int8 tensor / 2 -> true division gives the default float", i / 2)
    b = torch.ones(3, 1) * torch.tensor([1.0, 10.0])
    show("broadcasting (3,1) * (2,)", b)
    big = torch.ones(1_000_000)
    show("torch.ones(1_000_000).sum() (blocked, deterministic accumulation)", big.sum())
    show("x.mean(dim=0, keepdim=True)", x.mean(dim=0, keepdim=True))
    m = torch.empty(2, 3, device="meta") + torch.empty(3, device="meta")
    show("meta tensors: shapes and dtypes only", m)
    op = OPS["add"].overloads[0]
    route = op.explain(x, x)
    show("dispatch of torch.add(x, x)",
         f"schema: {op.schema}\nkey set: {route['keyset']}\n"
         f"resolved for: {route['resolved_for']}\nkernel: {route['kernel'].__qualname__}")
    w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    inp = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    loss = torch.log_softmax(inp @ w, dim=1).mean()
    report = torch.autograd.backward(loss, report=True)
    show("autograd: log_softmax(x @ w).mean().backward()", f"loss={loss}\nw.grad={w.grad}")
    show("what the engine did (highest sequence number first)",
         "\n".join(f"  {n.name:<34} deps={n.dependencies}" for n in report.nodes))
    show("mode", torch.get_mode())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frankentorch",
        description="frankentorch: a PyTorch-compatible CPU tensor library.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="a short tour of what frankentorch does")
    from .conformance import cli as conformance_cli
    conformance_cli.add_subcommands(sub)
    from .serialization import cli as checkpoint_cli
    checkpoint_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    if args.command in ("conformance", "artifacts"):
        return conformance_cli.dispatch(args)
    if args.command == "checkpoint":
        return checkpoint_cli.run(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
