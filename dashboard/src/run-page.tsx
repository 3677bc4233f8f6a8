// One run: its DAG coloured by step state and its journal timeline, both fed live by the event
// stream; pending decisions with their buttons; reroutes and escalations, votes, tokens and cost;
// and "verify journal".
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, followRun } from './api.js';
import { Dag } from './dag.js';
import { eventSummary, formatDuration, formatTime, formatUsd, StatusBadge } from './format.js';
import { Link } from './router.js';
import {
  applyEvents,
  emptyState,
  nodeSummaries,
  pathOf,
  type LooseEvent,
  type RunState,
} from './state.js';
import type { RunDetails, VerifyReport, WorkflowGraph } from './types.js';

function useRunDetails(runId: string, version: number) {
  const [details, setDetails] = useState<RunDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    // Debounced: a burst of events asks once.
    const timer = setTimeout(
      () => {
        api<RunDetails>('GET', `/api/runs/${encodeURIComponent(runId)}`)
          .then((body) => !cancelled && (setDetails(body), setError(null)))
          .catch((failure: unknown) => !cancelled && setError(describe(failure)));
      },
      version === 0 ? 0 : 120,
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [runId, version]);
  return { details, error };
}

function describe(failure: unknown): string {
  return failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure);
}

export function RunPage(props: { runId: string }) {
  const { runId } = props;
  const [state, setState] = useState<RunState>(emptyState);
  const stateRef = useRef(state);
  stateRef.current = state;
  const [stream, setStream] = useState('connecting');
  const [graph, setGraph] = useState<WorkflowGraph | null>(null);
  const [version, setVersion] = useState(0);
  const { details, error } = useRunDetails(runId, version);

  useEffect(() => {
    api<WorkflowGraph>('GET', `/api/runs/${encodeURIComponent(runId)}/graph`)
      .then(setGraph)
      .catch(() => {});
    const stop = followRun(runId, () => stateRef.current.events.length - 1, {
      onEvents: (events: LooseEvent[]) => {
        setState((current) => {
          const next = applyEvents(current, events);
          stateRef.current = next;
          return next;
        });
        setVersion((n) => n + 1);
      },
      onEnd: () => setVersion((n) => n + 1),
      onState: setStream,
    });
    return stop;
  }, [runId]);

  const summaries = useMemo(() => nodeSummaries(state), [state]);
  const status = details?.run.status ?? 'running';

  return (
    <section class="run" data-testid="run-page" data-run-id={runId}>
      <div class="run-head">
        <h1>
          {details?.run.workflow ?? graph?.workflow ?? '…'} <span class="mono muted">{runId}</span>
        </h1>
        <div class="facts">
          <span data-testid="run-status">
            <StatusBadge status={status} />
          </span>
          <span class={`stream stream-${stream}`} data-testid="stream-state">
            {stream}
          </span>
          {details && <span>started {formatTime(details.startedAt)}</span>}
          {details?.endedAt !== undefined && (
            <span>took {formatDuration(details.endedAt - details.startedAt)}</span>
          )}
          <span data-testid="event-count">{state.events.length} events</span>
          {details?.run.parentRunId && (
            <Link href={`/runs/${encodeURIComponent(details.run.parentRunId)}`}>parent run</Link>
          )}
        </div>
        {error && <p class="error">{error}</p>}
        {details?.error && (
          <p class="error">
            {details.error.type}: {details.error.message}
          </p>
        )}
      </div>

      <Actions runId={runId} details={details} onChange={() => setVersion((n) => n + 1)} />

      <div class="panel">
        <h2>Steps</h2>
        {graph ? <Dag graph={graph} summaries={summaries} /> : <p class="muted">loading…</p>}
        <Legend />
      </div>

      <div class="grid">
        <CostPanel details={details} state={state} />
        <RoutesPanel state={state} />
        <VotesPanel state={state} />
        {details && details.children.length > 0 && (
          <div class="panel">
            <h2>Sub-workflow runs</h2>
            <ul>
              {details.children.map((child) => (
                <li key={child.runId}>
                  <Link href={`/runs/${encodeURIComponent(child.runId)}`} class="mono">
                    {child.runId}
                  </Link>{' '}
                  {child.workflow} <StatusBadge status={child.status} />
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>

      <Timeline events={state.events} />
    </section>
  );
}

function Actions(props: { runId: string; details: RunDetails | null; onChange(): void }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [verify, setVerify] = useState<VerifyReport | null>(null);
  const { details } = props;
  const base = `/api/runs/${encodeURIComponent(props.runId)}`;
  const act = (what: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    what()
      .then(() => props.onChange())
      .catch((failure: unknown) => setMessage(describe(failure)))
      .finally(() => setBusy(false));
  };
  const ended = details ? ['completed', 'failed', 'cancelled'].includes(details.run.status) : false;
  return (
    <div class="panel actions">
      {details?.pending.map((pending) => (
        <div class="pending" key={pending.path} data-testid={`pending-${pending.path}`}>
          <span>
            <b>{pending.path}</b>{' '}
            {pending.kind === 'approval' ? 'waits for approval' : 'outcome unknown'}:{' '}
            {pending.message}
          </span>
          {pending.kind === 'approval' ? (
            <>
              <button
                disabled={busy}
                data-testid={`approve-${pending.path}`}
                onClick={() =>
                  act(() => api('POST', `${base}/approval`, { step: pending.path, approved: true }))
                }
              >
                Approve
              </button>
              <button
                disabled={busy}
                class="danger"
                data-testid={`reject-${pending.path}`}
                onClick={() =>
                  act(() =>
                    api('POST', `${base}/approval`, { step: pending.path, approved: false }),
                  )
                }
              >
                Reject
              </button>
            </>
          ) : (
            (['retry', 'complete', 'fail'] as const).map((action) => (
              <button
                key={action}
                disabled={busy}
                data-testid={`resolve-${action}-${pending.path}`}
                onClick={() =>
                  act(() => api('POST', `${base}/resolution`, { step: pending.path, action }))
                }
              >
                {action === 'retry'
                  ? 'It did not happen: retry'
                  : action === 'complete'
                    ? 'It happened'
                    : 'Fail the step'}
              </button>
            ))
          )}
        </div>
      ))}
      <div class="buttons">
        <button
          disabled={busy}
          data-testid="verify"
          onClick={() =>
            act(() =>
              api<VerifyReport>('POST', `${base}/verify`).then((report) => {
                setVerify(report);
              }),
            )
          }
        >
          Verify journal
        </button>
        {details && !ended && (
          <button
            disabled={busy}
            class="danger"
            data-testid="cancel"
            onClick={() => act(() => api('POST', `${base}/cancel`, {}))}
          >
            Cancel run
          </button>
        )}
        {verify && (
          <span
            class={verify.ok ? 'ok' : 'error'}
            data-testid="verify-result"
            data-ok={String(verify.ok)}
          >
            {verify.ok
              ? `journal verified: ${verify.events} events, ${verify.decisionsChecked} decisions re-derived`
              : `journal does not verify: ${verify.error?.code ?? 'a sub-workflow run'}: ${verify.error?.message ?? ''}`}
          </span>
        )}
        {message && <span class="error">{message}</span>}
      </div>
    </div>
  );
}

function Legend() {
  return (
    <div class="legend">
      {[
        'pending',
        'running',
        'waiting',
        'outcome-unknown',
        'completed',
        'failed',
        'skipped',
        'cancelled',
      ].map((state) => (
        <span key={state} class={`swatch state-${state}`}>
          {state}
        </span>
      ))}
    </div>
  );
}

function CostPanel(props: { details: RunDetails | null; state: RunState }) {
  const calls = props.state.modelCalls;
  const input = calls.reduce((sum, call) => sum + call.inputTokens, 0);
  const output = calls.reduce((sum, call) => sum + call.outputTokens, 0);
  return (
    <div class="panel" data-testid="cost-panel">
      <h2>Tokens and cost</h2>
      {calls.length === 0 ? (
        <p class="muted">no model calls in this run</p>
      ) : (
        <>
          <p>
            {calls.length} model call{calls.length === 1 ? '' : 's'}: {input} input + {output}{' '}
            output tokens
            {props.details && <> · {costText(props.details, calls.length)}</>}
          </p>
          <table class="small">
            <tbody>
              {calls.slice(-20).map((call, index) => (
                <tr key={index}>
                  <td>{call.path}</td>
                  <td class="mono">
                    {call.model}
                    {call.simulated ? ' (simulated)' : ''}
                  </td>
                  <td>
                    {call.inputTokens} / {call.outputTokens}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

/** Spend of the priced calls; says so when some (or all) calls have no known price. */
function costText(details: RunDetails, calls: number): string {
  const unpriced = details.unpricedModelCalls;
  if (unpriced === 0) return formatUsd(details.costUsd);
  if (unpriced >= calls) return 'cost unknown (no price for these models)';
  return `${formatUsd(details.costUsd)} + ${unpriced} call${unpriced === 1 ? '' : 's'} without a known price`;
}

function RoutesPanel(props: { state: RunState }) {
  const routes = [...props.state.routes.values()];
  return (
    <div class="panel" data-testid="routes-panel">
      <h2>Reroutes and escalations</h2>
      {routes.length === 0 ? (
        <p class="muted">no route steps in this run</p>
      ) : (
        routes.map((route) => (
          <div key={route.path} class="route">
            <b>{route.path}</b>
            {route.plans[0] && <div>planned: {route.plans[0].nodes.join(' → ')}</div>}
            {route.reroutes.map((reroute, index) => (
              <div key={`r${index}`} class="reroute">
                reroute around {reroute.node} ({reroute.tool}): {reroute.cause}
                {reroute.message ? ` — ${reroute.message}` : ''}
              </div>
            ))}
            {route.escalations.map((escalation, index) => (
              <div key={`e${index}`} class="escalation">
                escalation: {escalation.reason}
                {escalation.from ? ` at ${escalation.from}` : ''}
              </div>
            ))}
            {route.outcome && <div>{route.outcome}</div>}
          </div>
        ))
      )}
    </div>
  );
}

function VotesPanel(props: { state: RunState }) {
  const votes = props.state.votes;
  const byStep = new Map<string, LooseEvent[]>();
  for (const vote of votes) {
    const path = pathOf(vote);
    byStep.set(path, [...(byStep.get(path) ?? []), vote]);
  }
  return (
    <div class="panel" data-testid="votes-panel">
      <h2>Votes</h2>
      {votes.length === 0 ? (
        <p class="muted">no vote steps in this run</p>
      ) : (
        [...byStep].map(([path, events]) => (
          <div key={path} class="votes">
            <b>{path || '(run)'}</b>
            <ul>
              {events.map((event) => (
                <li key={event.seq}>
                  {event.type} <span class="muted">{eventSummary(event)}</span>
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </div>
  );
}

function Timeline(props: { events: LooseEvent[] }) {
  const start = props.events[0]?.at ?? 0;
  return (
    <div class="panel">
      <h2>Journal</h2>
      <table class="timeline" data-testid="timeline">
        <tbody>
          {props.events.map((event) => (
            <tr key={event.seq} data-seq={event.seq} class={`event event-${event.type}`}>
              <td class="seq">{event.seq}</td>
              <td class="when">+{formatDuration(event.at - start)}</td>
              <td class="type">{event.type}</td>
              <td class="path">{pathOf(event)}</td>
              <td class="detail">{eventSummary(event)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
