"""Run by tests/test_distributed.py, alone or under mpiexec: ``Trainer.fit`` on a small data
set with everything random that differs between ranks switched off (augmentation off,
dropout at p = 0) and a constant learning rate, so that runs on different numbers of
processes can be compared weight for weight.

    python train_run.py DATA_DIR OUT EPOCHS [resume]
"""

import sys

from minin import distributed, nn
from minin.training import TrainConfig, Trainer


def main(data_dir, out, epochs, resume=False):
    group = distributed.init_from_environment()
    # SGD, not Adam: Adam's step is about lr for any gradient that is not tiny, so float32
    # rounding in the tiniest gradients would move weights by up to lr.
    config = TrainConfig(data_dir=data_dir, out=out, epochs=epochs, batch_size=32, subset=200, val_split=40,
                         schedule="none", augment=False, download=False, optimizer="sgd", lr=0.01)
    trainer = Trainer(config, progress=False, resume=resume, group=group).setup()
    for module in trainer.model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0  # dropout masks are drawn per rank: no two runs would share them
    trainer.fit()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), resume=sys.argv[4:] == ["resume"])
