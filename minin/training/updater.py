"""The update step: the one place where a batch changes the weights."""

import numpy as np

from ..nn import functional as F


class Updater:
    """The update step of a classifier, as Chainer's ``StandardUpdater``.

    Forward, loss, ``zero_grad``, backward, the gradient all-reduce of a multi-process
    run, the optimizer step and the schedule step, in that order. Gradient clipping or
    accumulation would go here too.

    Args:
        model: the ``nn.Module`` trained.
        optimizer: the optimizer over its parameters.
        scheduler: stepped after every update (default None: a constant learning rate).
        group: a ``minin.distributed`` process group, or None (default) for a one-process
            run (then no collective runs). With a group every process computes the mean
            loss over its share of the batch, and ``all_reduce_gradients`` averages the
            gradients, so P processes make the update one process makes from the whole batch.
        label_smoothing: ε of ``F.cross_entropy`` (default 0.0: the plain loss).

    Shape:
        ``update(images, labels)``: images (B, ...) as the model takes them, labels (B,)
        int64 class indices; the model's output is (B, classes).

    Example::

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3, bias=False))
        >>> updater = Updater(model, mn.optim.SGD(model.parameters(), lr=0.1))
        >>> loss, correct = updater.update(mn.zeros(2, 1, 2, 2), mn.tensor(np.array([0, 1])))
        >>> round(float(loss), 4), int(correct)      # equal logits: log 3, and argmax 0
        (1.0986, 1)
    """

    def __init__(self, model, optimizer, scheduler=None, group=None, label_smoothing=0.0):
        self.model, self.optimizer, self.scheduler, self.group = model, optimizer, scheduler, group
        self.label_smoothing = label_smoothing

    def update(self, images, labels):
        """One step on a batch.

        Args:
            images: a Tensor batch (B, ...) for the model.
            labels: a Tensor (B,) of int64 class indices.

        Returns:
            (mean loss, number of correct predictions) as backend scalars (reading them
            would make the GPU wait).
        """
        logits = self.model(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)
        self.optimizer.zero_grad()
        loss.backward()
        self.apply_gradients()
        return loss.data, (logits.data.argmax(axis=1) == labels.data).sum()

    def apply_gradients(self):
        """Gradients become an update: averaged over the processes (if any), then the
        optimizer step and the schedule step (if any)."""
        if self.group is not None:
            self.group.all_reduce_gradients(list(self.model.parameters()))
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()


def shard_order(order, batch_size, rank, world_size):
    """This process's part of an epoch's ``order``: each global batch of ``batch_size`` cut
    into ``world_size`` contiguous shares, share ``rank`` of each, in batch order.

    Args:
        order: the epoch's sample indices; a last incomplete batch is dropped.
        batch_size: the global batch size, a multiple of ``world_size``.
        rank: this process, 0 to ``world_size`` - 1.
        world_size: the number of processes.

    Returns:
        a NumPy array of ``batch_size // world_size`` indices per global batch.

    Example::

        >>> shard_order(np.arange(8), 4, rank=1, world_size=2)
        array([2, 3, 6, 7])
    """
    share = batch_size // world_size
    batches = len(order) // batch_size
    cut = np.asarray(order)[:batches * batch_size].reshape(batches, batch_size)
    return cut[:, rank * share:(rank + 1) * share].reshape(-1)
