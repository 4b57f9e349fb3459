"""A LeNet-style network trained with a d2l-style ``train_ch6`` loop, written for PyTorch:
Xavier initialisation through ``net.apply``, plain SGD, accuracy counted by hand.

With the imports naming minin instead of torch it runs on minin unchanged.
"""
import torch
from torch import nn
import torchvision
from torchvision import transforms
from torch.utils import data


def load_fashion_mnist(batch_size, resize=None):
    """Training and test iterators over Fashion-MNIST."""
    steps = [transforms.Resize(resize)] if resize else []
    trans = transforms.Compose(steps + [transforms.ToTensor()])
    train = torchvision.datasets.FashionMNIST(root="data", train=True, transform=trans,
                                              download=True)
    test = torchvision.datasets.FashionMNIST(root="data", train=False, transform=trans,
                                             download=True)
    return (data.DataLoader(train, batch_size, shuffle=True, num_workers=2),
            data.DataLoader(test, batch_size, shuffle=False, num_workers=2))


def try_gpu(i=0):
    """GPU i if there is one, else the CPU."""
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')


class Accumulator:
    """Running sums of n quantities."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """How many predictions are right."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Accuracy of a model on a data set, on the device of its parameters."""
    net.eval()
    if device is None:
        device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model on a GPU if there is one (d2l's chapter 6 loop)."""
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    print('training on', device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        metric = Accumulator(3)   # loss sum, right predictions, examples
        net.train()
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
        train_l, train_acc = metric[0] / metric[2], metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        print(f'epoch {epoch + 1}: loss {train_l:.3f}, train acc {train_acc:.3f}, '
              f'test acc {test_acc:.3f}')


net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
    nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, 10))

X = torch.rand(1, 1, 28, 28, dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape:\t', X.shape)

batch_size = 32
train_iter, test_iter = load_fashion_mnist(batch_size=batch_size)
train_ch6(net, train_iter, test_iter, num_epochs=2, lr=0.3, device=try_gpu())
