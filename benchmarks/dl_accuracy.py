"""Largest errors of dlgradient: every op, loss and dlarray operation of the tests
against float64 central differences (one random direction per input) and, where torch is
installed, against torch autograd (loss and every input gradient).

Run:  python benchmarks/dl_accuracy.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests import test_dl_gradients as fd_cases  # noqa: E402
from tests.dl_checks import directional_errors  # noqa: E402


def main():
    worst = {}
    for table, label in ((fd_cases.ARITH, "dlarray operations"), (fd_cases.OPS, "functional ops"),
                         (fd_cases.LOSSES, "losses")):
        for name, case in sorted(table.items()):
            fn, inputs = case[0], case[1]
            fmts = case[2] if len(case) > 2 else None
            err = max(directional_errors(fn, inputs, fmts))
            worst[(label, name)] = err
            print(f"finite differences  {label:20s} {name:24s} {err:.2e}  "
                  f"({len(inputs)} inputs)")
    n_inputs = sum(len(c[1]) for t in (fd_cases.ARITH, fd_cases.OPS, fd_cases.LOSSES)
                   for c in t.values())
    print(f"\nlargest relative error vs float64 central differences: "
          f"{max(worst.values()):.2e} over {len(worst)} cases, {n_inputs} inputs")
    try:
        from tests import test_dl_torch as torch_cases  # noqa: PLC0415
    except Exception as err:   # torch not installed: the test module skips
        print(f"torch comparison skipped ({type(err).__name__})")
        return
    errs = {}
    for name, (dl_fn, torch_fn, inputs, fmts) in sorted(torch_cases.CASES.items()):
        errs[name] = torch_cases._compare(dl_fn, torch_fn, inputs, fmts)
        print(f"torch autograd      {name:24s} {errs[name]:.2e}")
    print(f"\nlargest relative error vs torch autograd (float64): {max(errs.values()):.2e} "
          f"over {len(errs)} cases")


if __name__ == "__main__":
    main()
