// Layers and models: Module, Sequential, the layers, initialisers, functional forms, and
// architectures as JSON (toConfig / fromConfig with a registry of layer types).
export { Module } from './module';
export {
  Linear, ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Dropout, BatchNorm1d, Flatten, Identity,
  type LinearOptions, type DropoutLayerOptions, type BatchNormOptions,
} from './layers';
export { Sequential } from './sequential';
export { toConfig, fromConfig, registerLayer, layerTypes, type LayerConfig, type LayerFactory } from './config';
export * as init from './init';
export * as functional from './functional';
