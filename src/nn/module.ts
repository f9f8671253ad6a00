// Module: the base of every layer and model, after torch.nn.Module. A module owns named parameters
// (leaf tensors with requiresGrad), named buffers (state that is saved but not trained, such as
// BatchNorm's running statistics) and named child modules, all discovered in registration order.
import { Tensor } from '../tensor/tensor';
import { DTypeError, ShapeError, ValueError, describe } from '../errors';

export abstract class Module {
  /** Train mode (dropout active, batch statistics) or eval mode. */
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  // Buffers a state dict may lack (added after files were saved without them): loading keeps their value.
  private readonly _optionalBuffers = new Set<string>();
  private readonly _modules = new Map<string, Module>();

  /** The computation. Subclasses define it; call the module through forward(). */
  abstract forward(x: Tensor): Tensor;

  /**
   * The constructor arguments that rebuild this module, for saving the architecture as JSON
   * (see nn.fromConfig). Layers without arguments return {}.
   */
  abstract config(): Record<string, unknown>;

  /** The registered type name used in saved architectures (the class name by default). */
  get typeName(): string {
    return this.constructor.name;
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    if (!(t instanceof Tensor)) throw new DTypeError(`registerParameter: '${name}' must be a Tensor, got ${describe(t)}`);
    t.requiresGrad = true;
    this._parameters.set(name, t);
    return t;
  }

  /**
   * A buffer: state that is saved and loaded but not trained. `optional`: a state dict without it
   * still loads (the buffer keeps its value), for buffers added after files were saved without them.
   */
  protected registerBuffer(name: string, t: Tensor, opts: { optional?: boolean } = {}): Tensor {
    this._buffers.set(name, t);
    if (opts.optional) this._optionalBuffers.add(name);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    if (!(m instanceof Module)) throw new DTypeError(`registerModule: '${name}' must be a Module, got ${describe(m)}`);
    this._modules.set(name, m);
    return m;
  }

  /** This module's own parameter (not a child's), or undefined: cheap enough for every forward. */
  protected getParameter(name: string): Tensor | undefined {
    return this._parameters.get(name);
  }

  /** This module's own buffer, or undefined. */
  protected getBuffer(name: string): Tensor | undefined {
    return this._buffers.get(name);
  }

  /** Replaces a parameter's tensor (e.g. with a view into an optimizer's flat buffer). */
  setParameter(name: string, t: Tensor): void {
    const old = this._parameters.get(name);
    if (!old) throw new ValueError(`setParameter: no parameter named '${name}' in ${this.typeName}`);
    if (t.size !== old.size) throw new ShapeError(`setParameter: '${name}' has shape [${old.shape}], got [${t.shape}]`);
    this._parameters.set(name, t);
  }

  children(): Module[] {
    return [...this._modules.values()];
  }

  namedChildren(): [string, Module][] {
    return [...this._modules.entries()];
  }

  /** Every module in the tree, this one first, with dotted names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, m] of this.namedModules(prefix)) {
      for (const [pn, p] of m._parameters) out.push([name ? `${name}.${pn}` : pn, p]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, m] of this.namedModules(prefix)) {
      for (const [bn, b] of m._buffers) out.push([name ? `${name}.${bn}` : bn, b]);
    }
    return out;
  }

  /** The module that owns a dotted parameter or buffer name, and the local name. */
  resolve(dotted: string): [Module, string] {
    const parts = dotted.split('.');
    let m: Module = this;
    for (const p of parts.slice(0, -1)) {
      const child = m._modules.get(p);
      if (!child) throw new ValueError(`no submodule '${p}' on the path '${dotted}'`);
      m = child;
    }
    return [m, parts[parts.length - 1]];
  }

  /** Sets train (true) or eval (false) mode on the whole tree. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (zeroes it in place when it lives in a flat buffer). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) p.grad.data.fill(0);
    }
  }

  /** Parameters and buffers by dotted name (PyTorch's state_dict keys). Tensors are shared, not copied. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, p] of this.namedParameters()) out[n] = p;
    for (const [n, b] of this.namedBuffers()) out[n] = b;
    return out;
  }

  /**
   * Copies values in from a state dict; every key must match in name and shape (strict, as PyTorch's
   * default), except that optional buffers may be missing.
   */
  loadStateDict(sd: Record<string, Tensor>): void {
    const own = this.stateDict();
    const optional = (k: string) => {
      const [m, local] = this.resolve(k);
      return m._optionalBuffers.has(local);
    };
    const missing = Object.keys(own).filter((k) => !(k in sd) && !optional(k));
    const unexpected = Object.keys(sd).filter((k) => !(k in own));
    if (missing.length || unexpected.length) {
      throw new ValueError(
        `loadStateDict: keys do not match (missing: [${missing.join(', ')}], unexpected: [${unexpected.join(', ')}])`,
      );
    }
    for (const [k, t] of Object.entries(own)) {
      const src = sd[k];
      if (src === undefined) continue;  // an optional buffer the file does not have
      if (src.size !== t.size || src.shape.join(',') !== t.shape.join(',')) {
        throw new ShapeError(`loadStateDict: '${k}' has shape [${t.shape}], the state dict has [${src.shape}]`);
      }
      t.data.set(src.data);
    }
  }
}
