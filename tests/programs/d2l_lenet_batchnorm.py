"""d2l's LeNet with batch normalization, as the book builds it with the framework's layers:
BatchNorm2d after each convolution, BatchNorm1d after each hidden fully connected layer,
sigmoids, average pooling and plain SGD at a large learning rate. Each epoch evaluates the
test images in evaluation mode, where the layers normalize with their running statistics.

With the imports naming minin instead of torch it runs on minin unchanged.
"""
import torch
from torch import nn
import torchvision
from torchvision import transforms
from torch.utils import data

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
    nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
    nn.Linear(84, 10))

train = torchvision.datasets.FashionMNIST(root="data", train=True,
                                          transform=transforms.ToTensor(), download=True)
test = torchvision.datasets.FashionMNIST(root="data", train=False,
                                         transform=transforms.ToTensor(), download=True)
train_iter = data.DataLoader(train, batch_size=32, shuffle=True)
test_iter = data.DataLoader(test, batch_size=32)
optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
loss = nn.CrossEntropyLoss()
for epoch in range(2):
    net.train()
    for X, y in train_iter:
        optimizer.zero_grad()
        l = loss(net(X), y)
        l.backward()
        optimizer.step()
    net.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in test_iter:
            correct += (net(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    print(f'epoch {epoch + 1}: loss {l.item():.3f}, test acc {correct / total:.3f}')
print(net[1].running_mean[:3], net[1].num_batches_tracked.item())
