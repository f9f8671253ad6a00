#!/usr/bin/python3
"""PyTorch's optimizer steps, timed for bench/optim.js: one parameter of n elements, median seconds
per step over repeated samples, for the default (single-tensor) and foreach implementations.
Usage: optim_torch.py <threads> <n> <name> [<name> ...]; prints one JSON line."""
import json
import sys
import time

import torch

threads, n = int(sys.argv[1]), int(sys.argv[2])
names = sys.argv[3:]
torch.set_num_threads(threads)

CONFIGS = {
    'sgd': (torch.optim.SGD, dict(lr=1e-3)),
    'sgd-momentum': (torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
    'adagrad': (torch.optim.Adagrad, dict(lr=1e-2)),
    'rmsprop': (torch.optim.RMSprop, dict(lr=1e-3)),
    'rmsprop-centered-momentum': (torch.optim.RMSprop, dict(lr=1e-3, centered=True, momentum=0.9)),
    'adadelta': (torch.optim.Adadelta, dict()),
    'adam': (torch.optim.Adam, dict(lr=1e-3)),
    'adam-amsgrad': (torch.optim.Adam, dict(lr=1e-3, amsgrad=True)),
    'adamw': (torch.optim.AdamW, dict(lr=1e-3)),
    'adamax': (torch.optim.Adamax, dict()),
    'nadam': (torch.optim.NAdam, dict()),
    'radam': (torch.optim.RAdam, dict()),
}


def measure(ctor, opts, foreach):
    p = torch.randn(n, requires_grad=True)
    p.grad = torch.randn(n) * 0.01
    try:
        opt = ctor([p], foreach=foreach, **opts)
    except TypeError:
        return None
    for _ in range(3):
        opt.step()
    samples = []
    for _ in range(7):
        calls, start = 0, time.perf_counter()
        while True:
            opt.step()
            calls += 1
            el = time.perf_counter() - start
            if el > 0.2:
                break
        samples.append(el / calls)
    samples.sort()
    return samples[len(samples) // 2]


out = {'torch': torch.__version__, 'threads': threads, 'n': n, 'results': {}}
for name in names:
    if name not in CONFIGS:
        continue
    ctor, opts = CONFIGS[name]
    out['results'][name] = {'single': measure(ctor, opts, False), 'foreach': measure(ctor, opts, True)}
print(json.dumps(out))
