// The training loop (fit / evaluate / predict on Module), saving and loading, and the model registry
// of the CLI. Importing this module installs the Module methods.
import './fit';
import './saving';
export { History, resolveLoss, type FitOptions, type EvaluateOptions, type LossFn, type Metric, type MetricFn, type MetricName } from './fit';
export { load, architectureOf, ARCHITECTURE_KEY } from './saving';
export { models, modelRegistry, type ModelOptions, type ModelEntry } from './models';
