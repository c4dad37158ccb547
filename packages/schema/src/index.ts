export * from './errors.js';
export * from './flow.js';
