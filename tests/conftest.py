import os
import sys

import numpy as np
import pytest

from dltoolbox.backend import cupy_or_none


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` run on the real GPU where CuPy passes its probe, and on the
    strict CuPy stand-in (tests/strict_cupy.py) everywhere else, so that their logic, and
    the absence of hidden host round trips, is checked on every commit. With
    DLTOOLBOX_REAL_GPU=1 (the GPU check script) they are skipped instead when no GPU
    is found."""
    real = cupy_or_none() is not None
    for item in items:
        if "gpu" not in item.keywords:
            continue
        if real:
            continue
        if os.environ.get("DLTOOLBOX_REAL_GPU") == "1":
            item.add_marker(pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU"))
        else:
            item.fixturenames.append("strict_cupy")


@pytest.fixture
def strict_cupy(monkeypatch):
    """The strict CuPy stand-in as dltoolbox's GPU module: ``cupy_or_none()`` and
    ``get_xp`` of its arrays return it, ExecutionEnvironment 'gpu' and 'auto' choose it.
    Returns the stand-in module; its ``HOST_READS[0]`` counts explicit host reads."""
    from dltoolbox import backend
    from tests import strict_cupy as sc
    monkeypatch.setitem(sys.modules, "cupy_strict", sc.MODULE)
    monkeypatch.setattr(backend, "_cupy", sc.MODULE)
    monkeypatch.setattr(backend, "_cupy_checked", True)
    monkeypatch.setattr(backend, "_probe_error", None)
    sc.HOST_READS[0] = 0
    return sc.MODULE


@pytest.fixture
def rs():
    return np.random.default_rng(1234)


@pytest.fixture(params=["numpy", "numba", "numba-steps"])
def kernel_path(request, monkeypatch):
    """Run a test on the plain NumPy path of the recurrent cells and on the numba fast
    path: whole time loops in numba calling BLAS ('numba', where NumPy bundles OpenBLAS),
    or one numba call per step between NumPy's matrix products ('numba-steps', the path
    without that BLAS)."""
    from dltoolbox.recurrent import fast
    if request.param != "numpy" and fast.numba_common is None:
        pytest.skip("numba is not installed")
    if request.param == "numba" and not fast.numba_common.HAS_GEMM:
        pytest.skip("NumPy does not bundle OpenBLAS here")
    monkeypatch.setattr(fast, "FAST", request.param != "numpy")
    monkeypatch.setattr(fast, "LOOPS", request.param == "numba")
    return request.param


@pytest.fixture(params=["numpy", "numba"])
def solver_path(request, monkeypatch):
    """Run a test with the NumPy solver rules and with the fused numba solver kernels."""
    from dltoolbox.training import solvers
    if request.param == "numba" and solvers.fused is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(solvers, "FAST", request.param == "numba")
    return request.param
