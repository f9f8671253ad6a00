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
export { Conv2d, type Conv2dLayerOptions } from './conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool2d, type Pool2dLayerOptions, type AvgPool2dLayerOptions } from './pool';
export { BatchNorm2d, type BatchNorm2dLayerOptions } from './batchnorm2d';
export { RandomFlip, RandomTranslation, type FlipMode, type FillMode, type AugmentLayerOptions, type RandomTranslationOptions } from './augment';
export { load } from '../train/saving';
