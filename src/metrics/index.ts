// See the issue that builds this module; filled in by its owner.
export {};
