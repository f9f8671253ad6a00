/**
 * Fused optimizer updates over flat buffers (issue 4: the optimizer suite).
 *
 * Every update is one pass over memory: it reads the parameter, its gradient and the optimizer's
 * state buffers once and writes the parameter and the state once. Each buffer argument is either one
 * Float32Array (an optimizer's flat buffer: the whole parameter group) or a list of Float32Arrays
 * (multi-tensor apply: one entry per parameter, all lists the same length, entry i of every list the
 * same length). The native addon and the pure-JS backend (src/backend/js/optim.ts) take exactly the
 * same arguments.
 *
 * Every step takes an optional last argument `segments`: an Int32Array of [offset, length] pairs.
 * Given, the buffers must be single Float32Arrays and only those ranges are updated: multi-tensor
 * apply over an optimizer's flat storage (some parameters skipped) at the cost of one call whatever
 * the number of tensors. (A list costs about 0.15 us per array in N-API calls; segments cost nothing
 * per tensor.)
 *
 * Per-step scalars (bias corrections, step sizes) are computed by the caller in double precision,
 * following PyTorch's formulas (src/optim/*.ts), and passed in; kernels only do per-element work.
 * `maximize` negates the gradient; `weightDecay` is coupled L2 (grad += weightDecay * param).
 */
export type OptimBuffer = Float32Array | Float32Array[];

export interface OptimOps {
  /**
   * SGD with momentum. With `momentumBuf` null there is no momentum. On `firstStep` the momentum
   * buffer is set to the gradient (PyTorch's clone), later buf = momentum*buf + (1-dampening)*g.
   * `l1` > 0 applies the proximal soft-threshold p = sign(p)*max(|p| - lr*l1, 0) after the step.
   */
  sgdStep(
    p: OptimBuffer, g: OptimBuffer, momentumBuf: OptimBuffer | null,
    lr: number, momentum: number, dampening: number, weightDecay: number,
    nesterov: boolean, maximize: boolean, firstStep: boolean, l1: number, segments?: Int32Array | null,
  ): void;
  /** Adagrad: sum += g^2; p -= clr * g / (sqrt(sum) + eps). */
  adagradStep(p: OptimBuffer, g: OptimBuffer, sum: OptimBuffer, clr: number, eps: number, weightDecay: number, maximize: boolean, segments?: Int32Array | null): void;
  /**
   * RMSprop: sq = alpha*sq + (1-alpha)*g^2; centered (gradAvg given): avg = sqrt(sq - ga^2) + eps;
   * with momentumBuf: buf = momentum*buf + g/avg, p -= lr*buf; else p -= lr*g/avg.
   */
  rmspropStep(
    p: OptimBuffer, g: OptimBuffer, squareAvg: OptimBuffer, gradAvg: OptimBuffer | null, momentumBuf: OptimBuffer | null,
    lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /** Adadelta: sq = rho*sq + (1-rho)*g^2; d = sqrt(acc+eps)/sqrt(sq+eps)*g; acc = rho*acc + (1-rho)*d^2; p -= lr*d. */
  adadeltaStep(
    p: OptimBuffer, g: OptimBuffer, squareAvg: OptimBuffer, accDelta: OptimBuffer,
    lr: number, rho: number, eps: number, weightDecay: number, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /**
   * Adam / AdamW: p *= decayFactor (AdamW: 1 - lr*weightDecay, Adam: 1); g += weightDecay*p (Adam's
   * coupled L2; 0 for AdamW); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; with maxExpAvgSq (amsgrad)
   * vmax = max(vmax, v) is used for v; p -= stepSize * m / (sqrt(v)/bc2Sqrt + eps).
   */
  adamStep(
    p: OptimBuffer, g: OptimBuffer, expAvg: OptimBuffer, expAvgSq: OptimBuffer, maxExpAvgSq: OptimBuffer | null,
    beta1: number, beta2: number, eps: number, weightDecay: number, decayFactor: number,
    stepSize: number, bc2Sqrt: number, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /** Adamax: m = b1*m + (1-b1)*g; u = max(b2*u, |g|+eps); p -= clr*m/u. */
  adamaxStep(
    p: OptimBuffer, g: OptimBuffer, expAvg: OptimBuffer, expInf: OptimBuffer,
    beta1: number, beta2: number, eps: number, weightDecay: number, clr: number, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /** NAdam: m, v as Adam; denom = sqrt(v/bc2) + eps; p += cGrad*g/denom; p += cAvg*m/denom. */
  nadamStep(
    p: OptimBuffer, g: OptimBuffer, expAvg: OptimBuffer, expAvgSq: OptimBuffer,
    beta1: number, beta2: number, eps: number, weightDecay: number, bc2: number, cGrad: number, cAvg: number, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /**
   * RAdam: m, v as Adam; when `adaptive` (rho_t > 5): p -= (m/bc1) * lr * (bc2Sqrt/(sqrt(v)+eps)) * rect,
   * else p -= (m/bc1) * lr.
   */
  radamStep(
    p: OptimBuffer, g: OptimBuffer, expAvg: OptimBuffer, expAvgSq: OptimBuffer,
    beta1: number, beta2: number, eps: number, weightDecay: number,
    lr: number, bc1: number, bc2Sqrt: number, rect: number, adaptive: boolean, maximize: boolean, segments?: Int32Array | null,
  ): void;
  /** Lion: p *= 1 - lr*weightDecay; p -= lr*sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g. */
  lionStep(
    p: OptimBuffer, g: OptimBuffer, expAvg: OptimBuffer,
    lr: number, beta1: number, beta2: number, weightDecay: number, maximize: boolean, segments?: Int32Array | null,
  ): void;

  /** The p-norm of all the buffers together (float64 accumulation); normType Infinity = max |x|. */
  gradNorm(x: OptimBuffer, normType: number): number;
  /** x *= scale, in place. */
  scaleInPlace(x: OptimBuffer, scale: number): void;
  /** x = min(max(x, lo), hi), in place (NaN stays NaN). */
  clampInPlace(x: OptimBuffer, lo: number, hi: number): void;
  /** True when every element is finite. */
  allFinite(x: OptimBuffer): boolean;
  /**
   * The memory roofline for the benchmark: rw[k] += s * r for every k, elementwise (reads all the
   * arrays once, writes rw once, negligible arithmetic). rw holds 1 to 4 arrays.
   */
  roofline(rw: Float32Array[], r: Float32Array, s: number): void;
}
