// Adam (coupled L2 weight decay, amsgrad, maximize) and AdamW (decoupled weight decay), after
// torch.optim.Adam / AdamW: bias corrections in double precision here, the per-element update fused
// in one pass (OptimOps.adamStep).
import type { Tensor } from '../tensor/tensor';
import { Optimizer, checkBetas, checkBoolOption, checkNumber, type BaseOptions, type ParamGroup, type ParamGroupInput, type StepContext } from './optimizer';
import { mergeOptions } from './options';

export interface AdamOptions extends BaseOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

const adamDefaults: Required<AdamOptions> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, checkFinite: false };

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract get decoupled(): boolean;

  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkBetas(where, o.betas);
    checkNumber(where, 'eps', o.eps, { min: 0, minExclusive: true });
    checkNumber(where, 'weightDecay', o.weightDecay, { min: 0 });
    checkBoolOption(where, 'amsgrad', o.amsgrad);
    checkBoolOption(where, 'maximize', o.maximize);
  }

  protected bufferNames(group: ParamGroup): string[] {
    return group.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  }

  protected update(group: ParamGroup, ctx: StepContext): void {
    const [beta1, beta2] = group.betas as [number, number];
    const lr = group.lr;
    const wd = group.weightDecay as number;
    const bc1 = 1 - beta1 ** ctx.step;
    const bc2 = 1 - beta2 ** ctx.step;
    ctx.backend.adamStep(
      ctx.p, ctx.g, ctx.buffer('expAvg'), ctx.buffer('expAvgSq'), group.amsgrad ? ctx.buffer('maxExpAvgSq') : null,
      beta1, beta2, group.eps as number,
      this.decoupled ? 0 : wd, this.decoupled ? 1 - lr * wd : 1,
      lr / bc1, Math.sqrt(bc2), group.maximize as boolean, ctx.segments,
    );
  }
}

export class Adam extends AdamBase {
  protected get decoupled(): boolean {
    return false;
  }
  constructor(params: Tensor[] | ParamGroupInput[], options?: AdamOptions) {
    super(params, mergeOptions('Adam', adamDefaults, options));
  }
}

export class AdamW extends AdamBase {
  protected get decoupled(): boolean {
    return true;
  }
  constructor(params: Tensor[] | ParamGroupInput[], options?: AdamOptions) {
    super(params, mergeOptions('AdamW', { ...adamDefaults, weightDecay: 1e-2 }, options));
  }
}
