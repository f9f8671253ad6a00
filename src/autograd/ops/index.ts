// Every differentiable op, one file each (forward beside backward). Importing this module installs
// their Tensor methods.
export * from './shape';
export * from './matmul';
export * from './conv';
export * from './pool';
export * from './batchnorm2d';
export * from './arithmetic';
export * from './unary';
export * from './activation';
export * from './reduce';
export * from './softmax';
export { broadcastShapes } from './broadcast';
export * from './linear';
export * from './dropout';
export * from './batchnorm';
