// Saving models: weights in the safetensors format under PyTorch's state_dict names ("0.weight"), and
// the architecture as JSON in the file's metadata, so nn.load rebuilds the model from the file alone
// and torch (safetensors.torch.load_file) reads the weights. Writes are atomic (src/io/atomic.ts).
import { Module } from '../nn/module';
import { fromConfig, toConfig } from '../nn/config';
import { version } from '../backend';
import { FormatError, ValueError, describe } from '../errors';
import { loadTensors, saveTensors } from '../io/safetensors';

/** The metadata key holding the architecture JSON. */
export const ARCHITECTURE_KEY = 'fastgrad.architecture';

/** { type, config }: what nn.fromConfig rebuilds the module from. */
export function architectureOf(model: Module): { type: string; config: Record<string, unknown> } {
  return toConfig(model);
}

declare module '../nn/module' {
  interface Module {
    /** Writes weights and architecture to a safetensors file (atomically). */
    save(file: string, opts?: { metadata?: Record<string, string> }): Promise<void>;
    /** Loads weights saved by save() (or by PyTorch under the same names) into this model. */
    loadWeights(file: string): Promise<void>;
  }
}

Module.prototype.save = async function save(this: Module, file: string, opts: { metadata?: Record<string, string> } = {}): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new ValueError(`save: argument 'file' must be a path, got ${describe(file)}`);
  const metadata: Record<string, string> = {
    format: 'pt',
    ...opts.metadata,
    [ARCHITECTURE_KEY]: JSON.stringify(architectureOf(this)),
    'fastgrad.version': version,
  };
  saveTensors(file, this.stateDict(), metadata);
};

Module.prototype.loadWeights = async function loadWeights(this: Module, file: string): Promise<void> {
  const { tensors } = loadTensors(file);
  this.loadStateDict(tensors);
};

/** Rebuilds a model saved with model.save(file): architecture from the metadata, then the weights. */
export async function load(file: string): Promise<Module> {
  const { tensors, metadata } = loadTensors(file);
  const json = metadata[ARCHITECTURE_KEY];
  if (json === undefined) {
    throw new FormatError(`${file}: no '${ARCHITECTURE_KEY}' in the metadata: these are bare weights; build the model and call model.loadWeights(file)`);
  }
  let arch: unknown;
  try {
    arch = JSON.parse(json);
  } catch (e) {
    throw new FormatError(`${file}: the architecture in the metadata is not valid JSON (${(e as Error).message})`);
  }
  const model = fromConfig(arch as Parameters<typeof fromConfig>[0]);
  model.loadStateDict(tensors);
  return model;
}
