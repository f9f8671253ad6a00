// The other adaptive first-order optimizers, after torch.optim: Adagrad, RMSprop, Adadelta, Adamax,
// NAdam, RAdam, plus Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").
// Per-step scalars are computed here in double precision with PyTorch's formulas; the per-element
// update is one fused pass (OptimOps).
import type { Tensor } from '../tensor/tensor';
import { Optimizer, checkBetas, checkBoolOption, checkNumber, type BaseOptions, type ParamGroup, type ParamGroupInput, type StepContext } from './optimizer';
import { mergeOptions } from './options';

type Params = Tensor[] | ParamGroupInput[];

function checkCommon(o: Record<string, unknown>, where: string, epsMin: 'positive' | 'nonnegative' = 'positive'): void {
  checkNumber(where, 'eps', o.eps, { min: 0, minExclusive: epsMin === 'positive' });
  checkNumber(where, 'weightDecay', o.weightDecay, { min: 0 });
  checkBoolOption(where, 'maximize', o.maximize);
}

export interface AdagradOptions extends BaseOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params, options?: AdagradOptions) {
    super(params, mergeOptions('Adagrad', { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkNumber(where, 'lrDecay', o.lrDecay, { min: 0 });
    checkNumber(where, 'initialAccumulatorValue', o.initialAccumulatorValue, { min: 0 });
  }
  protected bufferNames(): string[] {
    return ['sum'];
  }
  protected initBuffer(group: ParamGroup, _name: string, buf: Float32Array): void {
    buf.fill(group.initialAccumulatorValue as number);
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const clr = group.lr / (1 + (ctx.step - 1) * (group.lrDecay as number));
    ctx.backend.adagradStep(ctx.p, ctx.g, ctx.buffer('sum'), clr, group.eps as number, group.weightDecay as number, group.maximize as boolean, ctx.segments);
  }
}

export interface RMSpropOptions extends BaseOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params, options?: RMSpropOptions) {
    super(params, mergeOptions('RMSprop', { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkNumber(where, 'alpha', o.alpha, { min: 0, max: 1 });
    checkNumber(where, 'momentum', o.momentum, { min: 0 });
    checkBoolOption(where, 'centered', o.centered);
  }
  protected bufferNames(group: ParamGroup): string[] {
    const names = ['squareAvg'];
    if (group.centered) names.push('gradAvg');
    if ((group.momentum as number) > 0) names.push('momentumBuffer');
    return names;
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const momentum = group.momentum as number;
    ctx.backend.rmspropStep(
      ctx.p, ctx.g, ctx.buffer('squareAvg'), group.centered ? ctx.buffer('gradAvg') : null, momentum > 0 ? ctx.buffer('momentumBuffer') : null,
      group.lr, group.alpha as number, group.eps as number, group.weightDecay as number, momentum, group.maximize as boolean, ctx.segments,
    );
  }
}

export interface AdadeltaOptions extends BaseOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params, options?: AdadeltaOptions) {
    super(params, mergeOptions('Adadelta', { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkNumber(where, 'rho', o.rho, { min: 0, max: 1 });
  }
  protected bufferNames(): string[] {
    return ['squareAvg', 'accDelta'];
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    ctx.backend.adadeltaStep(
      ctx.p, ctx.g, ctx.buffer('squareAvg'), ctx.buffer('accDelta'),
      group.lr, group.rho as number, group.eps as number, group.weightDecay as number, group.maximize as boolean, ctx.segments,
    );
  }
}

export interface AdamaxOptions extends BaseOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params, options?: AdamaxOptions) {
    super(params, mergeOptions('Adamax', { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkBetas(where, o.betas);
  }
  protected bufferNames(): string[] {
    return ['expAvg', 'expInf'];
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const [beta1, beta2] = group.betas as [number, number];
    const clr = group.lr / (1 - beta1 ** ctx.step);
    ctx.backend.adamaxStep(ctx.p, ctx.g, ctx.buffer('expAvg'), ctx.buffer('expInf'), beta1, beta2, group.eps as number, group.weightDecay as number, clr, group.maximize as boolean, ctx.segments);
  }
}

export interface NAdamOptions extends BaseOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  maximize?: boolean;
}

export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params, options?: NAdamOptions) {
    super(params, mergeOptions('NAdam', { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkBetas(where, o.betas);
    checkNumber(where, 'momentumDecay', o.momentumDecay, { min: 0 });
  }
  protected bufferNames(): string[] {
    return ['expAvg', 'expAvgSq'];
  }
  protected extraScalars(): Record<string, number> {
    return { muProduct: 1 };
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const [beta1, beta2] = group.betas as [number, number];
    const md = group.momentumDecay as number;
    const step = ctx.step;
    const bc2 = 1 - beta2 ** step;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * md));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * md));
    // PyTorch 1.13 keeps mu_product as a float32 tensor; rounding the same way keeps trajectories equal.
    const muProduct = Math.fround(ctx.scalar('muProduct') * Math.fround(mu));
    const muProductNext = Math.fround(Math.fround(muProduct * Math.fround(mu)) * Math.fround(muNext));
    ctx.set('muProduct', muProduct);
    const lr = group.lr;
    ctx.backend.nadamStep(
      ctx.p, ctx.g, ctx.buffer('expAvg'), ctx.buffer('expAvgSq'), beta1, beta2, group.eps as number, group.weightDecay as number,
      bc2, (-lr * (1 - mu)) / (1 - muProduct), (-lr * muNext) / (1 - muProductNext), group.maximize as boolean, ctx.segments,
    );
  }
}

export interface RAdamOptions extends BaseOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params, options?: RAdamOptions) {
    super(params, mergeOptions('RAdam', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkCommon(o, where);
    checkBetas(where, o.betas);
  }
  protected bufferNames(): string[] {
    return ['expAvg', 'expAvgSq'];
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const [beta1, beta2] = group.betas as [number, number];
    const step = ctx.step;
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
    const adaptive = rhoT > 5;
    const rect = adaptive ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
    ctx.backend.radamStep(
      ctx.p, ctx.g, ctx.buffer('expAvg'), ctx.buffer('expAvgSq'), beta1, beta2, group.eps as number, group.weightDecay as number,
      group.lr, bc1, Math.sqrt(bc2), rect, adaptive, group.maximize as boolean, ctx.segments,
    );
  }
}

export interface LionOptions extends BaseOptions {
  lr?: number;
  betas?: [number, number];
  weightDecay?: number;
  maximize?: boolean;
}

/** Lion: the sign of an interpolated momentum, with decoupled weight decay; one state buffer. */
export class Lion extends Optimizer<LionOptions> {
  constructor(params: Params, options?: LionOptions) {
    super(params, mergeOptions('Lion', { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false, checkFinite: false }, options));
  }
  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkBetas(where, o.betas);
    checkNumber(where, 'weightDecay', o.weightDecay, { min: 0 });
    checkBoolOption(where, 'maximize', o.maximize);
  }
  protected bufferNames(): string[] {
    return ['expAvg'];
  }
  protected update(group: ParamGroup, ctx: StepContext): void {
    const [beta1, beta2] = group.betas as [number, number];
    ctx.backend.lionStep(ctx.p, ctx.g, ctx.buffer('expAvg'), group.lr, beta1, beta2, group.weightDecay as number, group.maximize as boolean, ctx.segments);
  }
}
