// The runs list: filters kept in the address (so a filtered view can be shared), refreshed every
// two seconds, and a form to start a registered workflow.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import { formatTime, StatusBadge } from './format.js';
import { Link, navigate } from './router.js';
import type { RunRecord } from './types.js';

const STATUSES = ['running', 'waiting', 'outcome-unknown', 'completed', 'failed', 'cancelled'];

interface Filters {
  status: string;
  workflow: string;
  all: boolean;
}

function readFilters(): Filters {
  const query = new URLSearchParams(location.search);
  return {
    status: query.get('status') ?? '',
    workflow: query.get('workflow') ?? '',
    all: query.get('all') === 'true',
  };
}

function writeFilters(filters: Filters): void {
  const query = new URLSearchParams();
  if (filters.status) query.set('status', filters.status);
  if (filters.workflow) query.set('workflow', filters.workflow);
  if (filters.all) query.set('all', 'true');
  const search = query.toString();
  history.replaceState(null, '', search ? `/?${search}` : '/');
}

function StartRun(props: { workflows: Array<{ name: string }> }) {
  const [workflow, setWorkflow] = useState('');
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const chosen = workflow !== '' ? workflow : (props.workflows[0]?.name ?? '');
  if (props.workflows.length === 0) return null;
  return (
    <form
      class="start"
      data-testid="start-form"
      onSubmit={(event) => {
        event.preventDefault();
        setError(null);
        let parsed: unknown;
        try {
          parsed = JSON.parse(input);
        } catch {
          setError('input is not valid JSON');
          return;
        }
        api<{ runId: string }>('POST', '/api/runs', { workflow: chosen, input: parsed })
          .then((started) => navigate(`/runs/${encodeURIComponent(started.runId)}`))
          .catch((failure: unknown) =>
            setError(
              failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure),
            ),
          );
      }}
    >
      <label>
        Start
        <select
          name="workflow"
          value={chosen}
          onChange={(event) => setWorkflow((event.target as HTMLSelectElement).value)}
        >
          {props.workflows.map((w) => (
            <option key={w.name} value={w.name}>
              {w.name}
            </option>
          ))}
        </select>
      </label>
      <label class="grow">
        input
        <input
          name="input"
          value={input}
          onInput={(event) => setInput((event.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Start run</button>
      {error && <span class="error">{error}</span>}
    </form>
  );
}

export function RunsPage() {
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [runs, setRuns] = useState<RunRecord[] | null>(null);
  const [workflows, setWorkflows] = useState<Array<{ name: string }>>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<{ workflows: Array<{ name: string }> }>('GET', '/api/workflows')
      .then((body) => setWorkflows(body.workflows))
      .catch(() => {});
  }, []);

  useEffect(() => {
    writeFilters(filters);
    let cancelled = false;
    const load = () => {
      const query = new URLSearchParams({ limit: '200' });
      if (filters.status) query.set('status', filters.status);
      if (filters.workflow) query.set('workflow', filters.workflow);
      if (filters.all) query.set('all', 'true');
      api<{ runs: RunRecord[] }>('GET', `/api/runs?${query.toString()}`)
        .then((body) => {
          if (cancelled) return;
          setRuns(body.runs);
          setError(null);
        })
        .catch((failure: unknown) => !cancelled && setError(String(failure)));
    };
    load();
    const timer = setInterval(load, 2000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [filters.status, filters.workflow, filters.all]);

  return (
    <section>
      <StartRun workflows={workflows} />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          status
          <select
            name="status"
            value={filters.status}
            onChange={(event) =>
              setFilters({ ...filters, status: (event.target as HTMLSelectElement).value })
            }
          >
            <option value="">any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          workflow
          <input
            name="workflow"
            list="workflow-names"
            value={filters.workflow}
            placeholder="any"
            onChange={(event) =>
              setFilters({ ...filters, workflow: (event.target as HTMLInputElement).value.trim() })
            }
          />
          <datalist id="workflow-names">
            {workflows.map((w) => (
              <option key={w.name} value={w.name} />
            ))}
          </datalist>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={filters.all}
            onChange={(event) =>
              setFilters({ ...filters, all: (event.target as HTMLInputElement).checked })
            }
          />
          sub-workflow runs
        </label>
      </form>
      {error && <p class="error">{error}</p>}
      {runs === null ? (
        <p class="muted">loading…</p>
      ) : runs.length === 0 ? (
        <p class="muted">no runs match</p>
      ) : (
        <table class="runs" data-testid="runs">
          <thead>
            <tr>
              <th>run</th>
              <th>workflow</th>
              <th>status</th>
              <th>started</th>
              <th>updated</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.runId} data-run-id={run.runId}>
                <td>
                  <Link href={`/runs/${encodeURIComponent(run.runId)}`} class="mono">
                    {run.runId}
                  </Link>
                  {run.parentRunId && <span class="muted"> (child)</span>}
                </td>
                <td>{run.workflow}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{formatTime(run.createdAt)}</td>
                <td>{formatTime(run.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
