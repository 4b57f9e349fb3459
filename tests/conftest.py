import numpy as np
import pytest

import minin as mn


def _gpu_available():
    try:
        mn.backend.module("cupy")
    except mn.backend.BackendError:
        return False
    return True


BACKENDS = ["numpy", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test on each backend; the cupy run skips without CuPy and a GPU."""
    if request.param == "cupy" and not _gpu_available():
        pytest.skip("CuPy with a GPU is not available")
    previous = mn.backend.current()
    mn.backend.use(request.param)
    yield request.param
    mn.backend.use(previous)


@pytest.fixture(autouse=True)
def _seeded():
    mn.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def gpu():
    """For tests that compare the GPU with the CPU: skips without CuPy and a GPU."""
    if not _gpu_available():
        pytest.skip("CuPy with a GPU is not available")
    return mn.backend.module("cupy")
