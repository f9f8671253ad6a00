// Reverse-mode automatic differentiation over a tape of GradNodes (the micrograd idea, over arrays).
//
// An op that takes tensors needing gradients records a GradNode on its output: the inputs and a
// closure that maps the output's gradient to the inputs' gradients. backward() walks the graph from
// the root in reverse topological order. Gradients flow as Float32Arrays; a leaf's gradient is
// accumulated into leaf.grad in place (so an optimizer's flat gradient buffer stays the one it owns).
import type { Tensor } from '../tensor/tensor';
import { ShapeError, ValueError } from '../errors';

export interface GradNode {
  /** The op's name, for error messages and debugging. */
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /**
   * Maps the output's gradient to one gradient per input (null where the input needs none). May
   * return `grad` itself for an input (e.g. reshape); must not modify `grad`.
   */
  backward(grad: Float32Array): (Float32Array | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording operations for autograd (like torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether an op over `inputs` should record a node. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/**
 * Attaches a node to `out` when any input needs a gradient (and recording is on); returns `out`.
 * Every differentiable op ends with this.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Float32Array) => (Float32Array | null)[],
): Tensor {
  if (needsGrad(inputs)) {
    out.requiresGrad = true;
    out.node = { name, inputs, backward };
  }
  return out;
}

/** Reverse pass from `root`, seeded with `grad` (ones for a scalar root when omitted). */
export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new ValueError('backward: this tensor does not require grad (no input had requiresGrad, or it was made under noGrad)');
  }
  let seed: Float32Array;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(`backward: a gradient is needed for a non-scalar output of shape [${root.shape}]; give one of that shape`);
    }
    seed = new Float32Array([1]);
  } else {
    if (grad.size !== root.size) {
      throw new ShapeError(`backward: gradient of shape [${grad.shape}] does not match output shape [${root.shape}]`);
    }
    seed = grad.data;
  }

  // Iterative DFS for topological order (deep graphs must not overflow the stack).
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }

  const grads = new Map<Tensor, Float32Array>();
  grads.set(root, seed);
  for (let idx = order.length - 1; idx >= 0; idx--) {
    const t = order[idx];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.node) {
      accumulateLeaf(t, g);
      continue;
    }
    const inputGrads = t.node.backward(g);
    const inputs = t.node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const gx = inputGrads[i];
      if (!gx || !x.requiresGrad) continue;
      if (gx.length !== x.size) {
        throw new ShapeError(`backward of ${t.node.name}: gradient for input ${i} has ${gx.length} elements, input has ${x.size}`);
      }
      const prev = grads.get(x);
      if (prev === undefined) {
        grads.set(x, gx);
      } else {
        // Fan-out: a new array, since either may alias another tensor's gradient.
        const sum = new Float32Array(prev.length);
        for (let j = 0; j < sum.length; j++) sum[j] = prev[j] + gx[j];
        grads.set(x, sum);
      }
    }
  }
}

function accumulateLeaf(leaf: Tensor, g: Float32Array): void {
  if (leaf.grad) {
    const d = leaf.grad.data;
    for (let j = 0; j < d.length; j++) d[j] += g[j];
  } else {
    leaf.grad = leaf.detachedLike(new Float32Array(g));
  }
}
