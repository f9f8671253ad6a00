import { describe, expect, it } from 'vitest';
import { tune, ValueError, DTypeError, Generator } from '../src';

describe('tune search spaces', () => {
  it('samples every domain within its bounds, reproducibly from a seed', () => {
    const space = {
      lr: tune.logUniform(1e-4, 1e-1),
      dropout: tune.uniform(0, 0.5),
      units: tune.intRange(16, 256, { log: true }),
      layers: tune.intRange(1, 9, { step: 2 }),
      act: tune.choice(['relu', 'tanh']),
    };
    const sp = new tune.SearchSpace(space);
    const a = Array.from({ length: 200 }, ((g) => () => sp.sample(g))(new Generator(7)));
    const b = Array.from({ length: 200 }, ((g) => () => sp.sample(g))(new Generator(7)));
    expect(a).toEqual(b);
    for (const c of a) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-1);
      expect(c.dropout).toBeGreaterThanOrEqual(0);
      expect(c.dropout).toBeLessThanOrEqual(0.5);
      expect(Number.isInteger(c.units)).toBe(true);
      expect(c.units).toBeGreaterThanOrEqual(16);
      expect(c.units).toBeLessThanOrEqual(256);
      expect([1, 3, 5, 7, 9]).toContain(c.layers);
      expect(['relu', 'tanh']).toContain(c.act);
      expect(sp.contains(c)).toBe(true);
    }
    // Log scale: about half the learning rates fall below the geometric midpoint 10^-2.5.
    const below = a.filter((c) => (c.lr as number) < 10 ** -2.5).length;
    expect(below).toBeGreaterThan(70);
    expect(below).toBeLessThan(130);
    // Every value of a stepped range is reachable, the ends included.
    expect(new Set(a.map((c) => c.layers)).size).toBe(5);
  });

  it('activates conditional parameters only with their branch, and flattens them into the config', () => {
    const sp = new tune.SearchSpace({
      lr: tune.logUniform(1e-3, 1),
      optimizer: tune.conditional({ sgd: { momentum: tune.uniform(0, 0.99), nesterov: tune.choice([true, false]) }, adam: {} }),
    });
    const g = new Generator(1);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const c = sp.sample(g);
      seen.add(c.optimizer as string);
      if (c.optimizer === 'sgd') expect(Object.keys(c).sort()).toEqual(['lr', 'momentum', 'nesterov', 'optimizer']);
      else expect(Object.keys(c).sort()).toEqual(['lr', 'optimizer']);
    }
    expect(seen).toEqual(new Set(['sgd', 'adam']));
    // Encoding: 1 (lr) + 2 (branch one-hot) + 1 (momentum) + 2 (nesterov one-hot) columns.
    expect(sp.width).toBe(6);
    const grid = sp.grid(3);
    // sgd: 3 lr x 3 momentum x 2 nesterov; adam: 3 lr.
    expect(grid.length).toBe(18 + 3);
    expect(grid.filter((c) => c.optimizer === 'adam').every((c) => !('momentum' in c))).toBe(true);
  });

  it('grids continuous ranges at the resolution, small integer ranges in full', () => {
    const sp = new tune.SearchSpace({ a: tune.uniform(0, 1), b: tune.intRange(1, 3), c: tune.logUniform(1e-3, 1e-1) });
    const g = sp.grid(3);
    expect(g.length).toBe(27);
    expect(new Set(g.map((c) => c.a))).toEqual(new Set([0, 0.5, 1]));
    expect(new Set(g.map((c) => c.b))).toEqual(new Set([1, 2, 3]));
    const cs = [...new Set(g.map((c) => c.c as number))].sort((x, y) => x - y);
    expect(cs[1]).toBeCloseTo(1e-2, 10);
  });

  it('rejects bad spaces with typed errors that name the parameter', () => {
    const bad = (space: unknown) => () => new tune.SearchSpace(space as tune.Space);
    expect(bad({})).toThrow(ValueError);
    expect(bad({})).toThrow(/empty/);
    expect(bad({ lr: tune.uniform(1, 1) })).toThrow(/'lr'.*low < high/);
    expect(bad({ lr: tune.uniform(2, 1) })).toThrow(ValueError);
    expect(bad({ lr: tune.logUniform(0, 1) })).toThrow(/'lr'.*low > 0/);
    expect(bad({ lr: tune.logUniform(-1, 1) })).toThrow(ValueError);
    expect(bad({ act: tune.choice([]) })).toThrow(/'act'.*at least one/);
    expect(bad({ n: tune.intRange(1.5, 4) })).toThrow(DTypeError);
    expect(bad({ n: tune.intRange(1, 4, { step: 0 }) })).toThrow(/'n'.*step/);
    expect(bad({ x: tune.uniform(0, NaN) })).toThrow(DTypeError);
    expect(bad({ x: 3 })).toThrow(/'x' must be a domain/);
    expect(bad({ o: tune.conditional({}) })).toThrow(/'o'.*at least one branch/);
    expect(bad({ o: tune.conditional({ sgd: { m: tune.uniform(1, 0) } }) })).toThrow(/'m'/);
  });
});
