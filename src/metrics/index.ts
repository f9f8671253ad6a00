// Metrics: accuracy, precision, recall, F1 (per class; macro, micro, weighted), confusion matrix.
export {
  accuracy, precision, recall, f1, confusionMatrix, classificationReport, ConfusionMatrix, argmaxRows, toClassIds,
  type Labels, type Average, type MetricOptions, type Averages, type ClassificationReport,
} from './classification';
