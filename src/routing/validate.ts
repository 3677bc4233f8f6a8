/**
 * Route validation is spec analysis, so it lives in graph/ (graph/validate.ts runs it for every
 * `route` step); the router's callers find it here too.
 */
export { validateRoute } from '../graph/route.js';
