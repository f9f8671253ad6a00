#!/usr/bin/python3
# Golden values for conv2d, pooling and BatchNorm2d from PyTorch (1.13, CPU, float64 maths rounded
# to float32), written to test/fixtures/conv.json. Run with the system python: /usr/bin/python3
# scripts/golden_conv.py. Inputs come from a fixed torch seed and are stored with the outputs.
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(7)
cases = []


def flat(t):
    return [float('%.8g' % v) for v in t.detach().reshape(-1).tolist()]


def conv_case(n, c, h, w, oc, k, stride, padding, dilation, groups, bias=True):
    x = torch.randn(n, c, h, w, dtype=torch.float64, requires_grad=True)
    wt = torch.randn(oc, c // groups, k[0], k[1], dtype=torch.float64, requires_grad=True)
    b = torch.randn(oc, dtype=torch.float64, requires_grad=True) if bias else None
    x32, w32 = x.float().double(), wt.float().double()
    b32 = b.float().double() if bias else None
    x32.retain_grad(), w32.retain_grad()
    if bias:
        b32.retain_grad()
    y = F.conv2d(x32, w32, b32, stride=stride, padding=padding, dilation=dilation, groups=groups)
    gy = torch.randn_like(y).float().double()
    y.backward(gy)
    cases.append({
        'op': 'conv2d', 'x': flat(x32), 'xShape': list(x.shape), 'weight': flat(w32), 'weightShape': list(wt.shape),
        'bias': flat(b32) if bias else None, 'stride': list(stride), 'padding': list(padding),
        'dilation': list(dilation), 'groups': groups, 'out': flat(y), 'outShape': list(y.shape), 'gradOut': flat(gy),
        'gradX': flat(x32.grad), 'gradWeight': flat(w32.grad), 'gradBias': flat(b32.grad) if bias else None,
    })


conv_case(2, 3, 7, 6, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1)
conv_case(2, 4, 9, 8, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2)
conv_case(1, 6, 8, 8, 6, (3, 3), (2, 2), (2, 2), (2, 2), 6)
conv_case(2, 1, 10, 9, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, bias=False)

for (k, s, p) in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))]:
    x = torch.randn(2, 3, 7, 8, dtype=torch.float32)
    xm = x.clone().requires_grad_(True)
    y, idx = F.max_pool2d(xm, k, s, p, return_indices=True)
    gy = torch.randn_like(y)
    y.backward(gy)
    cases.append({'op': 'maxPool2d', 'x': flat(x), 'xShape': list(x.shape), 'kernelSize': list(k), 'stride': list(s),
                  'padding': list(p), 'out': flat(y), 'indices': [int(v) for v in idx.reshape(-1).tolist()],
                  'gradOut': flat(gy), 'gradX': flat(xm.grad)})
    for include in (True, False):
        xa = x.double().requires_grad_(True)
        ya = F.avg_pool2d(xa, k, s, p, count_include_pad=include)
        gya = torch.randn_like(ya).float().double()
        ya.backward(gya)
        cases.append({'op': 'avgPool2d', 'x': flat(x), 'xShape': list(x.shape), 'kernelSize': list(k), 'stride': list(s),
                      'padding': list(p), 'countIncludePad': include, 'out': flat(ya), 'gradOut': flat(gya),
                      'gradX': flat(xa.grad)})

# BatchNorm2d: three training steps then eval, with momentum 0.2.
bn = torch.nn.BatchNorm2d(3, momentum=0.2).double()
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5, 0.8]))
    bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
steps = []
for i in range(3):
    x = (torch.randn(4, 3, 5, 5) * (i + 1) + i).double().requires_grad_(True)
    bn.train()
    y = bn(x)
    gy = torch.randn_like(y).float().double()
    bn.zero_grad()
    y.backward(gy)
    steps.append({'x': flat(x), 'out': flat(y), 'gradOut': flat(gy), 'gradX': flat(x.grad),
                  'gradWeight': flat(bn.weight.grad), 'gradBias': flat(bn.bias.grad),
                  'runningMean': flat(bn.running_mean), 'runningVar': flat(bn.running_var)})
bn.eval()
xe = torch.randn(2, 3, 5, 5).double()
cases.append({'op': 'batchNorm2d', 'xShape': [4, 3, 5, 5], 'momentum': 0.2, 'weight': [1.5, -0.5, 0.8],
              'bias': [0.1, 0.2, -0.3], 'steps': steps, 'evalX': flat(xe), 'evalShape': [2, 3, 5, 5],
              'evalOut': flat(bn(xe))})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'conv.json')
with open(path, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(path)}')
