"""Fashion-MNIST for the PyTorch benchmark scripts (bench/*_torch.py): the bundled IDX files as
tensors scaled to [0, 1], as fastgrad's loader gives them."""
import gzip
import os

import numpy as np
import torch


def _idx(data_dir, name):
    with gzip.open(os.path.join(data_dir, name), 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, shape):
    """(x_train, y_train, x_test, y_test); images as [n, 784] ('flat') or [n, 1, 28, 28] ('image')."""
    def images(name):
        x = torch.from_numpy(_idx(data_dir, name).astype(np.float32) / 255)
        return x.reshape(-1, 784) if shape == 'flat' else x.unsqueeze(1)

    def labels(name):
        return torch.from_numpy(_idx(data_dir, name).astype(np.int64))

    return (images('train-images-idx3-ubyte.gz'), labels('train-labels-idx1-ubyte.gz'),
            images('t10k-images-idx3-ubyte.gz'), labels('t10k-labels-idx1-ubyte.gz'))
