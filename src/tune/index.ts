// Hyperparameter search: spaces, searchers (grid, random, GP-EI Bayesian), pruners, cross-validation,
// persistence and reports. See search.ts for the entry point, tune.search.
export { choice, intRange, uniform, logUniform, conditional, SearchSpace, type Space, type Config, type Value, type Domain } from './space';
export { GridSearcher, RandomSearcher, BayesSearcher, makeSearcher, type Searcher, type SearcherName, type Observation, type SuggestContext, type BayesOptions } from './searchers';
export { MedianPruner, SuccessiveHalvingPruner, makePruner, type Pruner, type PrunerName, type PeerTrial } from './pruners';
export { GaussianProcess, expectedImprovement } from './gp';
export { kFold, holdout } from './cv';
export { evaluateModel, makeOptimizer, type ModelFactory, type ModelSearchOptions } from './evaluate';
export { search, bestOf, type SearchOptions, type SearchTarget } from './search';
export { TrialStorage } from './storage';
export { TrialPruned, type Trial, type TrialState, type TrialContext, type SearchResult, type BestTrial, type Objective, type ObjectiveResult, type Direction, type Curves } from './types';
export { type ObjectiveModule } from './parallel';
export * as testFunctions from './testFunctions';
export { writeSearchReport, writeTrainingReport, reportCallback, svgChart } from './report';
