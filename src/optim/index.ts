// Optimizers (issue 4): flat parameter storage, fused first-order updates, clipping, state dicts,
// learning-rate schedules and their fit() callback.
export {
  Optimizer, flattenStateDict, unflattenStateDict, checkNumber, checkBetas, checkBoolOption,
  type ParamGroup, type ParamGroupInput, type BaseOptions, type ParamState, type OptimizerStateDict,
  type FlatGroup, type StepContext, type Closure,
} from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export {
  Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam, Lion,
  type AdagradOptions, type RMSpropOptions, type AdadeltaOptions, type AdamaxOptions, type NAdamOptions, type RAdamOptions, type LionOptions,
} from './adaptive';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip';
export * from './lr_scheduler';
export { lrSchedulerCallback, LrSchedulerCallback, type LrSchedulerCallbackOptions, type AnySchedule } from './schedule_callback';
export { LBFGS, type LBFGSOptions } from './lbfgs';
export { Newton, conjugateGradient, type NewtonOptions, type NewtonInfo, type HvpFn, type HessianFn } from './newton';
