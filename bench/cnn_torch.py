#!/usr/bin/python3
"""The Fashion-MNIST CNN of bench/cnn.js in PyTorch: conv3x3(32)-BN-ReLU-maxpool2 ->
conv3x3(64)-BN-ReLU-maxpool2 -> flatten -> dropout 0.25 -> linear(3136,128)-ReLU -> linear(128,10),
Adam, batch 128. Times `batches` training steps after 3 warm-up steps (seconds per batch and
an epoch extrapolated from them), then optionally trains a fresh model (seed 1) for `epochs` full
epochs with the recipe of `fastgrad train --model cnn`: Adam at `lr` (default 1e-3) annealed to 0 by a
cosine schedule stepped per batch, and reports test accuracy per epoch.
Usage: cnn_torch.py <data dir> <threads> <batches> [epochs] [lr]; prints one JSON line.
Run with OPENBLAS_NUM_THREADS=1 (bench/cnn.js sets it), PyTorch's best setting on this machine."""
import json
import sys
import time

import torch
import torch.nn as nn

import fmnist_torch

data_dir, threads, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 0
lr = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-3
torch.set_num_threads(threads)
torch.manual_seed(1)

x_train, y_train, x_test, y_test = fmnist_torch.load(data_dir, 'image')



def build():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


model = build()
opt = torch.optim.Adam(model.parameters(), lr=lr)
loss_fn = nn.CrossEntropyLoss()
B = 128
n = x_train.shape[0]
steps_per_epoch = (n + B - 1) // B


def step(i):
    xb, yb = x_train[i * B:(i + 1) * B], y_train[i * B:(i + 1) * B]
    opt.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    opt.step()


model.train()
for i in range(3):
    step(i)
t0 = time.perf_counter()
for i in range(batches):
    step((3 + i) % steps_per_epoch)
per_batch = (time.perf_counter() - t0) / batches

result = {'torch': torch.__version__, 'threads': threads, 'timedBatches': batches, 'secondsPerBatch': per_batch,
          'epochSecondsExtrapolated': per_batch * steps_per_epoch, 'epochs': []}
torch.manual_seed(1)
model = build()
opt = torch.optim.Adam(model.parameters(), lr=lr)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * steps_per_epoch))
for e in range(epochs):
    model.train()
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    for i in range(steps_per_epoch):
        idxs = perm[i * B:(i + 1) * B]
        opt.zero_grad()
        loss = loss_fn(model(x_train[idxs]), y_train[idxs])
        loss.backward()
        opt.step()
        schedule.step()
    seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        acc = float((model(x_test).argmax(1) == y_test).float().mean())
    result['epochs'].append({'seconds': seconds, 'testAccuracy': acc})
print(json.dumps(result))
