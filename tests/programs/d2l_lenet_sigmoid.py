"""d2l's LeNet as the book first builds it: sigmoid activations, average pooling, Xavier
initialisation and plain SGD at a large learning rate, written for PyTorch. Each epoch
prints the last batch's loss and how confident the softmax of the outputs is.

With the imports naming minin instead of torch it runs on minin unchanged.
"""
import torch
from torch import nn
import torchvision
from torchvision import transforms
from torch.utils import data

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
train = torchvision.datasets.FashionMNIST(root="data", train=True,
                                          transform=transforms.ToTensor(), download=True)
train_iter = data.DataLoader(train, batch_size=32, shuffle=True)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss = nn.CrossEntropyLoss()
for epoch in range(2):
    net.train()
    for X, y in train_iter:
        optimizer.zero_grad()
        l = loss(net(X), y)
        l.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        confidence = torch.softmax(net(X), dim=1).max(dim=1).values.mean()
    print(f'epoch {epoch + 1}: loss {l.item():.3f}, confidence {confidence.item():.3f}')
