// Optimizers, learning-rate schedules and their fit() callback.
export * from './lr_scheduler';
export { lrSchedulerCallback, LrSchedulerCallback, type LrSchedulerCallbackOptions } from './schedule_callback';
