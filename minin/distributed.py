"""Data-parallel training over several processes: MPI between processes and machines,
NCCL between GPUs.

    mpiexec -n 2 minin train --subset 12000 --epochs 2

Every process (a *rank*) holds the whole model and trains on its own share of each
batch. After ``backward()`` the ranks average their gradients, so every rank takes
the same optimizer step, the one a single process would take on the whole batch:

    group = distributed.init_from_environment()   # None outside mpiexec, or for one process
    group.broadcast_parameters(model.parameters())  # everyone starts from rank 0's weights
    ...
    loss.backward()
    group.all_reduce_gradients(model.parameters())  # the mean gradient, on every rank
    optimizer.step()

The communication is done by an existing, proven engine: MPI through mpi4py (the
``mpi`` extra installs it with Open MPI) for NumPy arrays, and NCCL through CuPy for
arrays on a GPU, with MPI on host copies where NCCL is missing. The gradients of a
step travel in one packed buffer (or a few buckets of a set size), not one message
per parameter: over a network, or per NCCL call, each message costs tens of
microseconds of latency, and a NiN has two dozen parameters. (Between processes on
one machine a message costs microseconds, and packing gains nothing measurable:
see docs/benchmarks.md.)

A failure on one rank must not leave the others waiting in a collective forever:
an uncaught exception prints its traceback, prefixed with the rank, and aborts the
whole job; a rank that leaves while others still run aborts it after
``MININ_EXIT_TIMEOUT`` seconds (default 60). ``agree`` lets the ranks decide
together to stop (Ctrl-C, a NaN loss) so that none is left behind.
"""

import atexit
import math
import numbers
import os
import sys
import time
import traceback
import zlib

import numpy as np

from . import backend
from ._checks import is_int
from .tensor import Tensor

# The variables an MPI launcher sets to the number of processes it started: Open MPI,
# MPICH and Intel MPI (Hydra's PMI), MVAPICH2.
SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK")

_OPS = ("sum", "max", "min")
_group = None  # the group init_from_environment made, if any


class DistributedError(RuntimeError):
    """A distributed run cannot start or cannot go on: mpi4py missing under a launcher,
    more processes on a machine than GPUs, ranks that built different models."""


def world_size_from_environment(environ=None):
    """The number of processes an MPI launcher started; 1 when there is none.

    Read from the launcher's environment variables (``SIZE_VARIABLES``: Open MPI, MPICH
    and Intel MPI, MVAPICH2), the first that holds a number, before MPI starts.

    Args:
        environ: the mapping to read; default None: ``os.environ``.

    Returns:
        an int.

    Example::

        >>> world_size_from_environment({"OMPI_COMM_WORLD_SIZE": "4"})
        4
        >>> world_size_from_environment({})
        1
    """
    environ = os.environ if environ is None else environ
    for name in SIZE_VARIABLES:
        if environ.get(name, "").strip().isdigit():
            return int(environ[name])
    return 1


def rank_from_environment(environ=None):
    """This process's rank as the MPI launcher set it (``RANK_VARIABLES``); 0 without one.

    Known before MPI starts, so a command line can let only rank 0 report a bad argument.

    Args:
        environ: the mapping to read; default None: ``os.environ``.

    Returns:
        an int.

    Example::

        >>> rank_from_environment({"PMI_RANK": "2"}), rank_from_environment({})
        (2, 0)
    """
    environ = os.environ if environ is None else environ
    for name in RANK_VARIABLES:
        if environ.get(name, "").strip().isdigit():
            return int(environ[name])
    return 0


def init_from_environment():
    """The process group of a run started by ``mpiexec -n P`` with P > 1, else None, as
    ``torch.distributed.init_process_group`` with the launcher's environment.

    The group ends the whole job when a rank fails (``ProcessGroup.abort_on_failure``)
    and gives each process its share of the cores (``ProcessGroup.share_cores``).

    Returns:
        A ``ProcessGroup`` over every process of the job (the same one on a second
        call), or None for a one-process run, which then needs no collectives at all.

    Raises:
        DistributedError: the launcher started several processes but mpi4py is
        missing.

    Example (not run here: under a launcher it starts MPI)::

        group = init_from_environment()
        rank, world_size = (group.rank, group.world_size) if group else (0, 1)
    """
    global _group
    if _group is not None:
        return _group
    size = world_size_from_environment()
    if size <= 1:
        return None
    exit_timeout = exit_timeout_from_environment()  # a bad setting stops the run before MPI starts
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise DistributedError(
            f"this process is one of {size} started by an MPI launcher, but mpi4py cannot be "
            f"imported ({exc}); install it with: pip install -e \".[mpi]\"") from None
    group = ProcessGroup(MPI.COMM_WORLD)
    if group.world_size != size:
        # Another MPI's launcher: each process starts a world of its own, and every one of them
        # would train alone as rank 0, writing the same files.
        name = next(n for n in SIZE_VARIABLES if os.environ.get(n, "").strip().isdigit())
        raise DistributedError(
            f"the launcher started {size} processes ({name}={size}) but MPI sees a world of "
            f"{group.world_size}: mpiexec belongs to another MPI than the one mpi4py was built "
            f"with ({MPI.Get_library_version().splitlines()[0].strip()}); start the run with that "
            "MPI's mpiexec")
    group.abort_on_failure(exit_timeout)
    group.share_cores()
    _group = group
    return _group


def exit_timeout_from_environment(environ=None):
    """The seconds a rank that exits waits for the others (``abort_on_failure``):
    ``$MININ_EXIT_TIMEOUT``, or 60 where it is unset or empty.

    Args:
        environ: the mapping to read; default None: ``os.environ``.

    Returns:
        a float, 0 or more (``inf``: wait for ever).

    Raises:
        DistributedError: the variable holds something else than a number of seconds.

    Example::

        >>> exit_timeout_from_environment({"MININ_EXIT_TIMEOUT": "2.5"}), exit_timeout_from_environment({})
        (2.5, 60.0)
    """
    environ = os.environ if environ is None else environ
    text = environ.get("MININ_EXIT_TIMEOUT", "").strip()
    if not text:
        return 60.0
    try:
        return _check_timeout(float(text))
    except ValueError:
        raise DistributedError(f"MININ_EXIT_TIMEOUT must be a number of seconds, 0 or more, "
                               f"got {text!r}") from None


def _check_timeout(seconds):
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or math.isnan(seconds) \
            or seconds < 0:
        raise ValueError(f"exit_timeout must be a number of seconds, 0 or more, got {seconds!r}")
    return float(seconds)


# ---------------------------------------------------------------------------- batches

def check_batch_size(batch_size, world_size):
    """Raise a one-line ValueError unless a global batch of ``batch_size`` can be cut into
    ``world_size`` equal shares of at least one image each.

    Args:
        batch_size: the global batch, images per step over all processes.
        world_size: the number of processes.

    Raises:
        ValueError: naming a batch size that would do, or fewer processes.

    Example::

        >>> check_batch_size(128, 4)   # 32 images per process: no error
        >>> check_batch_size(100, 8)
        Traceback (most recent call last):
        ...
        ValueError: a batch of 100 cannot be cut into 8 equal shares: use a --batch-size
        divisible by 8, e.g. 96 or 104
    """
    _check_positive_int("check_batch_size", "batch_size", batch_size)
    _check_positive_int("check_batch_size", "world_size", world_size)
    if world_size > batch_size:
        raise ValueError(f"{world_size} processes cannot share a batch of {batch_size}: each needs at "
                         f"least one image; use --batch-size {world_size} or more, or fewer processes")
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        raise ValueError(f"a batch of {batch_size} cannot be cut into {world_size} equal shares: use a "
                         f"--batch-size divisible by {world_size}, e.g. {lower} or {lower + world_size}")


def shard(count, rank, world_size):
    """The contiguous part of ``range(count)`` that rank ``rank`` of ``world_size`` takes.

    The parts come in rank order and are at most one apart in length (for validation
    and test sets, which need not divide evenly).

    Args:
        count: the number of examples.
        rank: this process's rank, 0 to ``world_size - 1``.
        world_size: the number of processes.

    Returns:
        ``slice(start, stop)``.

    Example::

        >>> shard(10, 1, 3)
        slice(3, 6, None)
        >>> [len(range(10)[shard(10, r, 3)]) for r in range(3)]
        [3, 3, 4]
    """
    if not is_int(count) or count < 0:
        raise ValueError(f"shard: count must be an int, 0 or more, got {count!r}")
    _check_positive_int("shard", "world_size", world_size)
    if not is_int(rank) or not 0 <= rank < world_size:
        raise ValueError(f"shard: rank must be 0 to {world_size - 1} for a world of {world_size}, "
                         f"got {rank!r}")
    return slice(rank * count // world_size, (rank + 1) * count // world_size)



def _check_positive_int(function, name, value):
    if not is_int(value) or value < 1:
        raise ValueError(f"{function}: {name} must be a positive int, got {value!r}")


# ---------------------------------------------------------------------------- packing

def bucket_parameters(parameters, bucket_bytes=None):
    """Cut ``parameters`` into the groups that travel as one message each, like the buckets
    of ``torch.nn.parallel.DistributedDataParallel`` (its ``bucket_cap_mb``).

    A group holds parameters of one backend and dtype, in order, at most ``bucket_bytes``
    of values; a parameter bigger than the limit travels alone.

    Args:
        parameters: an iterable of Parameters (``model.parameters()``).
        bucket_bytes: the most bytes per group; default None: no limit, one group per
            backend and dtype.

    Returns:
        a list of lists of Parameters.

    Example::

        >>> ps = [nn.Parameter(np.zeros(n, np.float32)) for n in (4, 4, 16)]  # 16, 16, 64 bytes
        >>> [[p.shape for p in b] for b in bucket_parameters(ps, bucket_bytes=32)]
        [[(4,), (4,)], [(16,)]]
        >>> len(bucket_parameters(ps + [nn.Parameter(np.zeros(2))]))  # float64: a group of its own
        2
    """
    if bucket_bytes is not None and (not is_int(bucket_bytes) or bucket_bytes < 1):
        raise ValueError(f"bucket_bytes must be None or a positive int (bytes), got {bucket_bytes!r}")
    buckets, open_bucket = [], {}  # (backend, dtype) -> (bucket, bytes so far)
    for p in parameters:
        key = (backend.name_of(p.data), np.dtype(p.dtype))
        bucket, size = open_bucket.get(key, (None, 0))
        nbytes = p.data.size * key[1].itemsize
        if bucket is None or (bucket_bytes is not None and bucket and size + nbytes > bucket_bytes):
            bucket, size = [], 0
            buckets.append(bucket)
        bucket.append(p)
        open_bucket[key] = (bucket, size + nbytes)
    return buckets


def pack_gradients(parameters, out=None, xp=np):
    """Pack every parameter's gradient into one flat buffer, for one all-reduce message.

    The buffer holds every parameter's ``.grad`` (zeros where it is None), then one
    element per parameter that is 1 where it had a gradient, so that a parameter no
    rank computed a gradient for stays without one after the reduction.

    Args:
        parameters: a non-empty list of Parameters of one dtype (a group of
            ``bucket_parameters``).
        out: the array to write into, of ``packed_size(parameters)`` elements; default
            None: a new array of the first parameter's dtype.
        xp: the array module of that new array (``numpy``, or ``cupy`` for parameters on
            a GPU); default ``numpy``.

    Shape:
        parameters of n1, ..., nk elements → (n1 + ... + nk + k,), ``packed_size(parameters)``.

    Returns:
        the flat array (``out`` if given).

    Example::

        >>> w, b = nn.Parameter(np.ones((2, 2), np.float32)), nn.Parameter(np.zeros(3, np.float32))
        >>> w.grad = np.full((2, 2), 0.5, np.float32)  # b has no gradient
        >>> pack_gradients([w, b])
        array([0.5, 0.5, 0.5, 0.5, 0. , 0. , 0. , 1. , 0. ], dtype=float32)
    """
    _check_gradients(parameters, "pack_gradients")
    sizes = [p.data.size for p in parameters]
    flat = xp.empty(packed_size(parameters), dtype=parameters[0].dtype) if out is None else out
    offset = 0
    for p, size in zip(parameters, sizes):
        if p.grad is None:
            flat[offset:offset + size] = 0
        else:
            flat[offset:offset + size] = p.grad.reshape(-1)
        offset += size
    flat[offset:] = xp.asarray([p.grad is not None for p in parameters], dtype=flat.dtype)
    return flat


def _check_gradients(parameters, what):
    """A ValueError naming the first parameter whose ``.grad`` has another shape than it, or
    lives on another backend: packed, it would fail deep in NumPy or CuPy, or fill the
    wrong places."""
    for index, p in enumerate(parameters):
        grad = p.grad
        if grad is None:
            continue
        if tuple(grad.shape) != tuple(p.shape):
            raise ValueError(f"{what}: parameter {index} has shape {tuple(p.shape)} but its .grad has shape "
                             f"{tuple(grad.shape)}")
        if backend.is_array(grad) and backend.name_of(grad) != backend.name_of(p.data):
            raise ValueError(f"{what}: parameter {index} is on {backend.name_of(p.data)} but its .grad is on "
                             f"{backend.name_of(grad)}")


def packed_size(parameters):
    """The number of elements ``pack_gradients`` writes for ``parameters``: their values
    and one flag per parameter.

    Args:
        parameters: a list of Parameters.

    Returns:
        an int.

    Example::

        >>> packed_size([nn.Parameter(np.zeros((2, 2))), nn.Parameter(np.zeros(3))])
        9
    """
    return sum(p.data.size for p in parameters) + len(parameters)


def unpack_gradients(flat, parameters):
    """Give each parameter its part of ``flat`` (from ``pack_gradients``, after the
    reduction) as its ``.grad``: a view, no copy; None where no rank had a gradient.

    The flags are read in one small read (one copy from a GPU), not one per parameter.

    Args:
        flat: the packed array.
        parameters: the list of Parameters it was packed from, in the same order.

    Shape:
        (``packed_size(parameters)``,) → each ``.grad`` of its parameter's shape.

    Example::

        >>> w, b = nn.Parameter(np.ones((2, 2), np.float32)), nn.Parameter(np.zeros(3, np.float32))
        >>> w.grad = np.full((2, 2), 0.5, np.float32)
        >>> flat = pack_gradients([w, b])
        >>> unpack_gradients(flat, [w, b])
        >>> w.grad.tolist(), b.grad, np.shares_memory(w.grad, flat)
        ([[0.5, 0.5], [0.5, 0.5]], None, True)
    """
    flags = flat[flat.size - len(parameters):]
    present = backend.asnumpy(flags) != 0  # one small read, not one per parameter
    offset = 0
    for p, has_grad in zip(parameters, present):
        size = p.data.size
        p.grad = flat[offset:offset + size].reshape(p.shape) if has_grad else None
        offset += size


def pack_data(parameters, xp=np):
    """One flat array holding every parameter's values, in order, like
    ``torch.nn.utils.parameters_to_vector``.

    Args:
        parameters: a non-empty list of Parameters.
        xp: the array module that joins them (``numpy``, or ``cupy`` for parameters on a
            GPU); default ``numpy``.

    Shape:
        parameters of n1, ..., nk elements → (n1 + ... + nk,).

    Returns:
        a new array (a copy).

    Example::

        >>> w, b = nn.Parameter(np.ones((2, 2), np.float32)), nn.Parameter(np.zeros(3, np.float32))
        >>> pack_data([w, b])
        array([1., 1., 1., 1., 0., 0., 0.], dtype=float32)
    """
    return xp.concatenate([p.data.reshape(-1) for p in parameters])


def unpack_data(flat, parameters):
    """Copy ``flat`` (from ``pack_data``) back into the parameters, in place, like
    ``torch.nn.utils.vector_to_parameters``.

    Args:
        flat: the packed values.
        parameters: the list of Parameters it was packed from, in the same order.

    Shape:
        (n1 + ... + nk,) → each parameter's shape, for parameters of n1, ..., nk elements.

    Example::

        >>> w, b = nn.Parameter(np.ones((2, 2), np.float32)), nn.Parameter(np.zeros(3, np.float32))
        >>> unpack_data(np.arange(7, dtype=np.float32), [w, b])
        >>> w.tolist(), b.tolist()
        ([[0.0, 1.0], [2.0, 3.0]], [4.0, 5.0, 6.0])
    """
    offset = 0
    for p in parameters:
        size = p.data.size
        p.data[...] = flat[offset:offset + size].reshape(p.shape)
        offset += size


# ---------------------------------------------------------------------------- the group

class ProcessGroup:
    """The processes of one data-parallel run, and the collectives between them, as
    ``torch.distributed.ProcessGroup``; ``init_from_environment`` makes the job's one.

    Args:
        comm: an mpi4py communicator (``MPI.COMM_WORLD`` for the whole job).

    Attributes:
        rank: this process's number, 0 … world_size − 1 (rank 0 prints and saves).
        world_size: the number of processes.
        local_rank: the number among the processes on this machine (the GPU to use).
        local_size: the number of processes on this machine.

    Every collective must be called by every rank, in the same order, with arrays of
    the same shape and dtype; a rank that skips one leaves the others waiting. Each
    collective first compares the ranks' shapes, dtypes and arguments in one small
    message, so that ranks that disagree all raise the same DistributedError instead of
    mixing up their data (or waiting for each other for ever).

    Example (under ``mpiexec -n 2``, so not run here)::

        group = ProcessGroup(MPI.COMM_WORLD)
        x = np.array([group.rank + 1.0])
        group.all_reduce(x)                # array([3.]) on every rank: 1 + 2
        group.broadcast_object({"lr": 0.1})  # rank 0's dict on every rank
        group.agree(group.rank == 1)       # True on every rank
    """

    def __init__(self, comm):
        from mpi4py import MPI

        if not isinstance(comm, MPI.Comm):
            raise TypeError(f"ProcessGroup needs an mpi4py communicator (MPI.COMM_WORLD), "
                            f"got {type(comm).__name__}")
        self.MPI, self.comm = MPI, comm
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()
        local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self._mpi_ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        self._nccl = None           # the NCCL communicator, made on the first GPU collective
        self._buffers = {}          # the packed gradients' buffers, kept between steps

    def __repr__(self):
        return f"ProcessGroup(rank={self.rank}, world_size={self.world_size}, local_rank={self.local_rank})"

    # ------------------------------------------------------------------ arrays
    def all_reduce(self, array, op="sum"):
        """Combine ``array`` over every rank, in place, as ``torch.distributed.all_reduce``:
        afterwards each rank holds the element-wise sum (or max, or min) of all ranks' arrays.

        A CuPy array goes through NCCL, or through MPI on a host copy where NCCL is
        missing or has no name for its dtype.

        Booleans are combined as PyTorch combines them: "sum" and "max" give the logical or,
        "min" the logical and.

        Args:
            array: a NumPy or CuPy array (or a minin Tensor, whose values change) of
                booleans or numbers, the same shape and dtype on every rank.
            op: "sum" (default), "max" or "min", the same on every rank.

        Shape:
            any, the same on every rank; ``array`` keeps it.

        Returns:
            ``array``.

        Raises:
            DistributedError: on every rank, if the ranks' shapes, dtypes, backends or ops
                differ (one small message compares them first).
        """
        if not isinstance(op, str) or op not in _OPS:
            raise ValueError(f"all_reduce: op must be one of {', '.join(map(repr, _OPS))}, got {op!r}")
        data = self._array_of(array, "all_reduce")
        if data.dtype.kind == "c" and op != "sum":
            raise TypeError(f"all_reduce: op {op!r} does not order complex numbers (dtype {data.dtype})")
        self._agree_on("all_reduce", self._describe(data) + (("op", op),))
        if data.dtype == np.bool_:  # MPI has no sum of booleans: 0/1 bytes, their max or min
            data, op = data.view(np.uint8), "min" if op == "min" else "max"
        self._in_place(data, lambda buf: self._reduce(buf, op))
        return self._changed(array)

    def broadcast(self, array, root=0):
        """Copy rank ``root``'s ``array`` into every rank's ``array``, in place, as
        ``torch.distributed.broadcast``.

        Args:
            array: a NumPy or CuPy array (or a minin Tensor, whose values change), the
                same shape and dtype on every rank.
            root: the rank whose values are sent; default 0, the same on every rank.

        Returns:
            ``array``.

        Raises:
            DistributedError: on every rank, if the ranks' shapes, dtypes, backends or
                roots differ.
        """
        self._check_root(root)
        data = self._array_of(array, "broadcast")
        self._agree_on("broadcast", self._describe(data) + (("root", int(root)),))
        self._in_place(data, lambda buf: self._broadcast(buf, root))
        return self._changed(array)

    def barrier(self):
        """Wait until every rank has reached this point, as ``torch.distributed.barrier``."""
        self.comm.Barrier()

    def broadcast_object(self, obj, root=0):
        """Rank ``root``'s ``obj`` on every rank, like ``torch.distributed.broadcast_object_list``.

        Args:
            obj: any picklable object; meant for small ones: a flag, a config, a message.
                The other ranks' ``obj`` is ignored.
            root: the rank whose ``obj`` is sent; default 0, the same on every rank.

        Returns:
            rank ``root``'s ``obj``, on every rank.
        """
        self._check_root(root)
        self._agree_on("broadcast_object", (("root", int(root)),))
        return self.comm.bcast(obj if self.rank == root else None, root=root)

    def agree(self, flag):
        """True on every rank if ``flag`` is true on any rank.

        Every rank must call it at the same point: it is how the ranks stop together (a
        stop request, a NaN).

        Args:
            flag: this rank's vote, true or false.

        Returns:
            a bool, the same on every rank.
        """
        vote = np.array(1 if flag else 0, dtype=np.int32)
        self.comm.Allreduce(self.MPI.IN_PLACE, vote, op=self.MPI.MAX)
        return bool(vote)

    # ------------------------------------------------------------------ parameters
    def all_reduce_gradients(self, parameters, bucket_bytes=None):
        """Replace every parameter's ``.grad`` by its mean over the ranks, as
        ``torch.nn.parallel.DistributedDataParallel`` does during ``backward()``.

        A None gradient counts as zeros; a parameter without a gradient on every
        rank keeps None (so the optimizer skips it, as it would in one process).
        The gradients travel packed in one buffer per dtype, or in buckets of at
        most ``bucket_bytes`` bytes. The buffer is kept from step to step, as
        DDP and ChainerMN keep theirs: over InfiniBand, MPI pins the memory it
        sends from and caches that by address, so a new buffer every step would
        be pinned every step. The new gradients are views into one new array, the
        buffer divided by the number of ranks, so they never share memory with
        the buffer or with each other.

        Args:
            parameters: an iterable of Parameters, in the same order on every rank
                (``model.parameters()``).
            bucket_bytes: the largest message (see ``bucket_parameters``), or None
                (default) for one message per step; the same on every rank.

        Raises:
            ValueError: no parameters, a bad ``bucket_bytes``, or a ``.grad`` of another
                shape than its parameter (found on this rank, before any message).
            DistributedError: on every rank, if the ranks' parameters differ in number,
                shape, dtype or backend, or their ``bucket_bytes`` differ: one small
                message compares them at every call, so that ranks whose models part
                ways later (a parameter list filtered by ``.grad``, say) stop with this
                error rather than wait for each other for ever.
        """
        parameters = list(parameters)
        buckets = bucket_parameters(parameters, bucket_bytes)  # checks bucket_bytes
        _check_gradients(parameters, "all_reduce_gradients")
        limit = None if bucket_bytes is None else int(bucket_bytes)
        self._check_layout(parameters, "all_reduce_gradients", (("bucket_bytes", limit),))
        for bucket in buckets:
            flat = pack_gradients(bucket, self._buffer(bucket))
            self._in_place(flat, lambda buf: self._reduce(buf, "sum"))
            unpack_gradients(flat / self.world_size, bucket)

    def broadcast_parameters(self, parameters):
        """Copy rank 0's parameter values into every rank's parameters, in place, as
        ``horovod.torch.broadcast_parameters`` (DDP does it when it wraps a model).

        The values travel packed (``pack_data``), one message per backend and dtype.

        Args:
            parameters: an iterable of Parameters, in the same order on every rank.
        """
        parameters = list(parameters)
        self._check_layout(parameters, "broadcast_parameters")
        for bucket in bucket_parameters(parameters):
            flat = pack_data(bucket, backend.get_array_module(bucket[0].data))
            self._in_place(flat, lambda buf: self._broadcast(buf, 0))
            unpack_data(flat, bucket)

    def broadcast_optimizer_state(self, optimizer):
        """Give every rank's ``optimizer`` rank 0's state (momentum buffers, Adam's moments
        and step counts, the hyper-parameters of each group), through ``state_dict()``, as
        ``horovod.torch.broadcast_optimizer_state``.

        Args:
            optimizer: an optimizer over the same parameters on every rank.
        """
        state = self.broadcast_object(optimizer.state_dict() if self.rank == 0 else None)
        if self.rank != 0:
            optimizer.load_state_dict(state)

    # ------------------------------------------------------------------ devices and faults
    def select_gpu(self):
        """Make GPU ``local_rank`` CuPy's current device (call it before building the model
        with ``--backend cupy``).

        Returns:
            the GPU's number, ``local_rank``.

        Raises:
            DistributedError: in one line, if this machine runs more processes than it
            has GPUs.
        """
        cupy = backend.module("cupy")
        count = cupy.cuda.runtime.getDeviceCount()
        if self.local_size > count:
            raise DistributedError(
                f"{self.local_size} processes on {self.MPI.Get_processor_name()} but only {count} GPU(s) "
                f"visible: with --backend cupy start at most {count} process(es) per machine, one per GPU")
        cupy.cuda.Device(self.local_rank).use()
        return self.local_rank

    def abort(self, message, status=1):
        """Print ``message`` with this rank's number and end every process of the job.

        Args:
            message: one line for standard error.
            status: the job's exit status; default 1.
        """
        sys.stderr.write(f"minin: rank {self.rank} of {self.world_size}: {message}\n")
        sys.stderr.flush()
        self.comm.Abort(status)

    def abort_on_failure(self, exit_timeout=None):
        """Make a failing rank end the whole job instead of leaving the others waiting.

        An uncaught exception prints its traceback and aborts (through
        ``sys.excepthook``); a rank that exits while others are still running waits
        ``exit_timeout`` seconds for them, then aborts (at exit).

        Args:
            exit_timeout: seconds, 0 or more; default None: ``$MININ_EXIT_TIMEOUT`` or 60
                (``exit_timeout_from_environment``).
        """
        if exit_timeout is None:
            exit_timeout = exit_timeout_from_environment()
        exit_timeout = _check_timeout(exit_timeout)

        def excepthook(kind, value, tb):
            text = "".join(traceback.format_exception(kind, value, tb))
            sys.stderr.write(f"minin: rank {self.rank} of {self.world_size} failed, ending every rank:\n{text}")
            sys.stderr.flush()
            self.comm.Abort(1)

        def wait_for_the_others():
            # mpi4py finalizes MPI after this; MPI_Finalize would wait forever for a
            # rank that is stuck in a collective this one never joins.
            if self.MPI.Is_finalized():
                return
            request, deadline = self.comm.Ibarrier(), time.monotonic() + exit_timeout
            while not request.Test():
                if time.monotonic() > deadline:
                    self.abort(f"this rank is exiting, but the others had not finished {exit_timeout:g} s "
                               "later (one of them failed or is stuck, or this one stopped early); "
                               "ending the job")
                time.sleep(0.05)

        sys.excepthook = excepthook
        atexit.register(wait_for_the_others)

    def share_cores(self):
        """Give minin's CPU kernels this process's share of the cores: the cores it is
        bound to, or the machine's cores divided by the processes on it.

        Nothing changes where ``MININ_NUM_THREADS`` is set. (BLAS reads its own setting,
        ``OPENBLAS_NUM_THREADS``, when NumPy is loaded.)
        """
        if os.environ.get("MININ_NUM_THREADS"):
            return
        from .kernels import parallel

        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if usable >= (os.cpu_count() or 1):  # not bound: the processes share every core
            usable //= self.local_size
        parallel.set_num_threads(max(1, usable))

    # ------------------------------------------------------------------ internals
    def _check_root(self, root):
        if not (is_int(root) and 0 <= root < self.world_size):
            raise ValueError(f"root must be a rank, 0 to {self.world_size - 1}, got {root!r}")

    def _agree_on(self, what, description):
        """Raise DistributedError on every rank unless every rank gave the same ``description``
        (a tuple of (name, value) pairs: shape, dtype, op, ...).

        Always one small all-reduce of a checksum, whatever the description, so that ranks
        that disagree still meet in the same collective (a second message, to name what
        differs, only when they do)."""
        code = zlib.crc32(repr(description).encode())
        check = np.array([code, -code], dtype=np.int64)
        self.comm.Allreduce(self.MPI.IN_PLACE, check, op=self.MPI.MAX)
        if check[0] == -check[1]:  # the largest checksum is also the smallest: all equal
            return
        descriptions = self.comm.allgather(description)
        other = next(k for k, d in enumerate(descriptions) if d != descriptions[0])
        raise DistributedError(f"{what}: {_difference(descriptions[0], descriptions[other], other)}")

    @staticmethod
    def _describe(array):
        return (("shape", tuple(int(n) for n in array.shape)), ("dtype", str(array.dtype)),
                ("backend", backend.name_of(array)))

    def _check_layout(self, parameters, what, extra=()):
        """Compare the parameters' shapes, dtypes and backends between the ranks: packed
        buffers of different sizes would fail with an obscure MPI error, or none, or wait
        for ever."""
        if not parameters:
            raise ValueError(f"{what}: got no parameters")
        layout = tuple((tuple(p.shape), str(p.dtype), backend.name_of(p.data)) for p in parameters)
        self._agree_on(what, (("parameters", layout),) + tuple(extra))

    def _array_of(self, array, what):
        """The array a collective works on in place: ``array`` itself, or a Tensor's data."""
        data = getattr(array, "data", None) if isinstance(array, Tensor) else array
        if not backend.is_array(data):
            raise TypeError(f"{what}: expected a NumPy or CuPy array or a Tensor, got {type(array).__name__}")
        if data.dtype.kind not in "biufc":
            raise TypeError(f"{what}: expected an array of booleans or numbers, got dtype {data.dtype}")
        if not getattr(data.flags, "writeable", True):  # CuPy's arrays are always writeable
            raise ValueError(f"{what}: the array is read-only, and the result is written into it")
        return data

    @staticmethod
    def _changed(array):
        """``array``, whose values a collective changed: a Tensor counts it as an in-place change."""
        if isinstance(array, Tensor):
            array._version[0] += 1
        return array

    def _buffer(self, bucket):
        """The buffer that the gradients of ``bucket`` are packed into, made once."""
        key = (tuple(id(p) for p in bucket), packed_size(bucket), str(bucket[0].dtype),
               backend.name_of(bucket[0].data))
        if key not in self._buffers:
            if len(self._buffers) >= 16:  # another model each time: don't hoard memory
                self._buffers.clear()
            xp = backend.get_array_module(bucket[0].data)
            self._buffers[key] = xp.empty(packed_size(bucket), dtype=bucket[0].dtype)
        return self._buffers[key]

    def _in_place(self, array, collective):
        """Run ``collective`` on a contiguous buffer with ``array``'s values, then leave
        the result in ``array``."""
        buf = array if array.flags.c_contiguous else backend.get_array_module(array).ascontiguousarray(array)
        collective(buf)
        if buf is not array:
            array[...] = buf
        return array

    def _reduce(self, buf, op):
        if backend.name_of(buf) == "cupy":
            nccl = self._nccl_comm(buf)
            if nccl is not None:
                return nccl.all_reduce(buf, op)
            host = backend.asnumpy(buf)
            self.comm.Allreduce(self.MPI.IN_PLACE, host, op=self._mpi_ops[op])
            buf.set(host)
            return
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self._mpi_ops[op])

    def _broadcast(self, buf, root):
        if backend.name_of(buf) == "cupy":
            nccl = self._nccl_comm(buf)
            if nccl is not None:
                return nccl.broadcast(buf, root)
            host = backend.asnumpy(buf)
            self.comm.Bcast(host, root=root)
            buf.set(host)
            return
        self.comm.Bcast(buf, root=root)

    def _nccl_comm(self, buf):
        """The NCCL communicator for GPU arrays of ``buf``'s dtype, or None to go through
        host copies (NCCL missing, or a dtype it has no name for)."""
        if self._nccl is None:
            self._nccl = _Nccl.create(self) or False  # False: tried, not available
        if self._nccl and self._nccl.supports(buf.dtype):
            return self._nccl
        return None


def _difference(first, other, rank):
    """What rank ``rank``'s description says that rank 0's does not, in words."""
    mine, theirs = dict(first), dict(other)
    if "parameters" in mine and mine["parameters"] != theirs.get("parameters"):
        return _layout_difference(mine["parameters"], theirs["parameters"], rank)
    for name in mine:
        if mine[name] != theirs.get(name):
            return (f"rank {rank} has {name} {theirs.get(name)}, rank 0 has {mine[name]}: every rank "
                    f"must give the same {name}")
    return f"rank {rank} differs from rank 0: every rank must make the same call"


def _layout_difference(mine, theirs, rank):
    if len(mine) != len(theirs):
        def values(layout):
            return sum(int(np.prod(shape)) for shape, _, _ in layout)

        return (f"rank {rank} has {len(theirs)} parameters of {values(theirs)} values, rank 0 has "
                f"{len(mine)} of {values(mine)}: every rank must build the same model and pass all of "
                "its parameters (a parameter without a .grad counts as zeros)")
    index = next(k for k, (a, b) in enumerate(zip(mine, theirs)) if a != b)

    def text(entry):
        shape, dtype, where = entry
        return f"shape {shape} {dtype} on {where}"

    return (f"parameter {index} has {text(theirs[index])} on rank {rank} but {text(mine[index])} on rank 0: "
            "every rank must build the same model")


class _Nccl:
    """Collectives on CuPy arrays through NCCL (``cupy.cuda.nccl``). Rank 0 draws NCCL's
    unique id and MPI carries it to the others, as ChainerMN does; then each rank
    joins the NCCL communicator with its own GPU. The calls are queued on CuPy's
    current stream, so later kernels on that stream see their results."""

    def __init__(self, nccl, cupy, group):
        self.nccl, self.cupy = nccl, cupy
        unique_id = group.broadcast_object(nccl.get_unique_id() if group.rank == 0 else None)
        self.comm = nccl.NcclCommunicator(group.world_size, unique_id, group.rank)
        self.ops = {"sum": nccl.NCCL_SUM, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN}
        names = ("int8", "uint8", "int32", "uint32", "int64", "uint64", "float16", "float32", "float64")
        self.dtypes = {np.dtype(n): getattr(nccl, "NCCL_" + n.upper()) for n in names}

    @classmethod
    def create(cls, group):
        """An _Nccl for ``group``, or None where CuPy has no NCCL. Every rank must get the
        same answer: one that made a communicator would wait for the others."""
        cupy = backend.module("cupy")
        try:
            from cupy.cuda import nccl
            available = bool(getattr(nccl, "available", False))
        except ImportError:
            available = False
        if not group.agree(not available):  # every rank has NCCL
            return cls(nccl, cupy, group)
        return None

    def supports(self, dtype):
        return np.dtype(dtype) in self.dtypes

    def all_reduce(self, buf, op):
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self.dtypes[np.dtype(buf.dtype)],
                            self.ops[op], self.cupy.cuda.get_current_stream().ptr)

    def broadcast(self, buf, root):
        self.comm.bcast(buf.data.ptr, buf.size, self.dtypes[np.dtype(buf.dtype)], root,
                        self.cupy.cuda.get_current_stream().ptr)
