#!/usr/bin/python3
"""The optimum of the logistic-regression problem used by test/newton.test.ts and
examples/newton_logreg.ts, computed by PyTorch in float64.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden_newton.py
Writes test/fixtures/newton.json. The data are not stored: both sides generate them from the same
integer LCG (exact in JavaScript and Python), and the fixture holds checksums to prove they agree.
"""
import json
import os

import numpy as np
import torch

N, F, SEED, L2 = 500, 20, 12345, 1e-3


def lcg(seed):
    state = seed
    while True:
        state = (1664525 * state + 1013904223) % 2 ** 32
        yield state / 2 ** 32


def make_data():
    """Features uniform in [-1, 1) scaled by 1 + j/4 and chained to the previous feature (correlated,
    condition number in the hundreds); labels from a logistic model with uniform label noise."""
    rnd = lcg(SEED)
    X = np.zeros((N, F), dtype=np.float32)
    y = np.zeros(N, dtype=np.float32)
    w_true = [((j % 5) - 2) * 0.4 for j in range(F)]
    for i in range(N):
        prev = 0.0
        for j in range(F):
            v = (2 * next(rnd) - 1) * (1 + j / 4) + 0.5 * prev
            prev = v
            X[i, j] = np.float32(v)
        logit = 0.25
        for j in range(F):
            logit += float(X[i, j]) * w_true[j]
        y[i] = 1.0 if logit + 3.0 * (next(rnd) - 0.5) > 0 else 0.0
    return X, y


def loss_fn(theta, X, y):
    w, b = theta[:F], theta[F]
    z = X @ w + b
    return torch.nn.functional.binary_cross_entropy_with_logits(z, y) + 0.5 * L2 * (w * w).sum()


def main():
    X32, y32 = make_data()
    X = torch.tensor(X32, dtype=torch.float64)
    y = torch.tensor(y32, dtype=torch.float64)
    theta = torch.zeros(F + 1, dtype=torch.float64)
    f = lambda t: loss_fn(t, X, y)
    for _ in range(50):
        g = torch.autograd.functional.jacobian(f, theta)
        if g.abs().max() < 1e-14:
            break
        H = torch.autograd.functional.hessian(f, theta)
        theta = theta - torch.linalg.solve(H, g)
    g = torch.autograd.functional.jacobian(f, theta)
    H = torch.autograd.functional.hessian(f, theta)
    eig = torch.linalg.eigvalsh(H)
    out = {
        'torch': torch.__version__, 'n': N, 'features': F, 'seed': SEED, 'l2': L2,
        'checksumX': float(X.sum()), 'checksumAbsX': float(X.abs().sum()), 'positives': int(y.sum()),
        'optimum': theta.tolist(), 'loss': float(f(theta)), 'gradMax': float(g.abs().max()),
        'hessianCondition': float(eig.max() / eig.min()),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'newton.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')
    print({k: v for k, v in out.items() if k != 'optimum'})


if __name__ == '__main__':
    main()
