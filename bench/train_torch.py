#!/usr/bin/python3
"""The Fashion-MNIST MLP of bench/train.js in PyTorch: 784-256-128-10 with ReLUs, Adam lr 1e-3,
batch 128, shuffled each epoch. Usage: train_torch.py <data dir> <torch threads> <epochs> [batches]
With `batches`, times only that many training steps after 5 warm-up steps and extrapolates an epoch.
Otherwise trains `epochs` full epochs, timing each (training only) and evaluating the test set after
each. OpenBLAS's threads come from OPENBLAS_NUM_THREADS (bench/train.js sets it). Prints one JSON line."""
import json
import os
import sys
import time

import torch
import torch.nn as nn

import fmnist_torch

data_dir, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
batches = int(sys.argv[4]) if len(sys.argv) > 4 else 0
torch.set_num_threads(threads)
torch.manual_seed(1)

x_train, y_train, x_test, y_test = fmnist_torch.load(data_dir, 'flat')

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
B = 128
n = x_train.shape[0]
steps = (n + B - 1) // B


def step(xb, yb):
    opt.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    opt.step()


out = {'threads': threads, 'openblasThreads': os.environ.get('OPENBLAS_NUM_THREADS')}
if batches:
    for i in range(5):
        step(x_train[i * B:(i + 1) * B], y_train[i * B:(i + 1) * B])
    t0 = time.perf_counter()
    for i in range(batches):
        j = (5 + i) % steps
        step(x_train[j * B:(j + 1) * B], y_train[j * B:(j + 1) * B])
    out['timedBatches'] = batches
    out['secondsPerBatch'] = (time.perf_counter() - t0) / batches
    out['epochSecondsExtrapolated'] = out['secondsPerBatch'] * steps
else:
    out['epochs'] = []
    g = torch.Generator().manual_seed(1)
    for e in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        for i in range(steps):
            sel = perm[i * B:(i + 1) * B]
            step(x_train[sel], y_train[sel])
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        out['epochs'].append({'seconds': seconds, 'testAccuracy': acc})
print(json.dumps(out))
