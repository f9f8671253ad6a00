// Pure-JS convolution, pooling and BatchNorm2d: direct loops in float64, written for clarity. The
// oracle the native kernels are tested against (see src/backend/conv.ts for the contracts).
import type { ConvOps } from '../conv';

function outSize(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

/** The fused stem's limits (as the addon's): one group, at most 32 taps. */
function checkStemArgs(c: number, kh: number, kw: number, groups: number): void {
  if (groups !== 1) throw new RangeError(`conv2dBatchNorm2dReluMaxPool2d: groups must be 1, got ${groups}`);
  if (c * kh * kw > 32) throw new RangeError(`conv2dBatchNorm2dReluMaxPool2d: inChannels * kernelH * kernelW must be at most 32, got ${c * kh * kw}`);
}

/** The input patches' mean (k taps) and covariance (k x k) over every output pixel, into `moments`. */
function patchMoments(
  x: Float32Array, moments: Float64Array, n: number, c: number, h: number, w: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number,
): void {
  const k = c * kh * kw, patch = new Float64Array(k), sum = new Float64Array(k), gram = new Float64Array(k * k);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ci = 0; ci < c; ci++) {
          for (let ki = 0; ki < kh; ki++) {
            for (let kj = 0; kj < kw; kj++) {
              const iy = oy * sh - ph + ki * dh, ix = ox * sw - pw + kj * dw;
              patch[(ci * kh + ki) * kw + kj] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((b * c + ci) * h + iy) * w + ix] : 0;
            }
          }
        }
        for (let i = 0; i < k; i++) {
          sum[i] += patch[i];
          for (let j = 0; j < k; j++) gram[i * k + j] += patch[i] * patch[j];
        }
      }
    }
  }
  const m = n * oh * ow;
  for (let i = 0; i < k; i++) moments[i] = sum[i] / m;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) moments[k + i * k + j] = gram[i * k + j] / m - moments[i] * moments[j];
  }
}

export const jsConv: ConvOps = {
  conv2dForward(x, weight, bias, out, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, relu) {
    const oh = outSize(h, kh, sh, ph, dh), ow = outSize(w, kw, sw, pw, dw);
    const cg = c / groups, ocg = oc / groups;
    for (let b = 0; b < n; b++) {
      for (let o = 0; o < oc; o++) {
        const g = Math.floor(o / ocg);
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let acc = bias ? bias[o] : 0;
            for (let ci = 0; ci < cg; ci++) {
              const inPlane = (b * c + g * cg + ci) * h * w;
              for (let ki = 0; ki < kh; ki++) {
                const iy = oy * sh - ph + ki * dh;
                if (iy < 0 || iy >= h) continue;
                for (let kj = 0; kj < kw; kj++) {
                  const ix = ox * sw - pw + kj * dw;
                  if (ix < 0 || ix >= w) continue;
                  acc += x[inPlane + iy * w + ix] * weight[((o * cg + ci) * kh + ki) * kw + kj];
                }
              }
            }
            out[((b * oc + o) * oh + oy) * ow + ox] = relu && !(acc > 0) ? 0 : acc;
          }
        }
      }
    }
  },

  conv2dBackward(x, dy, weight, dx, dW, dB, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups) {
    const oh = outSize(h, kh, sh, ph, dh), ow = outSize(w, kw, sw, pw, dw);
    const cg = c / groups, ocg = oc / groups;
    const accX = dx ? new Float64Array(n * c * h * w) : null;
    const accW = dW ? new Float64Array(oc * cg * kh * kw) : null;
    const accB = new Float64Array(oc);
    for (let b = 0; b < n; b++) {
      for (let o = 0; o < oc; o++) {
        const g = Math.floor(o / ocg);
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            const gv = dy[((b * oc + o) * oh + oy) * ow + ox];
            accB[o] += gv;
            for (let ci = 0; ci < cg; ci++) {
              const inPlane = (b * c + g * cg + ci) * h * w;
              for (let ki = 0; ki < kh; ki++) {
                const iy = oy * sh - ph + ki * dh;
                if (iy < 0 || iy >= h) continue;
                for (let kj = 0; kj < kw; kj++) {
                  const ix = ox * sw - pw + kj * dw;
                  if (ix < 0 || ix >= w) continue;
                  const wi = ((o * cg + ci) * kh + ki) * kw + kj, xi = inPlane + iy * w + ix;
                  if (accX) accX[xi] += gv * weight[wi];
                  if (accW) accW[wi] += gv * x[xi];
                }
              }
            }
          }
        }
      }
    }
    if (dx && accX) for (let i = 0; i < accX.length; i++) dx[i] = accX[i];
    if (dW && accW) for (let i = 0; i < accW.length; i++) dW[i] = accW[i];
    if (dB) for (let o = 0; o < oc; o++) dB[o] = accB[o];
  },

  maxPool2dForward(x, out, indices, n, c, h, w, kh, kw, sh, sw, ph, pw) {
    const oh = outSize(h, kh, sh, ph, 1), ow = outSize(w, kw, sw, pw, 1);
    for (let p = 0; p < n * c; p++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let best = -Infinity, bi = -1;
          for (let ki = 0; ki < kh; ki++) {
            const iy = oy * sh - ph + ki;
            if (iy < 0 || iy >= h) continue;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ox * sw - pw + kj;
              if (ix < 0 || ix >= w) continue;
              const v = x[p * h * w + iy * w + ix];
              // The first maximum wins; NaN wins (and propagates) as in PyTorch.
              if (bi < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                best = v;
                bi = iy * w + ix;
              }
            }
          }
          out[(p * oh + oy) * ow + ox] = best;
          indices[(p * oh + oy) * ow + ox] = bi;
        }
      }
    }
  },

  maxPool2dBackward(dy, indices, dx, n, c, h, w, kh, kw, sh, sw, ph, pw) {
    const oh = outSize(h, kh, sh, ph, 1), ow = outSize(w, kw, sw, pw, 1);
    dx.fill(0, 0, n * c * h * w);
    for (let p = 0; p < n * c; p++) {
      for (let q = 0; q < oh * ow; q++) {
        const i = indices[p * oh * ow + q];
        if (i >= 0 && i < h * w) dx[p * h * w + i] += dy[p * oh * ow + q];
      }
    }
  },

  avgPool2dForward(x, out, n, c, h, w, kh, kw, sh, sw, ph, pw, countIncludePad) {
    const oh = outSize(h, kh, sh, ph, 1), ow = outSize(w, kw, sw, pw, 1);
    for (let p = 0; p < n * c; p++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let sum = 0, count = 0, padded = 0;
          for (let ki = 0; ki < kh; ki++) {
            const iy = oy * sh - ph + ki;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ox * sw - pw + kj;
              if (iy < h + ph && ix < w + pw) padded++;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              sum += x[p * h * w + iy * w + ix];
              count++;
            }
          }
          out[(p * oh + oy) * ow + ox] = sum / (countIncludePad ? padded : Math.max(count, 1));
        }
      }
    }
  },

  avgPool2dBackward(dy, dx, n, c, h, w, kh, kw, sh, sw, ph, pw, countIncludePad) {
    const oh = outSize(h, kh, sh, ph, 1), ow = outSize(w, kw, sw, pw, 1);
    dx.fill(0, 0, n * c * h * w);
    for (let p = 0; p < n * c; p++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let count = 0, padded = 0;
          for (let ki = 0; ki < kh; ki++) {
            const iy = oy * sh - ph + ki;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ox * sw - pw + kj;
              if (iy < h + ph && ix < w + pw) padded++;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) count++;
            }
          }
          const g = dy[(p * oh + oy) * ow + ox] / (countIncludePad ? padded : Math.max(count, 1));
          for (let ki = 0; ki < kh; ki++) {
            const iy = oy * sh - ph + ki;
            if (iy < 0 || iy >= h) continue;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ox * sw - pw + kj;
              if (ix >= 0 && ix < w) dx[p * h * w + iy * w + ix] += g;
            }
          }
        }
      }
    }
  },

  globalAvgPool2dForward(x, out, planes, planeSize) {
    for (let p = 0; p < planes; p++) {
      let sum = 0;
      for (let i = 0; i < planeSize; i++) sum += x[p * planeSize + i];
      out[p] = sum / planeSize;
    }
  },

  globalAvgPool2dBackward(dy, dx, planes, planeSize) {
    for (let p = 0; p < planes; p++) dx.fill(dy[p] / planeSize, p * planeSize, (p + 1) * planeSize);
  },

  batchNorm2dForwardTrain(x, weight, bias, out, saveMean, saveInvstd, runningMean, runningVar, n, c, hw, eps, momentum, relu) {
    const m = n * hw;
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) sum += x[(b * c + ch) * hw + i];
      const mean = sum / m;
      let sq = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < hw; i++) {
          const d = x[(b * c + ch) * hw + i] - mean;
          sq += d * d;
        }
      }
      const variance = sq / m;
      const invstd = 1 / Math.sqrt(variance + eps);
      saveMean[ch] = mean;
      saveInvstd[ch] = invstd;
      if (runningMean) runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean;
      if (runningVar) runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * (m > 1 ? (variance * m) / (m - 1) : variance);
      const gamma = weight ? weight[ch] : 1, beta = bias ? bias[ch] : 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < hw; i++) {
          const j = (b * c + ch) * hw + i;
          const v = (x[j] - mean) * invstd * gamma + beta;
          out[j] = relu && !(v > 0) ? 0 : v;
        }
      }
    }
  },

  batchNorm2dForwardEval(x, weight, bias, runningMean, runningVar, out, n, c, hw, eps, relu) {
    for (let ch = 0; ch < c; ch++) {
      const invstd = 1 / Math.sqrt(runningVar[ch] + eps);
      const gamma = weight ? weight[ch] : 1, beta = bias ? bias[ch] : 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < hw; i++) {
          const j = (b * c + ch) * hw + i;
          const v = (x[j] - runningMean[ch]) * invstd * gamma + beta;
          out[j] = relu && !(v > 0) ? 0 : v;
        }
      }
    }
  },

  batchNorm2dBackward(x, dy, relu, weight, bias, saveMean, saveInvstd, dx, dWeight, dBias, n, c, hw) {
    const m = n * hw;
    for (let ch = 0; ch < c; ch++) {
      const mean = saveMean[ch], invstd = saveInvstd[ch];
      const gamma = weight ? weight[ch] : 1, beta = bias ? bias[ch] : 0;
      const g = (j: number) => (relu && !((x[j] - mean) * invstd * gamma + beta > 0) ? 0 : dy[j]);
      let sumDy = 0, sumDyXhat = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < hw; i++) {
          const j = (b * c + ch) * hw + i;
          sumDy += g(j);
          sumDyXhat += g(j) * (x[j] - mean) * invstd;
        }
      }
      if (dWeight) dWeight[ch] = sumDyXhat;
      if (dBias) dBias[ch] = sumDy;
      const scale = (weight ? weight[ch] : 1) * invstd;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < hw; i++) {
          const j = (b * c + ch) * hw + i;
          const xhat = (x[j] - mean) * invstd;
          dx[j] = scale * (g(j) - sumDy / m - (xhat * sumDyXhat) / m);
        }
      }
    }
  },

  // The fused op as the composition it replaces (BatchNorm2d with ReLU, then max pooling).
  batchNorm2dReluMaxPool2dForwardTrain(x, weight, bias, out, indices, saveMean, saveInvstd, runningMean, runningVar, n, c, h, w, kh, kw, sh, sw, ph, pw, eps, momentum) {
    const normalised = new Float32Array(n * c * h * w);
    jsConv.batchNorm2dForwardTrain(x, weight, bias, normalised, saveMean, saveInvstd, runningMean, runningVar, n, c, h * w, eps, momentum, true);
    jsConv.maxPool2dForward(normalised, out, indices, n, c, h, w, kh, kw, sh, sw, ph, pw);
  },

  // (The composition reads x where natively the sums come from out: the same values up to rounding.)
  batchNorm2dReluMaxPool2dBackward(x, _out, dy, indices, weight, bias, saveMean, saveInvstd, dx, dWeight, dBias, n, c, h, w, kh, kw, sh, sw, ph, pw) {
    const scattered = new Float32Array(n * c * h * w);
    jsConv.maxPool2dBackward(dy, indices, scattered, n, c, h, w, kh, kw, sh, sw, ph, pw);
    jsConv.batchNorm2dBackward(x, scattered, true, weight, bias, saveMean, saveInvstd, dx, dWeight, dBias, n, c, h * w);
  },

  // The fused stem as the composition it replaces: the convolution's output computed in full, then
  // BatchNorm2d + ReLU + MaxPool2d; the backward recomputes it. The ReLU's mask is the pooled
  // output's sign, as natively.
  conv2dBatchNorm2dReluMaxPool2dForwardTrain(x, cw, cb, bw, bb, out, indices, saveMean, saveInvstd, moments, runningMean, runningVar, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, pkh, pkw, psh, psw, pph, ppw, eps, momentum) {
    checkStemArgs(c, kh, kw, groups);
    const [oh, ow] = [outSize(h, kh, sh, ph, dh), outSize(w, kw, sw, pw, dw)];
    patchMoments(x, moments, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
    const conv = new Float32Array(n * oc * oh * ow);
    jsConv.conv2dForward(x, cw, cb, conv, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, false);
    jsConv.batchNorm2dReluMaxPool2dForwardTrain(conv, bw, bb, out, indices, saveMean, saveInvstd, runningMean, runningVar, n, oc, oh, ow, pkh, pkw, psh, psw, pph, ppw, eps, momentum);
  },

  conv2dBatchNorm2dReluMaxPool2dBackward(x, cw, cb, bw, bb, out, dy, indices, saveMean, saveInvstd, _moments, dcw, dcb, dbw, dbb, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, pkh, pkw, psh, psw, pph, ppw) {
    checkStemArgs(c, kh, kw, groups);
    const [oh, ow] = [outSize(h, kh, sh, ph, dh), outSize(w, kw, sw, pw, dw)];
    const conv = new Float32Array(n * oc * oh * ow);
    jsConv.conv2dForward(x, cw, cb, conv, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, false);
    const masked = dy.map((g, i) => (out[i] > 0 ? g : 0));
    const scattered = new Float32Array(conv.length);
    jsConv.maxPool2dBackward(masked, indices, scattered, n, oc, oh, ow, pkh, pkw, psh, psw, pph, ppw);
    const dconv = new Float32Array(conv.length);
    jsConv.batchNorm2dBackward(conv, scattered, false, bw, bb, saveMean, saveInvstd, dconv, dbw, dbb, n, oc, oh * ow);
    if (dcw || dcb) jsConv.conv2dBackward(x, dconv, cw, null, dcw, dcb, n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  },
};
