/** Documented in docs/cli.md; scripts depend on these, so they never change meaning. */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  paused: 3,
  store: 4,
  verifyFailed: 5,
  internal: 70,
} as const;

/** Error codes whose fault lies with the store rather than the caller's input. */
export function exitCodeFor(code: string): number {
  if (code === 'STORE_URL_INVALID') return EXIT.usage; // a typo in an argument, not a store fault
  if (code.startsWith('STORE_') || code.startsWith('JOURNAL_')) return EXIT.store;
  if (code === 'REPLAY_DIVERGED') return EXIT.verifyFailed;
  return EXIT.usage;
}
