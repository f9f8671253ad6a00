// SGD with momentum, dampening, Nesterov, coupled weight decay (L2), maximize (torch.optim.SGD), and
// an L1 option: a proximal soft-threshold p = sign(p) * max(|p| - lr*l1, 0) after each step, which
// drives small weights exactly to zero (lasso), unlike an L1 penalty's subgradient.
import type { Tensor } from '../tensor/tensor';
import { Optimizer, checkBoolOption, checkNumber, type BaseOptions, type ParamGroup, type ParamGroupInput, type StepContext } from './optimizer';
import { mergeOptions } from './options';
import { ValueError } from '../errors';

export interface SGDOptions extends BaseOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /** Proximal L1 strength (soft-threshold by lr*l1 after each step); 0 = off. */
  l1?: number;
}

const defaults: Required<SGDOptions> = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, l1: 0, checkFinite: false };

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Tensor[] | ParamGroupInput[], options?: SGDOptions) {
    super(params, mergeOptions('SGD', defaults, options));
  }

  protected validate(o: Record<string, unknown>, where: string): void {
    super.validate(o, where);
    checkNumber(where, 'momentum', o.momentum, { min: 0 });
    checkNumber(where, 'dampening', o.dampening);
    checkNumber(where, 'weightDecay', o.weightDecay, { min: 0 });
    checkNumber(where, 'l1', o.l1, { min: 0 });
    checkBoolOption(where, 'nesterov', o.nesterov);
    checkBoolOption(where, 'maximize', o.maximize);
    if (o.nesterov && (o.momentum === 0 || o.dampening !== 0)) {
      throw new ValueError(`${where}: option 'nesterov' needs momentum > 0 and dampening = 0, got momentum ${o.momentum}, dampening ${o.dampening}`);
    }
  }

  protected bufferNames(group: ParamGroup): string[] {
    return (group.momentum as number) !== 0 ? ['momentumBuffer'] : [];
  }

  protected update(group: ParamGroup, ctx: StepContext): void {
    const momentum = group.momentum as number;
    ctx.backend.sgdStep(
      ctx.p, ctx.g, momentum !== 0 ? ctx.buffer('momentumBuffer') : null,
      group.lr, momentum, group.dampening as number, group.weightDecay as number,
      group.nesterov as boolean, group.maximize as boolean, ctx.step === 1, group.l1 as number, ctx.segments,
    );
  }
}
