// nn.functional: the stateless forms of the layers and losses, as torch.nn.functional
// (`nn.functional.crossEntropy(model.forward(x), y)`).
export { linear, type LinearOptions } from '../autograd/ops/linear';
export { dropout, type DropoutOptions } from '../autograd/ops/dropout';
export { batchNorm, type BatchNormOptions } from '../autograd/ops/batchnorm';
export { relu, leakyRelu, elu, gelu, sigmoid, tanh } from '../autograd/ops/activation';
export { softmax, logSoftmax } from '../autograd/ops/softmax';
export {
  crossEntropy, mse, l1, huber, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  categoricalCrossEntropy, sparseCategoricalCrossEntropy,
} from '../losses';
export { l1 as mae } from '../losses';
