#!/usr/bin/python3
"""Golden optimizer trajectories from PyTorch, for test/optim_golden.test.ts.

Run with Debian's python3-torch (1.13, CPU):  /usr/bin/python3 scripts/golden_optim.py
Writes test/fixtures/optim/trajectories.json.

The problem: two parameters (shapes [2, 3] and [2]) and, at step k, the gradient
    g = c * (p - t) + noise[k]
computed in float32 one rounding per operation, which the JS test reproduces bit for bit with
Math.fround, so both sides feed the optimizer identical gradients; the parameters after every step
are recorded. Cases cover each optimizer's meaningful options, two parameter groups, and a
parameter that has no gradient on some steps (PyTorch skips it; its step count lags).
Lion (not in torch 1.13) and SGD's proximal L1 option are written out here with torch ops.
"""
import json
import os

import torch

torch.manual_seed(0)
STEPS = 60
SHAPES = [(2, 3), (2,)]
SIZES = [6, 2]

init = [torch.randn(s) for s in SHAPES]
coef = [torch.rand(s) * 1.5 + 0.5 for s in SHAPES]
target = [torch.randn(s) for s in SHAPES]
noise = [[torch.randn(s) * 0.1 for s in SHAPES] for _ in range(STEPS)]

SNAKE = {
    'weightDecay': 'weight_decay', 'lrDecay': 'lr_decay', 'initialAccumulatorValue': 'initial_accumulator_value',
    'momentumDecay': 'momentum_decay',
}


def torch_opts(opts):
    return {SNAKE.get(k, k): (tuple(v) if isinstance(v, list) else v) for k, v in opts.items() if k != 'l1'}


class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023), written with torch ops: the reference for fastgrad's Lion."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                g = -p.grad if group['maximize'] else p.grad
                st = self.state[p]
                if 'exp_avg' not in st:
                    st['exp_avg'] = torch.zeros_like(p)
                m = st['exp_avg']
                p.mul_(1 - group['lr'] * group['weight_decay'])
                c = m.mul(b1).add_(g, alpha=1 - b1)
                p.add_(torch.sign(c), alpha=-group['lr'])
                m.mul_(b2).add_(g, alpha=1 - b2)


def make(name, params_or_groups, opts):
    if name == 'Lion':
        return Lion(params_or_groups, **torch_opts(opts))
    return getattr(torch.optim, name)(params_or_groups, **torch_opts(opts))


def run(case):
    params = [t.clone().requires_grad_(True) for t in init]
    opts = case['options']
    if 'groups' in case:
        groups = [dict(params=[params[i]], **torch_opts(g)) for i, g in enumerate(case['groups'])]
        opt = make(case['optimizer'], groups, opts)
    else:
        opt = make(case['optimizer'], params, opts)
    traj = []
    for k in range(STEPS):
        for i, p in enumerate(params):
            if case.get('skip') and i == 1 and k % 3 == 0:
                p.grad = None
                continue
            with torch.no_grad():
                g = coef[i] * (p - target[i]) + noise[k][i]
            p.grad = g.clone()
        opt.step()
        if opts.get('l1'):
            thr = opts['lr'] * opts['l1']
            with torch.no_grad():
                for p in params:
                    p.copy_(torch.sign(p) * torch.clamp(p.abs() - thr, min=0))
        traj.append([float(x) for p in params for x in p.detach().reshape(-1)])
    return traj


CASES = [
    ('SGD', 'plain', {'lr': 0.1}),
    ('SGD', 'momentum', {'lr': 0.05, 'momentum': 0.9}),
    ('SGD', 'nesterov', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True}),
    ('SGD', 'dampening', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.3}),
    ('SGD', 'weightDecay', {'lr': 0.05, 'momentum': 0.5, 'weightDecay': 0.1}),
    ('SGD', 'maximize', {'lr': 0.02, 'maximize': True}),
    ('SGD', 'l1', {'lr': 0.05, 'momentum': 0.9, 'l1': 0.2}),
    ('Adam', 'plain', {'lr': 0.05}),
    ('Adam', 'amsgrad', {'lr': 0.05, 'amsgrad': True}),
    ('Adam', 'weightDecay', {'lr': 0.05, 'weightDecay': 0.1, 'betas': [0.8, 0.99]}),
    ('Adam', 'maximize', {'lr': 0.01, 'maximize': True}),
    ('AdamW', 'plain', {'lr': 0.05, 'weightDecay': 0.1}),
    ('AdamW', 'amsgrad', {'lr': 0.05, 'weightDecay': 0.05, 'amsgrad': True}),
    ('Adagrad', 'plain', {'lr': 0.1}),
    ('Adagrad', 'lrDecay', {'lr': 0.1, 'lrDecay': 0.01, 'weightDecay': 0.05}),
    ('Adagrad', 'initialAccumulatorValue', {'lr': 0.1, 'initialAccumulatorValue': 0.5, 'maximize': True}),
    ('RMSprop', 'plain', {'lr': 0.01}),
    ('RMSprop', 'centered', {'lr': 0.01, 'centered': True}),
    ('RMSprop', 'momentum', {'lr': 0.01, 'momentum': 0.9, 'alpha': 0.9}),
    ('RMSprop', 'centeredMomentumWd', {'lr': 0.01, 'momentum': 0.5, 'centered': True, 'weightDecay': 0.1}),
    ('Adadelta', 'plain', {'lr': 1.0}),
    ('Adadelta', 'weightDecay', {'lr': 0.5, 'rho': 0.8, 'weightDecay': 0.1}),
    ('Adadelta', 'maximize', {'lr': 1.0, 'maximize': True, 'eps': 1e-4}),
    ('Adamax', 'plain', {'lr': 0.05}),
    ('Adamax', 'weightDecay', {'lr': 0.05, 'weightDecay': 0.1, 'maximize': True}),
    ('NAdam', 'plain', {'lr': 0.05}),
    ('NAdam', 'weightDecay', {'lr': 0.05, 'weightDecay': 0.1, 'momentumDecay': 0.01}),
    ('RAdam', 'plain', {'lr': 0.05}),
    ('RAdam', 'weightDecay', {'lr': 0.05, 'weightDecay': 0.1, 'betas': [0.9, 0.99]}),
    ('Lion', 'plain', {'lr': 0.01}),
    ('Lion', 'weightDecay', {'lr': 0.01, 'weightDecay': 0.5, 'betas': [0.95, 0.98]}),
]

cases = []
for optname, label, opts in CASES:
    cases.append({'optimizer': optname, 'name': f'{optname} {label}', 'options': opts})
# Two parameter groups with different options; a parameter without gradient on some steps.
cases.append({'optimizer': 'Adam', 'name': 'Adam groups', 'options': {'lr': 0.05},
              'groups': [{'lr': 0.02}, {'lr': 0.1, 'betas': [0.5, 0.9]}]})
cases.append({'optimizer': 'SGD', 'name': 'SGD groups', 'options': {'lr': 0.05, 'momentum': 0.9},
              'groups': [{}, {'nesterov': True, 'weightDecay': 0.1}]})
cases.append({'optimizer': 'Adam', 'name': 'Adam skip', 'options': {'lr': 0.05}, 'skip': True})
cases.append({'optimizer': 'SGD', 'name': 'SGD momentum skip', 'options': {'lr': 0.05, 'momentum': 0.9}, 'skip': True})
cases.append({'optimizer': 'NAdam', 'name': 'NAdam skip', 'options': {'lr': 0.05}, 'skip': True})

for c in cases:
    c['trajectory'] = run(c)

flat = lambda ts: [float(x) for t in ts for x in t.reshape(-1)]
out = {
    'torch': torch.__version__,
    'steps': STEPS,
    'shapes': [list(s) for s in SHAPES],
    'init': flat(init), 'coef': flat(coef), 'target': flat(target),
    'noise': [flat(n) for n in noise],
    'cases': cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim', 'trajectories.json')
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print(f'wrote {len(cases)} cases to {os.path.relpath(path)}')
