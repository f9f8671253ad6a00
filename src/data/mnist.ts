// MNIST-style data sets from a folder of IDX files: Fashion-MNIST is bundled in the repository
// (data/fashion-mnist/); the npm package does not ship it, so loading says where to get it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor/tensor';
import { packageRoot } from '../backend';
import { FormatError, ValueError, describe } from '../errors';
import { readIdx, type IdxArray } from './idx';
import type { Dataset } from './dataset';

export interface IdxDatasetOptions {
  /**
   * 'flat' (default): x is [N, rows*cols], for MLPs. 'image': x is [N, 1, rows, cols], for CNNs.
   */
  shape?: 'flat' | 'image';
}

export interface TrainTest {
  train: Dataset;
  test: Dataset;
}

const PARTS = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

/** The file for one part in `dir`, gzipped or not; undefined when absent. */
function findPart(dir: string, names: string[]): string | undefined {
  for (const n of names) {
    for (const f of [n + '.gz', n]) {
      const p = path.join(dir, f);
      if (fs.existsSync(p)) return p;
    }
  }
  return undefined;
}

function toImages(a: IdxArray, file: string, shape: 'flat' | 'image'): Tensor {
  if (a.shape.length !== 3) throw new FormatError(`${file}: expected images of 3 dimensions [N, rows, cols], got [${a.shape.join(', ')}]`);
  if (a.dtype !== 'uint8') throw new FormatError(`${file}: expected uint8 pixels, got ${a.dtype}`);
  const [n, r, c] = a.shape;
  // set() converts uint8 to float32 natively; the scaling loop then runs over one array type only.
  const x = new Float32Array(a.data.length);
  x.set(a.data);
  const scale = 1 / 255;
  for (let i = 0; i < x.length; i++) x[i] *= scale;
  return new Tensor(x, shape === 'image' ? [n, 1, r, c] : [n, r * c]);
}

function toLabels(a: IdxArray, file: string): Tensor {
  if (a.shape.length !== 1) throw new FormatError(`${file}: expected labels of 1 dimension [N], got [${a.shape.join(', ')}]`);
  return new Tensor(Float32Array.from(a.data), a.shape);
}

async function loadPair(imagesFile: string, labelsFile: string, shape: 'flat' | 'image'): Promise<Dataset> {
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  const x = toImages(images, imagesFile, shape);
  const y = toLabels(labels, labelsFile);
  if (x.shape[0] !== y.shape[0]) {
    throw new FormatError(`${imagesFile} has ${x.shape[0]} images but ${labelsFile} has ${y.shape[0]} labels`);
  }
  return { x, y };
}

/**
 * Loads an MNIST-layout folder: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
 * and t10k-labels-idx1-ubyte, each optionally .gz. x is scaled to [0, 1]; y holds class ids.
 */
export async function idx(dir: string, opts: IdxDatasetOptions = {}): Promise<TrainTest> {
  if (typeof dir !== 'string') throw new ValueError(`idx: argument 'dir' must be a folder path, got ${describe(dir)}`);
  const shape = opts.shape ?? 'flat';
  if (shape !== 'flat' && shape !== 'image') throw new ValueError(`idx: option 'shape' must be 'flat' or 'image', got ${describe(shape)}`);
  const files: Record<string, string> = {};
  const missing: string[] = [];
  for (const [part, names] of Object.entries(PARTS)) {
    const f = findPart(dir, names);
    if (f) files[part] = f;
    else missing.push(`${names[0]}[.gz]`);
  }
  if (missing.length) throw new ValueError(`idx: ${dir} lacks ${missing.join(', ')}`);
  const [train, test] = await Promise.all([
    loadPair(files.trainImages, files.trainLabels, shape),
    loadPair(files.testImages, files.testLabels, shape),
  ]);
  return { train, test };
}

/** Where the repository keeps Fashion-MNIST. */
export const bundledFashionMnistDir = path.join(packageRoot, 'data', 'fashion-mnist');

/**
 * Fashion-MNIST (60000 training and 10000 test images of 28x28, 10 classes). Without `dir`, the copy
 * bundled with the fastgrad repository.
 */
export async function fashionMnist(opts: IdxDatasetOptions & { dir?: string } = {}): Promise<TrainTest> {
  const dir = opts.dir ?? bundledFashionMnistDir;
  if (opts.dir === undefined && !fs.existsSync(path.join(dir, 'train-images-idx3-ubyte.gz'))) {
    throw new ValueError(
      `fashionMnist: the data set is not in ${dir} (the npm package does not ship it). Download the four ` +
        'files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and ' +
        't10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist (data/fashion) ' +
        "or install Debian's dataset-fashion-mnist package, and pass their folder: fashionMnist({ dir }) " +
        '(CLI: --data DIR)',
    );
  }
  return idx(dir, opts);
}
