export { Module } from './module';
export { Conv2d, type Conv2dLayerOptions } from './conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool2d, type Pool2dLayerOptions, type AvgPool2dLayerOptions } from './pool';
export { BatchNorm2d, type BatchNorm2dLayerOptions } from './batchnorm2d';
