import { describe, expect, it } from 'vitest';
import { metrics, tensor, ValueError, ShapeError } from '../src';

// Hand-computed (and matching scikit-learn's precision_recall_fscore_support, zero_division=0):
// class 0: tp 3, predicted 3, support 4 -> P 1, R 0.75, F1 6/7
// class 1: tp 1, predicted 3, support 2 -> P 1/3, R 0.5, F1 0.4
// class 2: tp 3, predicted 4, support 4 -> P 0.75, R 0.75, F1 0.75
const yTrue = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0];
const yPred = [0, 1, 0, 1, 2, 2, 2, 1, 2, 0];

describe('classification metrics', () => {
  it('confusion matrix: rows are true classes, columns predictions', () => {
    const cm = metrics.confusionMatrix(yTrue, yPred);
    expect(cm.toArray()).toEqual([[3, 1, 0], [0, 1, 1], [0, 1, 3]]);
    expect(cm.total).toBe(10);
  });

  it('accuracy, and per-class precision, recall and F1', () => {
    expect(metrics.accuracy(yTrue, yPred)).toBeCloseTo(0.7, 12);
    expect(Array.from(metrics.precision(yTrue, yPred, { average: 'none' }))).toEqual([1, 1 / 3, 0.75].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(metrics.recall(yTrue, yPred, { average: 'none' }))).toEqual([0.75, 0.5, 0.75].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(metrics.f1(yTrue, yPred, { average: 'none' }))).toEqual([6 / 7, 0.4, 0.75].map((v) => expect.closeTo(v, 12)));
  });

  it('macro, weighted and micro averages', () => {
    expect(metrics.precision(yTrue, yPred)).toBeCloseTo((1 + 1 / 3 + 0.75) / 3, 12);
    expect(metrics.recall(yTrue, yPred, { average: 'macro' })).toBeCloseTo(2 / 3, 12);
    expect(metrics.f1(yTrue, yPred, { average: 'macro' })).toBeCloseTo((6 / 7 + 0.4 + 0.75) / 3, 12);
    expect(metrics.precision(yTrue, yPred, { average: 'weighted' })).toBeCloseTo((4 * 1 + 2 / 3 + 4 * 0.75) / 10, 12);
    expect(metrics.recall(yTrue, yPred, { average: 'weighted' })).toBeCloseTo(0.7, 12);
    expect(metrics.f1(yTrue, yPred, { average: 'weighted' })).toBeCloseTo((4 * 6 / 7 + 2 * 0.4 + 4 * 0.75) / 10, 12);
    for (const f of [metrics.precision, metrics.recall, metrics.f1]) expect(f(yTrue, yPred, { average: 'micro' })).toBeCloseTo(0.7, 12);
    const r = metrics.classificationReport(yTrue, yPred);
    expect(Array.from(r.support)).toEqual([4, 2, 4]);
  });

  it('takes scores [N, C] (argmax), probabilities [N, 1] and tensors of class ids', () => {
    const scores = tensor([[0.1, 2, -1], [3, 0, 0], [0, 0, 5]]);
    expect(metrics.accuracy(tensor([1, 0, 1]), scores)).toBeCloseTo(2 / 3, 12);
    expect(metrics.accuracy([1, 0, 1], tensor([[0.9], [0.2], [0.4]]))).toBeCloseTo(2 / 3, 12);
  });

  it('zero division gives 0; absent classes are left out of the macro average unless numClasses is given', () => {
    expect(Array.from(metrics.precision([0, 1], [0, 0], { average: 'none' }))).toEqual([0.5, 0]);
    expect(metrics.f1([0, 2], [0, 2])).toBe(1); // class 1 appears nowhere: not averaged (as sklearn)
    expect(metrics.f1([0, 2], [0, 2], { numClasses: 3 })).toBeCloseTo(2 / 3, 12);
  });

  it('checks its inputs', () => {
    expect(() => metrics.accuracy([0, 1], [0])).toThrow(ShapeError);
    expect(() => metrics.accuracy([], [])).toThrow(ValueError);
    expect(() => metrics.accuracy([0, 1.5], [0, 1])).toThrow(/non-negative integer/);
    expect(() => metrics.confusionMatrix([0, 3], [0, 1], { numClasses: 3 })).toThrow(/out of range/);
    expect(() => metrics.f1([0], [0], { average: 'samples' as never })).toThrow(/average/);
  });
});
