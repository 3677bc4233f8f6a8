import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/json.js';
import {
  addSample,
  compileVoteRule,
  exhaustedError,
  planBatch,
  replayVote,
  startVote,
  votesNeeded,
  VoteExhaustedError,
  VoteMisuseError,
  VoteReplayError,
  type SampleCheck,
  type VoteDecision,
  type VoteRecord,
  type VoteRule,
  type VoteSpec,
  type VoteState,
  type VoteStep,
} from '../../src/voting/index.js';

const rule = (spec: Partial<VoteSpec> = {}, checks?: Record<string, SampleCheck>): VoteRule =>
  compileVoteRule({ k: 3, maxSamples: 10, ...spec }, checks === undefined ? {} : { checks });

/** Feeds texts in order; returns every step. */
function feed(r: VoteRule, texts: readonly string[], from: VoteState = startVote()): VoteStep[] {
  const steps: VoteStep[] = [];
  let state = from;
  for (const text of texts) {
    const step = addSample(r, state, { text });
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const last = (steps: VoteStep[]): VoteStep => steps[steps.length - 1]!;

describe('first-to-ahead-by-k', () => {
  it('one candidate alone wins at exactly k votes', () => {
    const steps = feed(rule(), ['"a"', '"a"', '"a"']);
    expect(steps.map((s) => s.outcome.kind)).toEqual(['continue', 'continue', 'decided']);
    const outcome = last(steps).outcome;
    expect(outcome).toMatchObject({
      kind: 'decided',
      winner: { key: '"a"', value: 'a', votes: 3 },
      lead: 3,
    });
    expect(last(steps).state.status).toBe('decided');
  });

  it('a winner needs votes(y) ≥ votes(z) + k for every other z, checked after each sample', () => {
    // a b a a: 3 vs 1, lead 2 < 3 → continue; a again: 4 vs 1 → decided.
    const steps = feed(rule(), ['"a"', '"b"', '"a"', '"a"', '"a"']);
    expect(steps.map((s) => s.outcome.kind)).toEqual([
      'continue',
      'continue',
      'continue',
      'continue',
      'decided',
    ]);
    expect(last(steps).outcome).toMatchObject({ kind: 'decided', lead: 3, winner: { votes: 4 } });
  });

  it('the runner-up is the strongest other candidate, not the sum of the others', () => {
    // a:4 b:1 c:1 → lead over the best other (1) is 3: decided although a < b + c + 3.
    const steps = feed(rule(), ['"a"', '"b"', '"c"', '"a"', '"a"', '"a"']);
    expect(last(steps).outcome).toMatchObject({ kind: 'decided', winner: { key: '"a"' }, lead: 3 });
  });

  it('k = 1: the first valid vote decides', () => {
    const steps = feed(rule({ k: 1 }), ['nope', '"x"']);
    expect(steps.map((s) => s.outcome.kind)).toEqual(['continue', 'decided']);
  });

  it('votes are keyed by canonical JSON of the parsed output, not by the text', () => {
    const steps = feed(rule(), [
      '{"a":1,"b":[1,2]}',
      '  { "b": [1, 2], "a": 1.0 }\n',
      '{"b":[1,2],"a":1}',
    ]);
    expect(last(steps).outcome).toMatchObject({
      kind: 'decided',
      winner: { key: '{"a":1,"b":[1,2]}', votes: 3 },
    });
  });

  it('decisions are plain JSON naming candidates by first-voted order', () => {
    const steps = feed(rule({ k: 2 }), ['"b"', '"a"', '"a"', '"a"']);
    expect(steps.flatMap((s) => s.decisions)).toEqual([
      { type: 'vote-cast', sample: 0, candidate: 0, votes: 1 },
      { type: 'vote-cast', sample: 1, candidate: 1, votes: 1 },
      { type: 'vote-cast', sample: 2, candidate: 1, votes: 2 },
      { type: 'vote-cast', sample: 3, candidate: 1, votes: 3 },
      { type: 'vote-decided', candidate: 1, votes: 3, lead: 2, samples: 4 },
    ]);
  });

  it('adding a sample after the decision is misuse', () => {
    const done = last(feed(rule({ k: 1 }), ['1'])).state;
    expect(() => addSample(rule({ k: 1 }), done, { text: '1' })).toThrow(VoteMisuseError);
  });

  it('the input state is never modified', () => {
    const r = rule();
    const state = last(feed(r, ['"a"', '"b"'])).state;
    const before = JSON.stringify(state);
    addSample(r, state, { text: '"a"' });
    addSample(r, state, { text: 'bad' });
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe('red flags are applied before voting', () => {
  it('flagged samples are discarded, counted by reason, and still count toward the cap', () => {
    const r = rule(
      { k: 2, maxSamples: 6, redFlags: { maxOutputTokens: 5, check: 'no-zero' } },
      { 'no-zero': (value) => (value === 0 ? 'zero is not an answer' : null) },
    );
    const steps = feed(r, ['"a"', '[1, 2, 3, 4, 5, 6]', '"a" trailing', '0', '"b"', '"a"']);
    const flaggedDecisions = steps
      .flatMap((s) => s.decisions)
      .filter((d) => d.type === 'vote-flagged');
    expect(flaggedDecisions.map((d) => [d.sample, d.reason])).toEqual([
      [1, 'too-long'],
      [2, 'unparseable'],
      [3, 'rejected'],
    ]);
    const state = last(steps).state;
    expect(state.flagged).toEqual({ 'too-long': 1, unparseable: 1, rejected: 1 });
    expect(state.candidates.map((c) => [c.key, c.votes])).toEqual([
      ['"a"', 2],
      ['"b"', 1],
    ]);
    expect(state.samples).toBe(6);
    // 6 samples is the cap and "a" leads by only 1: exhausted, though 2 votes for "a" alone would have won.
    expect(last(steps).outcome.kind).toBe('exhausted');
  });

  it('a flagged sample does not vote, even when its answer equals the leader', () => {
    const r = rule({ k: 2, redFlags: { maxOutputTokens: 3 } });
    let step = addSample(r, startVote(), { text: '"a"' });
    step = addSample(r, step.state, { text: '"a"', outputTokens: 100 });
    expect(step.decisions).toEqual([
      {
        type: 'vote-flagged',
        sample: 1,
        reason: 'too-long',
        message: '100 output tokens, more than the limit of 3',
      },
    ]);
    expect(step.outcome.kind).toBe('continue');
    expect(step.state.candidates).toEqual([{ key: '"a"', value: 'a', votes: 1 }]);
    step = addSample(r, step.state, { text: '"a"' });
    expect(step.outcome).toMatchObject({ kind: 'decided', winner: { votes: 2 } });
  });

  it("the provider's output-token count takes precedence over the estimate", () => {
    const r = rule({ redFlags: { maxOutputTokens: 10 } });
    expect(addSample(r, startVote(), { text: '"a"', outputTokens: 11 }).decisions[0]).toMatchObject(
      {
        type: 'vote-flagged',
        reason: 'too-long',
        message: '11 output tokens, more than the limit of 10',
      },
    );
    expect(
      addSample(r, startVote(), { text: '"a"'.repeat(1), outputTokens: 10 }).decisions[0]?.type,
    ).toBe('vote-cast');
  });

  it('a parser or check that throws flags the sample; a parser returning non-JSON is a bug and throws', () => {
    const r = compileVoteRule(
      { k: 1, maxSamples: 3, redFlags: { parser: { function: 'boom' }, check: 'boom' } },
      {
        parsers: {
          boom: (text) => {
            if (text === 'throw') throw new Error('bad input');
            if (text === 'date') return { ok: true, value: new Date(0) as never };
            return { ok: true, value: text };
          },
        },
        checks: {
          boom: () => {
            throw new Error('check broke');
          },
        },
      },
    );
    expect(addSample(r, startVote(), { text: 'throw' }).decisions[0]).toMatchObject({
      reason: 'unparseable',
      message: 'the parser threw: bad input',
    });
    expect(addSample(r, startVote(), { text: 'x' }).decisions[0]).toMatchObject({
      reason: 'rejected',
      message: 'the check threw: check broke',
    });
    expect(() => addSample(r, startVote(), { text: 'date' })).toThrow(
      /VALUE_NOT_JSON|only JSON values/,
    );
  });
});

describe('exhaustion', () => {
  it('at the sample cap without a winner; the typed error says how many votes each candidate had', () => {
    const r = rule({ k: 3, maxSamples: 7, redFlags: { maxOutputTokens: 4 } });
    const steps = feed(r, ['"b"', '"a"', '"a"', '"b"', '"c"', '"a"', '[1, 2, 3, 4, 5]']);
    const step = last(steps);
    expect(step.outcome).toEqual({
      kind: 'exhausted',
      counts: [
        { key: '"a"', votes: 3 },
        { key: '"b"', votes: 2 },
        { key: '"c"', votes: 1 },
      ],
      flagged: { 'too-long': 1, unparseable: 0, rejected: 0 },
    });
    expect(step.decisions.at(-1)).toMatchObject({ type: 'vote-exhausted', samples: 7 });
    const error = exhaustedError(r, step.state);
    expect(error).toBeInstanceOf(VoteExhaustedError);
    expect(error.code).toBe('VOTE_EXHAUSTED');
    expect(error.message).toBe(
      'no answer led every other by 3 votes after 7 samples: "a" had 3 votes, "b" had 2 votes, "c" had 1 vote; 1 flagged (too-long 1)',
    );
    expect(error.counts).toEqual([
      { key: '"a"', votes: 3 },
      { key: '"b"', votes: 2 },
      { key: '"c"', votes: 1 },
    ]);
    expect(error.hint).toMatch(/maxSamples/);
  });

  it('equal counts are listed in the order first voted for', () => {
    const steps = feed(rule({ k: 2, maxSamples: 4 }), ['"y"', '"x"', '"x"', '"y"']);
    expect(last(steps).outcome).toMatchObject({
      kind: 'exhausted',
      counts: [
        { key: '"y"', votes: 2 },
        { key: '"x"', votes: 2 },
      ],
    });
  });

  it('with every sample flagged, the message says so', () => {
    const r = rule({ k: 1, maxSamples: 2 });
    const state = last(feed(r, ['nope', 'nope'])).state;
    expect(exhaustedError(r, state).message).toBe(
      'no answer led every other by 1 vote after 2 samples: no sample passed the red flags; 2 flagged (unparseable 2)',
    );
  });

  it('long keys are shortened in the message but complete in the error data', () => {
    const long = JSON.stringify('x'.repeat(200));
    const r = rule({ k: 2, maxSamples: 2 });
    const state = last(feed(r, [long, '"short"'])).state;
    const error = exhaustedError(r, state);
    expect(error.message).toContain('…');
    expect(error.message.length).toBeLessThan(250);
    expect(error.counts[0]?.key).toBe(long);
  });
});

describe('sampling plan', () => {
  it('first batch is k samples, sample 0 at temperature 0 and the rest at the later temperature', () => {
    expect(planBatch(rule(), startVote())).toEqual([
      { index: 0, temperature: 0 },
      { index: 1, temperature: 0.1 },
      { index: 2, temperature: 0.1 },
    ]);
    expect(planBatch(rule({ temperature: { first: 0.2, later: 0.7 } }), startVote())).toEqual([
      { index: 0, temperature: 0.2 },
      { index: 1, temperature: 0.7 },
      { index: 2, temperature: 0.7 },
    ]);
  });

  it('then as many as any candidate needs to reach a k-lead, within the cap and maxParallel', () => {
    const r = rule({ k: 3, maxSamples: 9 });
    const split = last(feed(r, ['"a"', '"a"', '"b"'])).state; // lead 1
    expect(votesNeeded(r, split)).toBe(2);
    expect(planBatch(r, split)).toEqual([
      { index: 3, temperature: 0.1 },
      { index: 4, temperature: 0.1 },
    ]);
    const tied = last(feed(r, ['"a"', '"b"', 'bad'])).state;
    expect(votesNeeded(r, tied)).toBe(3);
    const nearCap = last(feed(r, ['"a"', '"b"', '"a"', '"b"', '"a"', '"b"', '"a"', '"b"'])).state;
    expect(planBatch(r, nearCap)).toHaveLength(1);
    expect(planBatch(rule({ k: 5, maxParallel: 2 }), startVote())).toHaveLength(2);
  });

  it('an ended vote plans nothing', () => {
    const r = rule({ k: 1 });
    expect(planBatch(r, last(feed(r, ['1'])).state)).toEqual([]);
  });

  it('a decision can only come with the last sample of a planned batch: no drawn sample is wasted', () => {
    const texts = ['"a"', '"b"', 'bad', '"c"'];
    for (let seed = 0; seed < 300; seed++) {
      const r = rule({ k: 3, maxSamples: 30 });
      let state = startVote();
      let x = seed + 1;
      while (state.status === 'open') {
        const batch = planBatch(r, state);
        batch.forEach((_request, i) => {
          x = (x * 1103515245 + 12345) % 2147483648;
          const step = addSample(r, state, { text: texts[x % 7 < 4 ? 0 : x % 4]! });
          state = step.state;
          if (step.outcome.kind === 'decided') expect(i).toBe(batch.length - 1);
        });
      }
    }
  });
});

describe('replay', () => {
  const r = rule({ k: 2, redFlags: { maxOutputTokens: 4 } });
  const texts = ['"a"', '[1, 2, 3, 4, 5]', '"b"', '"a"', '"a"'];
  const records = (): VoteRecord[] => {
    let state = startVote();
    return texts.map((text) => {
      const step = addSample(r, state, { text });
      state = step.state;
      return { sample: { text }, decisions: step.decisions };
    });
  };

  it('re-derives every decision from the samples alone', () => {
    const step = replayVote(r, records());
    expect(step.outcome).toMatchObject({ kind: 'decided', winner: { key: '"a"' } });
  });

  it('accepts decisions read back from a journal in canonical key order', () => {
    const fromJournal = records().map((record) => ({
      sample: record.sample,
      decisions: JSON.parse(canonicalJson(record.decisions as never)) as VoteDecision[],
    }));
    expect(replayVote(r, fromJournal).outcome.kind).toBe('decided');
  });

  it('a changed sample or rule diverges with VOTE_REPLAY_DIVERGED at that sample', () => {
    const changed = records();
    changed[2] = { ...changed[2]!, sample: { text: '"a"' } };
    expect(() => replayVote(r, changed)).toThrow(VoteReplayError);
    try {
      replayVote(rule({ k: 2, redFlags: { maxOutputTokens: 40 } }), records());
    } catch (error) {
      expect((error as VoteReplayError).code).toBe('VOTE_REPLAY_DIVERGED');
      expect((error as VoteReplayError).index).toBe(1);
    }
  });
});
