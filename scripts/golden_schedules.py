#!/usr/bin/python3
"""Golden learning-rate sequences from PyTorch's schedulers, for test/schedules.test.ts.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/golden_schedules.py
Writes test/fixtures/schedules.json: for each case, the scheduler name and its options in fastgrad's
camelCase, the parameter groups, and the lr of every group after construction and after every step
(plus momentum / beta1 for OneCycleLR). Option names are translated to PyTorch's here.
"""
import json
import math
import os

import torch
from torch.optim import lr_scheduler as S

STEPS = 100

# fastgrad option name -> PyTorch keyword
TORCH_NAMES = {
    'stepSize': 'step_size', 'tMax': 'T_max', 'etaMin': 'eta_min', 't0': 'T_0', 'tMult': 'T_mult',
    'startFactor': 'start_factor', 'endFactor': 'end_factor', 'totalIters': 'total_iters',
    'maxLr': 'max_lr', 'totalSteps': 'total_steps', 'stepsPerEpoch': 'steps_per_epoch',
    'pctStart': 'pct_start', 'annealStrategy': 'anneal_strategy', 'divFactor': 'div_factor',
    'finalDivFactor': 'final_div_factor', 'cycleMomentum': 'cycle_momentum',
    'baseMomentum': 'base_momentum', 'maxMomentum': 'max_momentum', 'threePhase': 'three_phase',
    'thresholdMode': 'threshold_mode', 'minLr': 'min_lr', 'lrLambda': 'lr_lambda',
    'baseLr': 'base_lr', 'stepSizeUp': 'step_size_up', 'stepSizeDown': 'step_size_down', 'scaleMode': 'scale_mode',
}
# option values that differ too
TORCH_VALUES = {('mode', 'expRange'): 'exp_range'}

# LambdaLR's functions by name (the test defines the same ones).
LAMBDAS = {
    'pow095': lambda e: 0.95 ** e,
    'inverse': lambda e: 1.0 / (1.0 + e),
    'warmup10': lambda e: min(1.0, (e + 1) / 10.0),
    'times098': lambda e: 0.98,
    'alternate': lambda e: 1.05 if e % 2 else 0.9,
}


def torch_kwargs(opts):
    out = {}
    for k, v in opts.items():
        if k == 'lrLambda':
            v = [LAMBDAS[n] for n in v] if isinstance(v, list) else LAMBDAS[v]
        v = TORCH_VALUES.get((k, v), v) if isinstance(v, str) else v
        out[TORCH_NAMES.get(k, k)] = v
    return out


def make_optimizer(case):
    groups = []
    for g in case['groups']:
        p = torch.nn.Parameter(torch.zeros(2))
        d = {'params': [p], 'lr': g['lr']}
        groups.append(d)
    if case.get('optimizer') == 'adam':
        return torch.optim.Adam(groups, lr=0.1, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=0.1, momentum=case.get('momentum', 0.0))


def make_scheduler(name, opt, opts):
    if name == 'SequentialLR':
        subs = [make_scheduler(s['scheduler'], opt, s['options']) for s in opts['schedulers']]
        return S.SequentialLR(opt, schedulers=subs, milestones=opts['milestones'])
    if name == 'ChainedScheduler':
        return S.ChainedScheduler([make_scheduler(s['scheduler'], opt, s['options']) for s in opts['schedulers']])
    return getattr(S, name)(opt, **torch_kwargs(opts))


def momenta(opt, case):
    if case.get('optimizer') == 'adam':
        return [g['betas'][0] for g in opt.param_groups]
    return [g['momentum'] for g in opt.param_groups]


def run(case):
    opt = make_optimizer(case)
    sched = make_scheduler(case['scheduler'], opt, case['options'])
    lrs = [[g['lr'] for g in opt.param_groups]]
    mom = [momenta(opt, case)]
    metrics = case.get('metrics')
    step_args = case.get('stepArgs')
    n = len(metrics) if metrics else len(step_args) if step_args else case.get('steps', STEPS)
    for t in range(n):
        opt.step()
        if metrics:
            sched.step(metrics[t])
        elif step_args:
            sched.step(step_args[t])
        else:
            sched.step()
        lrs.append([g['lr'] for g in opt.param_groups])
        mom.append(momenta(opt, case))
    case['lrs'] = lrs
    if case['scheduler'] in ('OneCycleLR', 'CyclicLR') and case['options'].get('cycleMomentum', True):
        case['momenta'] = mom
    return case


TWO = [{'lr': 0.1}, {'lr': 0.05}]
ONE = [{'lr': 0.1}]


def plateau_metrics():
    # Falls, then flattens with small wiggles, then falls again: several reductions and cooldowns.
    out = []
    for t in range(STEPS):
        base = max(0.5, 1.0 - 0.02 * t) if t < 70 else 0.5 - 0.01 * (t - 70)
        out.append(base + 0.004 * math.sin(1.7 * t))
    return out


def accuracy_metrics():
    return [min(0.9, 0.5 + 0.01 * t) + 0.002 * math.cos(0.9 * t) for t in range(STEPS)]


CASES = [
    {'name': 'StepLR default gamma', 'scheduler': 'StepLR', 'options': {'stepSize': 10}, 'groups': TWO},
    {'name': 'StepLR gamma 0.5 step 7', 'scheduler': 'StepLR', 'options': {'stepSize': 7, 'gamma': 0.5}, 'groups': TWO},
    {'name': 'MultiStepLR', 'scheduler': 'MultiStepLR', 'options': {'milestones': [10, 25, 60], 'gamma': 0.3}, 'groups': TWO},
    {'name': 'ExponentialLR', 'scheduler': 'ExponentialLR', 'options': {'gamma': 0.97}, 'groups': TWO},
    {'name': 'CosineAnnealingLR tMax 100', 'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 100}, 'groups': TWO},
    {'name': 'CosineAnnealingLR past tMax with etaMin', 'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 30, 'etaMin': 0.001}, 'groups': TWO},
    {'name': 'CosineAnnealingWarmRestarts t0 10', 'scheduler': 'CosineAnnealingWarmRestarts', 'options': {'t0': 10}, 'groups': TWO},
    {'name': 'CosineAnnealingWarmRestarts tMult 2 etaMin', 'scheduler': 'CosineAnnealingWarmRestarts', 'options': {'t0': 5, 'tMult': 2, 'etaMin': 0.002}, 'groups': TWO},
    {'name': 'CosineAnnealingWarmRestarts fractional epochs', 'scheduler': 'CosineAnnealingWarmRestarts', 'options': {'t0': 3, 'tMult': 2},
     'groups': ONE, 'stepArgs': [e + b / 4 for e in range(20) for b in range(4)]},
    {'name': 'LinearLR default', 'scheduler': 'LinearLR', 'options': {}, 'groups': TWO},
    {'name': 'LinearLR warm-up 0.1 to 1 over 20', 'scheduler': 'LinearLR', 'options': {'startFactor': 0.1, 'endFactor': 1.0, 'totalIters': 20}, 'groups': TWO},
    {'name': 'LinearLR decay 1 to 0.05 over 50', 'scheduler': 'LinearLR', 'options': {'startFactor': 1.0, 'endFactor': 0.05, 'totalIters': 50}, 'groups': TWO},
    {'name': 'OneCycleLR cos SGD momentum', 'scheduler': 'OneCycleLR', 'options': {'maxLr': 0.5, 'totalSteps': 100}, 'groups': TWO, 'momentum': 0.9},
    {'name': 'OneCycleLR linear per-group maxLr', 'scheduler': 'OneCycleLR',
     'options': {'maxLr': [0.5, 0.2], 'epochs': 10, 'stepsPerEpoch': 10, 'pctStart': 0.25, 'annealStrategy': 'linear', 'divFactor': 10.0, 'finalDivFactor': 100.0},
     'groups': TWO, 'momentum': 0.9},
    {'name': 'OneCycleLR Adam betas', 'scheduler': 'OneCycleLR', 'options': {'maxLr': 0.01, 'totalSteps': 100, 'baseMomentum': 0.8, 'maxMomentum': 0.9},
     'groups': TWO, 'optimizer': 'adam'},
    {'name': 'OneCycleLR three phase', 'scheduler': 'OneCycleLR', 'options': {'maxLr': 1.0, 'totalSteps': 100, 'threePhase': True, 'pctStart': 0.4}, 'groups': ONE, 'momentum': 0.9},
    {'name': 'OneCycleLR no momentum', 'scheduler': 'OneCycleLR', 'options': {'maxLr': 0.3, 'totalSteps': 100, 'cycleMomentum': False}, 'groups': ONE},
    {'name': 'PolynomialLR default', 'scheduler': 'PolynomialLR', 'options': {}, 'groups': TWO, 'steps': 20},
    {'name': 'PolynomialLR power 2 over 60', 'scheduler': 'PolynomialLR', 'options': {'totalIters': 60, 'power': 2.0}, 'groups': TWO},
    {'name': 'ReduceLROnPlateau min rel', 'scheduler': 'ReduceLROnPlateau', 'options': {'patience': 3, 'factor': 0.5}, 'groups': TWO, 'metrics': plateau_metrics()},
    {'name': 'ReduceLROnPlateau min abs cooldown minLr', 'scheduler': 'ReduceLROnPlateau',
     'options': {'patience': 2, 'factor': 0.3, 'threshold': 0.01, 'thresholdMode': 'abs', 'cooldown': 3, 'minLr': [0.001, 0.004]},
     'groups': TWO, 'metrics': plateau_metrics()},
    {'name': 'ReduceLROnPlateau max', 'scheduler': 'ReduceLROnPlateau', 'options': {'mode': 'max', 'patience': 4, 'factor': 0.2, 'eps': 1e-3}, 'groups': TWO, 'metrics': accuracy_metrics()},
    {'name': 'LambdaLR one function', 'scheduler': 'LambdaLR', 'options': {'lrLambda': 'pow095'}, 'groups': TWO},
    {'name': 'LambdaLR per group', 'scheduler': 'LambdaLR', 'options': {'lrLambda': ['inverse', 'warmup10']}, 'groups': TWO},
    {'name': 'SequentialLR warm-up then cosine', 'scheduler': 'SequentialLR',
     'options': {'schedulers': [{'scheduler': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 10}},
                                {'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 90}}],
                 'milestones': [10]}, 'groups': TWO},
    {'name': 'SequentialLR three schedules', 'scheduler': 'SequentialLR',
     'options': {'schedulers': [{'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}},
                                {'scheduler': 'StepLR', 'options': {'stepSize': 5, 'gamma': 0.5}},
                                {'scheduler': 'MultiStepLR', 'options': {'milestones': [10, 20], 'gamma': 0.1}}],
                 'milestones': [15, 40]}, 'groups': TWO},
    {'name': 'ConstantLR default', 'scheduler': 'ConstantLR', 'options': {}, 'groups': TWO, 'steps': 20},
    {'name': 'ConstantLR factor 0.5 for 8', 'scheduler': 'ConstantLR', 'options': {'factor': 0.5, 'totalIters': 8}, 'groups': TWO, 'steps': 20},
    {'name': 'MultiplicativeLR', 'scheduler': 'MultiplicativeLR', 'options': {'lrLambda': 'times098'}, 'groups': TWO},
    {'name': 'MultiplicativeLR per group', 'scheduler': 'MultiplicativeLR', 'options': {'lrLambda': ['times098', 'alternate']}, 'groups': TWO},
    {'name': 'CyclicLR triangular with momentum', 'scheduler': 'CyclicLR', 'options': {'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 10}, 'groups': TWO, 'momentum': 0.9},
    {'name': 'CyclicLR triangular2 asymmetric', 'scheduler': 'CyclicLR',
     'options': {'baseLr': [0.01, 0.02], 'maxLr': [0.1, 0.3], 'stepSizeUp': 7, 'stepSizeDown': 13, 'mode': 'triangular2', 'cycleMomentum': False}, 'groups': TWO},
    {'name': 'CyclicLR expRange', 'scheduler': 'CyclicLR',
     'options': {'baseLr': 0.001, 'maxLr': 0.05, 'stepSizeUp': 5, 'mode': 'expRange', 'gamma': 0.98, 'baseMomentum': 0.7, 'maxMomentum': 0.95}, 'groups': ONE, 'momentum': 0.9},
    {'name': 'ChainedScheduler exponential and step', 'scheduler': 'ChainedScheduler',
     'options': {'schedulers': [{'scheduler': 'ExponentialLR', 'options': {'gamma': 0.97}},
                                {'scheduler': 'StepLR', 'options': {'stepSize': 10, 'gamma': 0.5}}]}, 'groups': TWO},
]


def main():
    out = {'torch': torch.__version__, 'cases': [run(dict(c)) for c in CASES]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'schedules.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f, indent=None, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {len(out["cases"])} cases to {os.path.normpath(path)}')


if __name__ == '__main__':
    main()
