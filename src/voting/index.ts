/**
 * Error correction by voting (issue #6; MAKER, research/seeds.md §2): a deterministic layer of pure
 * functions over plain data. The planner sizes k; a vote is a state machine fed one sample at a
 * time (red flags first, then first-to-ahead-by-k on the canonical JSON of the parsed output); the
 * engine draws the samples, journals them with the decisions, and replays by feeding them back.
 * The Towers of Hanoi example and its simulated model are in ./hanoi/.
 */
export {
  expectedCost,
  expectedSamplesPerStep,
  expectedVotesExact,
  kMin,
  pFull,
  planVote,
  stepSuccess,
  type VotePlan,
  type VotePlanInput,
} from './planner.js';
export {
  VoteCannotConvergeError,
  VoteExhaustedError,
  VoteMisuseError,
  VoteOutOfRangeError,
  VoteReplayError,
  VoteRuleError,
  type CandidateCount,
} from './errors.js';
export { estimateTokens, type TokenCounter } from './tokens.js';
export {
  parseStrictJson,
  regexParser,
  strictJsonParser,
  type OutputParser,
  type ParseResult,
} from './parsers.js';
export {
  FLAG_REASONS,
  NO_FLAGS,
  screenSample,
  type FlagCounts,
  type FlagReason,
  type RedFlags,
  type SampleCheck,
  type Screened,
  type VoteSample,
} from './red-flags.js';
export {
  compileVoteRule,
  SAMPLING_DEFAULTS,
  type ParserSpec,
  type RedFlagSpec,
  type SamplingPlan,
  type VoteFunctions,
  type VoteRule,
  type VoteSpec,
} from './rule.js';
export {
  addSample,
  exhaustedError,
  NEW_VOTE,
  replayVote,
  startVote,
  tally,
  votesNeeded,
  type Candidate,
  type VoteDecision,
  type VoteOutcome,
  type VoteRecord,
  type VoteState,
  type VoteStatus,
  type VoteStep,
} from './vote.js';
export { planBatch, sampleTemperature, type SampleRequest } from './sampling.js';
export {
  defineCascadeScorer,
  defineDomainClassifier,
  defineVoteCheck,
  defineVoteParser,
  isVoteFunction,
  VoteFunctionRegistry,
  type CascadeScorerDefinition,
  type DomainClassifierDefinition,
  type DomainClassifierFunction,
  type CascadeScorerFunction,
  type VoteCheckDefinition,
  type VoteCheckFunction,
  type VoteFunctionDefinition,
  type VoteFunctionLookup,
  type VoteParserDefinition,
  type VoteParserFunction,
} from './functions.js';
