// DataLoader: batches of a Dataset, reshuffled each epoch by a seeded generator. Batches are built by
// copying whole rows with typed-array set() (no per-sample JS objects); an unshuffled batch is a
// view into the dataset, with no copy at all.
import { Tensor } from '../tensor/tensor';
import { Generator, globalGenerator } from '../tensor/random';
import { checkBool, checkInt } from '../errors';
import { checkDataset, gatherRows, type Dataset } from './dataset';

export interface Batch {
  x: Tensor;
  y: Tensor;
}

export interface DataLoaderOptions {
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** Reshuffle the samples at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffling generator (the global generator when omitted). */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Reuse one pair of batch buffers for every shuffled batch instead of allocating new ones. A batch
   * is then only valid until the next one is drawn; fit uses this so training allocates no input
   * memory per batch.
   */
  reuseBuffers?: boolean;
}

export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly reuseBuffers: boolean;
  private readonly numSamples: number;
  private readonly generator: Generator;
  private readonly order: Uint32Array;
  private readonly xRow: number;
  private readonly yRow: number;
  private buffers: { x: Float32Array; y: Float32Array; n: number }[] = [];

  constructor(dataset: Dataset, opts: DataLoaderOptions = {}) {
    this.numSamples = checkDataset("DataLoader: argument 'dataset'", dataset);
    this.dataset = dataset;
    this.batchSize = checkInt("DataLoader: option 'batchSize'", opts.batchSize ?? 32, 1);
    this.shuffle = checkBool("DataLoader: option 'shuffle'", opts.shuffle ?? false);
    this.dropLast = checkBool("DataLoader: option 'dropLast'", opts.dropLast ?? false);
    this.reuseBuffers = checkBool("DataLoader: option 'reuseBuffers'", opts.reuseBuffers ?? false);
    if (opts.seed !== undefined) checkInt("DataLoader: option 'seed'", opts.seed);
    this.generator = opts.seed === undefined ? globalGenerator : new Generator(opts.seed);
    this.order = new Uint32Array(this.numSamples);
    for (let i = 0; i < this.numSamples; i++) this.order[i] = i;
    this.xRow = this.numSamples ? dataset.x.size / this.numSamples : 0;
    this.yRow = this.numSamples ? dataset.y.size / this.numSamples : 0;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.numSamples / this.batchSize) : Math.ceil(this.numSamples / this.batchSize);
  }

  /** Samples per epoch (after dropLast). */
  get size(): number {
    return this.dropLast ? this.length * this.batchSize : this.numSamples;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const { x, y } = this.dataset;
    const xShape = x.shape.slice(1);
    const yShape = y.shape.slice(1);
    if (this.shuffle) {
      // Fresh permutation each epoch, continuing the generator's stream (so epochs differ but a
      // seeded loader replays the same sequence of epochs).
      for (let i = 0; i < this.numSamples; i++) this.order[i] = i;
      this.generator.shuffle(this.order);
    }
    const nb = this.length;
    for (let b = 0; b < nb; b++) {
      const from = b * this.batchSize;
      const to = Math.min(from + this.batchSize, this.numSamples);
      const n = to - from;
      if (!this.shuffle) {
        yield {
          x: new Tensor(x.data.subarray(from * this.xRow, to * this.xRow), [n, ...xShape]),
          y: new Tensor(y.data.subarray(from * this.yRow, to * this.yRow), [n, ...yShape]),
        };
        continue;
      }
      const buf = this.bufferFor(n);
      gatherRows(x.data, this.xRow, this.order, from, to, buf.x);
      gatherRows(y.data, this.yRow, this.order, from, to, buf.y);
      yield { x: new Tensor(buf.x, [n, ...xShape]), y: new Tensor(buf.y, [n, ...yShape]) };
    }
  }

  private bufferFor(n: number): { x: Float32Array; y: Float32Array } {
    if (!this.reuseBuffers) return { x: new Float32Array(n * this.xRow), y: new Float32Array(n * this.yRow) };
    // At most two sizes occur: full batches and the last, shorter one.
    let buf = this.buffers.find((b) => b.n === n);
    if (!buf) this.buffers.push((buf = { x: new Float32Array(n * this.xRow), y: new Float32Array(n * this.yRow), n }));
    return buf;
  }
}
