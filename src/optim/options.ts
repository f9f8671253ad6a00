// Option handling shared by the optimizers: defaults merged with the user's options, unknown names
// rejected (a typo such as `weight_decay` must not be silently ignored).
import { DTypeError, ValueError, describe } from '../errors';

export function mergeOptions<T extends object>(where: string, defaults: T, options: unknown): T {
  if (options === undefined) return { ...defaults };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new DTypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!(k in defaults) && k !== 'checkFinite') {
      throw new ValueError(`${where}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')}, checkFinite)`);
    }
  }
  return { ...defaults, ...(options as Partial<T>) };
}
