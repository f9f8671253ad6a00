// Every differentiable op, one file each (forward beside backward). Importing this module installs
// their Tensor methods.
export * from './shape';
export * from './matmul';
