"""MathWorks' "Sequence Classification Using Deep Learning" with the page's own layer,
bilstmLayer(100, 'OutputMode', 'last'), over several seeds.

The line-by-line port is examples/sequence_classification.py (its comments hold the
MATLAB lines); this script runs it with the page's layer array::

    layers = [ sequenceInputLayer(12)
               bilstmLayer(100,'OutputMode','last')
               fullyConnectedLayer(9)
               softmaxLayer
               classificationLayer];

and reports the test accuracy of each seed and the run time (MATLAB's page reports an
accuracy of about 0.95).

Run:  python examples/sequence_classification_bilstm.py [--seeds 0 1 2 3 4] [--epochs N]
"""

import argparse
import importlib.util
import statistics
import time
from pathlib import Path


def port():
    """The line-by-line port beside this file, loaded as a module."""
    path = Path(__file__).with_name("sequence_classification.py")
    spec = importlib.util.spec_from_file_location("sequence_classification", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(seeds=(0, 1, 2, 3, 4), max_epochs=50, verbose=False):
    """Train and test once per seed; returns [(seed, accuracy, seconds), ...]."""
    run = port().main
    results = []
    for seed in seeds:
        t0 = time.perf_counter()
        _, acc = run(seed, max_epochs, verbose and seed == seeds[0], "bilstm")
        results.append((seed, float(acc), time.perf_counter() - t0))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--verbose", action="store_true")
    a = parser.parse_args()
    results = main(a.seeds, a.epochs, a.verbose)
    for seed, acc, seconds in results:
        print(f"seed {seed}: acc = {acc:.4f}   ({seconds:.1f} s)")
    accs = [acc for _, acc, _ in results]
    print(f"bilstmLayer(100, 'OutputMode', 'last'): mean accuracy {statistics.mean(accs):.4f} "
          f"(min {min(accs):.4f}, max {max(accs):.4f}) over {len(accs)} seeds")
