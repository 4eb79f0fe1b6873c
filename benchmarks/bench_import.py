"""Cold ``import frankentorch`` time in fresh interpreters (target <= 0.3 s)."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time


def main(runs: int = 7) -> None:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import frankentorch"], check=True)
        times.append(time.perf_counter() - t0)
    base = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - t0)
    print(f"import frankentorch: median {statistics.median(times) - statistics.median(base):.3f} s"
          f" (interpreter start-up {statistics.median(base):.3f} s subtracted)")
    out = subprocess.run([sys.executable, "-c", "import frankentorch, sys; "
                          "print('numba' in sys.modules)"], capture_output=True, text=True)
    print(f"numba imported at import time: {out.stdout.strip()}")


if __name__ == "__main__":
    main()
