"""A Network in Network on Fashion-MNIST, written for PyTorch in the style of the NiN
articles: blocks of one convolution and two 1x1 convolutions, global average pooling
instead of dense layers, Adam, a hold-out validation split, a checkpoint per epoch.

With the imports naming minin instead of torch it runs on minin unchanged.
"""
import torch
from torch import nn, optim
import torchvision

EPOCHS = 2
BATCH_SIZE = 32
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')


# One NiN block: a convolution that looks at a neighbourhood, then two 1x1
# convolutions, which act as a two-layer perceptron applied at every pixel.
def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
    )


net = nn.Sequential(
    nin_block(1, 16, kernel_size=5, stride=1, padding=2),    # [N, 16, 32, 32]
    nn.MaxPool2d(kernel_size=3, stride=2),                    # [N, 16, 15, 15]
    nin_block(16, 32, kernel_size=3, stride=1, padding=1),   # [N, 32, 15, 15]
    nn.MaxPool2d(kernel_size=3, stride=2),                    # [N, 32, 7, 7]
    nin_block(32, 10, kernel_size=3, stride=1, padding=1),   # [N, 10, 7, 7]: one map per class
    nn.AdaptiveAvgPool2d((1, 1)),                             # [N, 10, 1, 1]
    nn.Flatten(start_dim=1, end_dim=3),                       # [N, 10]
)


def get_acc(output, label):
    _, pred_label = output.max(1)
    return (pred_label == label).sum().item() / label.size(0)


transform = torchvision.transforms.Compose([
    torchvision.transforms.Resize(size=32),
    torchvision.transforms.ToTensor(),
])
full_train = torchvision.datasets.FashionMNIST(root='dataset/', train=True, download=True,
                                               transform=transform)
train_set, val_set = torch.utils.data.random_split(full_train, [0.75, 0.25])
test_set = torchvision.datasets.FashionMNIST(root='dataset/', train=False, download=True,
                                             transform=transform)
train_loader = torch.utils.data.DataLoader(dataset=train_set, batch_size=BATCH_SIZE, shuffle=True)
val_loader = torch.utils.data.DataLoader(dataset=val_set, batch_size=BATCH_SIZE, shuffle=False)
test_loader = torch.utils.data.DataLoader(dataset=test_set, batch_size=BATCH_SIZE, shuffle=False)

optimizer = optim.Adam(net.parameters(), lr=2e-3)
criterion = nn.CrossEntropyLoss()
net = net.to(device)

for epoch in range(EPOCHS):
    net.train()
    train_loss = train_acc = 0.0
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        train_acc += get_acc(outputs, labels)
    with torch.no_grad():
        net.eval()
        valid_loss = valid_acc = 0.0
        for inputs, labels in val_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs = net(inputs)
            valid_loss += criterion(outputs, labels).item()
            valid_acc += get_acc(outputs, labels)
    print("Epoch %d. Train Loss: %f, Train Acc: %f, Valid Loss: %f, Valid Acc: %f" % (
        epoch, train_loss / len(train_loader), train_acc / len(train_loader),
        valid_loss / len(val_loader), valid_acc / len(val_loader)))
    torch.save(net.state_dict(), 'params.pkl')

with torch.no_grad():
    net.eval()
    correct = 0
    total = 0
    for images, labels in test_loader:
        images, labels = images.to(device), labels.to(device)
        output = net(images)
        _, predicted = torch.max(output.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
    print("Test accuracy on {} images: {:.2f}%".format(total, 100 * correct / total))
