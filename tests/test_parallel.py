"""The CPU thread helper: blocks cover the work once, results do not depend on the thread count."""

import numpy as np
import pytest

import minin as mn
import minin.functional as F
from minin.kernels import parallel


@pytest.fixture
def threads():
    before = parallel.get_num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


def test_blocks_cover_the_range_once(threads):
    threads(3)
    parts = parallel.blocks(10, 10 * parallel.MIN_ELEMENTS)
    assert len(parts) == 3
    assert sorted(i for part in parts for i in range(10)[part]) == list(range(10))
    assert parallel.blocks(10, 100) == [slice(0, 10)]  # too little work to share


def test_results_do_not_depend_on_the_number_of_threads(threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    results = []
    for count in (1, 2, 3):
        threads(count)
        xt, wt = mn.tensor(x, requires_grad=True), mn.tensor(w, requires_grad=True)
        y = F.max_pool2d(F.relu(F.conv2d(xt, wt, padding=1)), 3, 2)
        y.backward(np.ones(y.shape, np.float32))
        results.append([y.numpy(), xt.grad.copy(), wt.grad.copy()])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_a_workers_exception_reaches_the_caller(threads):
    threads(2)

    def fail(part):
        raise RuntimeError(f"block {part}")

    with pytest.raises(RuntimeError, match="block"):
        parallel.run(fail, 4, 4 * parallel.MIN_ELEMENTS)


def test_bad_thread_counts_are_refused():
    with pytest.raises(ValueError, match="positive int"):
        parallel.set_num_threads(0)
