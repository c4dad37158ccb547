export * from './errors.js';
export * from './errors-doc.js';
export * from './flow.js';
export * from './shapes/index.js';
export * from './validate/index.js';
