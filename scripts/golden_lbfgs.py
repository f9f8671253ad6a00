#!/usr/bin/python3
"""Golden L-BFGS trajectories from PyTorch, for test/lbfgs.test.ts.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden_lbfgs.py
Writes test/fixtures/lbfgs.json: for each case, the problem, the options in fastgrad's camelCase, and
after every step() the parameters, the loss step() returned and the closure calls so far, once in
float32 (`trajectory`) and once in float64 (`trajectory64`).
Problems: the 2-D Rosenbrock function, and an L2-regularised logistic regression (data included).
"""
import json
import os

import torch

TORCH_NAMES = {'maxIter': 'max_iter', 'maxEval': 'max_eval', 'historySize': 'history_size',
               'toleranceGrad': 'tolerance_grad', 'toleranceChange': 'tolerance_change', 'lineSearch': 'line_search_fn'}


def torch_options(opts):
    out = {}
    for k, v in opts.items():
        if k == 'lineSearch':
            v = 'strong_wolfe' if v == 'strongWolfe' else None
        out[TORCH_NAMES.get(k, k)] = v
    return out


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def logreg_data(n=200, f=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, f, generator=g)
    w_true = torch.tensor([1.5, -2.0, 0.7, 0.0, 1.0])[:f]
    logits = X @ w_true + 0.3 + 0.5 * torch.randn(n, generator=g)
    y = (logits > 0).float()
    return X, y


L2 = 1e-3


def logreg_loss(w, b, X, y):
    z = X @ w + b
    return torch.nn.functional.binary_cross_entropy_with_logits(z, y) + 0.5 * L2 * (w * w).sum()


def trajectory(case, X, y, dtype):
    opts = torch_options(case['options'])
    X, y = X.to(dtype), y.to(dtype)
    if case['problem'] == 'rosenbrock':
        p = torch.tensor(case['start'], dtype=dtype, requires_grad=True)
        params = [p]
        f = lambda: rosenbrock(p)
    else:
        w = torch.zeros(X.shape[1], dtype=dtype, requires_grad=True)
        b = torch.zeros(1, dtype=dtype, requires_grad=True)
        params = [w, b]
        f = lambda: logreg_loss(w, b, X, y)
    opt = torch.optim.LBFGS(params, **opts)
    calls = [0]

    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        calls[0] += 1
        return loss

    traj = []
    for _ in range(case['steps']):
        loss = opt.step(closure)
        traj.append({'params': torch.cat([q.detach().reshape(-1) for q in params]).tolist(),
                     'loss': float(loss), 'calls': calls[0]})
    with torch.no_grad():
        final = float(f())
    return traj, final


def run(case, X, y):
    # float32 as users run it; float64 to check the algorithm itself (rounding no longer hides a
    # wrong branch, so the test can be tight).
    case['trajectory'], case['finalLoss'] = trajectory(case, X, y, torch.float32)
    case['trajectory64'], case['finalLoss64'] = trajectory(case, X, y, torch.float64)
    return case


CASES = [
    {'name': 'rosenbrock strong Wolfe', 'problem': 'rosenbrock', 'start': [-1.5, 2.0], 'steps': 30,
     'options': {'lr': 1, 'maxIter': 2, 'historySize': 10, 'lineSearch': 'strongWolfe'}},
    {'name': 'rosenbrock strong Wolfe, history 3, 5 iterations per step', 'problem': 'rosenbrock', 'start': [-1.2, 1.0], 'steps': 12,
     'options': {'lr': 1, 'maxIter': 5, 'historySize': 3, 'lineSearch': 'strongWolfe'}},
    {'name': 'rosenbrock fixed step', 'problem': 'rosenbrock', 'start': [0.5, 0.5], 'steps': 20,
     'options': {'lr': 0.05, 'maxIter': 3, 'historySize': 5}},
    {'name': 'logistic regression strong Wolfe', 'problem': 'logreg', 'steps': 10,
     'options': {'lr': 1, 'maxIter': 3, 'historySize': 5, 'lineSearch': 'strongWolfe'}},
    {'name': 'logistic regression fixed step', 'problem': 'logreg', 'steps': 15,
     'options': {'lr': 1, 'maxIter': 4, 'historySize': 3}},
]


def main():
    X, y = logreg_data()
    out = {'torch': torch.__version__, 'l2': L2,
           'logreg': {'X': X.reshape(-1).tolist(), 'y': y.tolist(), 'n': X.shape[0], 'features': X.shape[1]},
           'cases': [run(dict(c), X, y) for c in CASES]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'lbfgs.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    for c in out['cases']:
        last = c['trajectory'][-1]
        print(f"{c['name']}: final params {last['params'][:3]} loss {c['finalLoss']:.3e} calls {last['calls']}")


if __name__ == '__main__':
    main()
