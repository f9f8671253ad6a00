// fastgrad: deep-learning training for Node.js with a native hot path.
import './autograd/ops';
import './train';

export { Tensor, type Shape } from './tensor/tensor';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, rand, randn } from './tensor/creation';
export { Generator, manualSeed } from './tensor/random';
export { noGrad, enableGrad, isGradEnabled } from './autograd/engine';
export {
  matmul, reshape, transpose, slice, flatten,
  add, sub, mul, div, neg, exp, log, sqrt, pow, abs, clamp,
  relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, logSoftmax,
  sum, mean, max, argmax, broadcastShapes,
} from './autograd/ops';
export { backendInfo, useBackend, getBackend, type BackendInfo, type BackendName } from './backend';
export { FastgradError, ShapeError, DTypeError, ValueError, FormatError } from './errors';
export * as kernels from './kernels';

/** Resolves on the next turn of the event loop (use in your own training loop between batches). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export * as nn from './nn';
export * as optim from './optim';
export * as losses from './losses';
export * as data from './data';
export * as metrics from './metrics';
export * as callbacks from './train/callbacks';
export { History, load, type FitOptions, type EvaluateOptions } from './train';
export { saveTensors, loadTensors, type SafetensorsFile } from './io/safetensors';
export * as tune from './tune';
