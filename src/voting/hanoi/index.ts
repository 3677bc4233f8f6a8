/**
 * Towers of Hanoi built the MAKER way (research/seeds.md §2.1): the state and the strategy, the
 * paper's red-flag parser, a streaming trajectory checker, a simulated agent and a pure driver.
 */
export {
  applyMove,
  correctAnswer,
  diskOneStep,
  formatMove,
  formatPegs,
  hanoiPromptInput,
  hanoiSteps,
  initialPegs,
  isSolved,
  MAX_DISKS,
  moved,
  strategyMove,
  type HanoiAnswer,
  type Move,
  type Pegs,
} from './state.js';
export { asHanoiAnswer, hanoiParser, parseHanoiAnswer } from './parser.js';
export {
  checkHanoiTrajectory,
  HanoiChecker,
  samePegs,
  type HanoiCheck,
  type HanoiError,
  type HanoiErrorKind,
} from './checker.js';
export {
  DEFAULT_MISTAKE_MIX,
  simulateHanoiModel,
  type HanoiModelInput,
  type HanoiModelOutput,
  type HanoiSampleKind,
  type MistakeMix,
} from './model.js';
export { solveHanoi, type SolveHanoiOptions, type SolveHanoiResult } from './solve.js';
export { HanoiSimulatedModel, readHanoiPrompt, type HanoiModelOptions } from './provider.js';
export { checkHanoiRun, hanoiVoteParser, votedAnswers } from './trajectory.js';
