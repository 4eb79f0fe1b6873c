"""LLVM operations Numba does not expose: a fused multiply-add, as PyTorch's CPU kernels
use it (its vectorised ``add(alpha=)``, ``lerp``, ``addcmul`` and the float sampling loops are
built with FMA), so results round once where torch's do."""
from llvmlite import ir
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``: the FMA instruction or an exact
    software fallback), for three operands of the first operand's float type."""
    sig = a(a, a, a)

    def codegen(context, builder, signature, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)
    return sig, codegen
