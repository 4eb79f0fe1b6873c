"""``.grad`` assignment and optimizer state sizes against torch: a gradient of another dtype,
device or size is refused with torch's exception, and an optimizer never walks a state
buffer shorter than its parameter (the fused kernels would read past its end)."""
import pytest
import torch

import frankentorch as ft


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return (type(e).__name__, str(e))


CASES = {
    "smaller": lambda T: T.zeros(2),
    "other_shape": lambda T: T.zeros(2, 2),
    "double": lambda T: T.zeros(4, dtype=T.float64),
    "long": lambda T: T.zeros(4, dtype=T.int64),
    "meta": lambda T: T.zeros(4, device="meta"),
    "int": lambda T: 3,
    "double_and_smaller": lambda T: T.zeros(2, dtype=T.float64),
    "same": lambda T: T.full((4,), 2.0),
    "none": lambda T: None,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_grad_assignment_matches_torch(case):
    def prog(T):
        p = T.ones(4, requires_grad=True)

        def assign():
            p.grad = CASES[case](T)
            return None if p.grad is None else p.grad.tolist()
        return _outcome(assign)
    assert prog(ft) == prog(torch)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_loaded_state_of_another_size_is_refused(opt_name):
    state_key = {"SGD": "momentum_buffer", "Adam": "exp_avg", "AdamW": "exp_avg_sq",
                 "RMSprop": "square_avg", "Adagrad": "sum"}[opt_name]

    def prog(T):
        p = T.nn.Parameter(T.ones(4))
        kwargs = {"momentum": 0.9} if opt_name == "SGD" else {}
        opt = getattr(T.optim, opt_name)([p], lr=0.1, **kwargs)
        p.grad = T.ones(4)
        opt.step()
        before = p.detach().tolist()
        sd = opt.state_dict()
        sd["state"][0][state_key] = T.zeros(2)
        opt.load_state_dict(sd)
        kind, _ = _outcome(opt.step)
        return kind, before, p.detach().tolist()
    ours, theirs = prog(ft), prog(torch)
    assert ours[0] == theirs[0] == "RuntimeError"
    assert ours[1] == pytest.approx(theirs[1])
    # nothing is written before the refusal (torch's AdamW has already decayed the weights)
    assert ours[2] == ours[1]
