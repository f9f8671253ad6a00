// Architectures as JSON. Every layer's config() returns its constructor arguments; toConfig wraps
// them with the layer's registered type name, and fromConfig rebuilds a module (a Sequential with its
// layers, recursively) from that JSON through a registry of layer types. Saving a model stores this
// JSON beside the weights; loading rebuilds the module and then loads the state dict.
import type { Module } from './module';
import { DTypeError, FormatError, ValueError, describe } from '../errors';

export interface LayerConfig {
  type: string;
  config: Record<string, unknown>;
}

export type LayerFactory = (config: Record<string, unknown>) => Module;

const registry = new Map<string, LayerFactory>();

/** Registers a layer type for fromConfig (layers outside src/nn, e.g. Conv2d, register themselves too). */
export function registerLayer(type: string, factory: LayerFactory): void {
  if (typeof type !== 'string' || type === '') throw new DTypeError(`registerLayer: 'type' must be a non-empty string, got ${describe(type)}`);
  if (typeof factory !== 'function') throw new DTypeError(`registerLayer: 'factory' must be a function, got ${describe(factory)}`);
  registry.set(type, factory);
}

/** The registered layer type names. */
export function layerTypes(): string[] {
  return [...registry.keys()].sort();
}

/** { type, config } of a module (JSON-serialisable). */
export function toConfig(m: Module): LayerConfig {
  return { type: m.typeName, config: m.config() };
}

/** Rebuilds a module from toConfig's output (an object or its JSON text). Weights are fresh. */
export function fromConfig(json: LayerConfig | string): Module {
  let cfg: unknown = json;
  if (typeof json === 'string') {
    try {
      cfg = JSON.parse(json);
    } catch (e) {
      throw new FormatError(`fromConfig: not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof cfg !== 'object' || cfg === null || typeof (cfg as LayerConfig).type !== 'string') {
    throw new FormatError(`fromConfig: expected { type: string, config: object }, got ${describe(cfg)}`);
  }
  const { type, config } = cfg as LayerConfig;
  const factory = registry.get(type);
  if (!factory) throw new ValueError(`fromConfig: unknown layer type '${type}'; known: ${layerTypes().join(', ')}`);
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new FormatError(`fromConfig: 'config' of a ${type} must be an object, got ${describe(config)}`);
  }
  return factory(config ?? {});
}
