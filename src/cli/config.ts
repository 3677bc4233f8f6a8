// The config loader lives in runtime/ (the composition root), where the server can reach it too;
// the CLI's own modules and tests keep importing it from here.
export * from '../runtime/config.js';
