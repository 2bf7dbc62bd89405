import numpy as np
import pytest

from dltoolbox.backend import cupy_or_none


def pytest_collection_modifyitems(config, items):
    no_gpu = cupy_or_none() is None
    for item in items:
        if "gpu" in item.keywords and no_gpu:
            item.add_marker(pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU"))


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
