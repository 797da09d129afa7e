// The Gantry console in the browser: preact + htm as plain ES modules, nothing to build.
import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { restart, signedIn, signInSettings } from './sign-in.js';

const html = htm.bind(h);
const BASE = document.getElementById('app').dataset.base;
// In AWS the page signs in with the configured OIDC provider and sends the ID token as a bearer;
// locally the session cookie says who acts.
const SIGN_IN = signInSettings();
let bearer;

function authorization() {
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}

async function api(path, init) {
  const res = await fetch(`${BASE}/api${path}`, {
    credentials: 'same-origin',
    ...init,
    headers: { 'content-type': 'application/json', ...authorization(), ...(init?.headers ?? {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (SIGN_IN && res.status === 401) await restart(BASE, SIGN_IN).catch(() => {});
  return { ok: res.ok, status: res.status, body };
}

/** A download the bearer must authorize: fetched, then saved (an anchor's navigation carries no header). */
function download(e, url, name) {
  if (!SIGN_IN) return;
  e.preventDefault();
  fetch(url, { headers: authorization() })
    .then(async (res) => {
      if (res.ok) return res.blob();
      // The console's refusal says what to fix (a period that is no period, or too long to read).
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error?.message ?? `export answered ${res.status}`);
    })
    .then((blob) => {
      const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
      a.click();
      URL.revokeObjectURL(a.href);
    })
    .catch((error) => alert(error.message));
}

function navigate(path) {
  history.pushState(null, '', `${BASE}${path}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

function Link({ to, children, ...rest }) {
  const click = (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return html`<a href=${`${BASE}${to}`} onClick=${click} ...${rest}>${children}</a>`;
}

function useRoute() {
  const [path, setPath] = useState(location.pathname.slice(BASE.length) || '/');
  useEffect(() => {
    const on = () => setPath(location.pathname.slice(BASE.length) || '/');
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

function Header({ me, onChoose }) {
  return html`<header class="top">
    <nav aria-label="Main">
      <strong class="brand">Gantry</strong>
      <${Link} to="/">Runs<//>
      <${Link} to="/audit">Audit<//>
      <${Link} to="/metrics">Metrics<//>
    </nav>
    <div class="who" data-testid="acting-as">
      ${
        me.choices.length > 0
          ? html`<label for="as">Acting as</label>
              <select id="as" value=${me.identity} onChange=${(e) => onChoose(e.currentTarget.value)}>
                ${me.choices.map((c) => html`<option value=${c}>${c}</option>`)}
              </select>`
          : html`<span>Signed in as <strong>${me.identity}</strong></span>`
      }
    </div>
  </header>`;
}

const STATUSES = ['', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const FILTERS = ['pipeline', 'environment', 'branch', 'person'];

function Runs() {
  const [filters, setFilters] = useState(Object.fromEntries(new URLSearchParams(location.search)));
  const [runs, setRuns] = useState(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = async () => {
      const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
      const out = await api(`/runs?${q}`);
      if (!live) return;
      if (out.ok) setRuns(out.body.runs);
      else setError(out.body.error?.message ?? `error ${out.status}`);
    };
    load();
    const timer = setInterval(() => document.hidden || load(), 2000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [JSON.stringify(filters)]);
  const set = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value });
  return html`<main>
    <h1>Runs</h1>
    <form class="filters" role="search" aria-label="Filter runs" onSubmit=${(e) => e.preventDefault()}>
      ${FILTERS.map((f) => html`<label>${f}<input name=${f} value=${filters[f] ?? ''} onInput=${set(f)} /></label>`)}
      <label>status<select name="status" value=${filters.status ?? ''} onChange=${set('status')}>
        ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
      </select></label>
    </form>
    ${error && html`<p role="alert">${error}</p>`}
    ${
      runs === undefined
        ? html`<p>Loading…</p>`
        : runs.length === 0
          ? html`<p>No runs match.</p>`
          : html`<div class="scroll"><table class="runs">
            <caption class="sr-only">${runs.length} runs</caption>
            <thead><tr><th>Run</th><th>Pipeline</th><th>Env</th><th>Branch</th><th>Commit</th><th>Status</th><th>Started</th></tr></thead>
            <tbody>${runs.map(
              (r) => html`<tr data-run=${r.runId}>
                <td><${Link} to=${`/runs/${encodeURIComponent(r.runId)}`}>${r.runId.slice(0, 16)}<//></td>
                <td>${r.pipeline}</td><td>${r.environment ?? ''}</td><td>${r.branch ?? ''}</td>
                <td><code>${r.commit.slice(0, 7)}</code></td>
                <td><span class=${`status s-${r.status}`}>${r.waiting ? 'WAITING' : r.status}</span></td>
                <td>${new Date(r.createdAt).toLocaleString()}</td>
              </tr>`,
            )}</tbody></table></div>`
    }
  </main>`;
}

function Graph({ nodes }) {
  if (nodes.length === 0) return html`<p>The state machine's definition could not be read.</p>`;
  const node = (n) => html`<li class=${`node n-${n.status}`} data-state=${n.name} data-status=${n.status}>
    <span class="name">${n.name}</span> <span class="st">${n.status}</span>
    ${n.next.length > 0 ? html`<span class="next">→ ${n.next.join(', ')}</span>` : ''}
  </li>`;
  const shown = nodes.filter((n) => !n.failurePath || n.status !== 'pending');
  const folded = nodes.filter((n) => n.failurePath && n.status === 'pending');
  return html`<ol class="graph" aria-label="Stage graph">${shown.map(node)}</ol>
    ${folded.length > 0 && html`<details><summary>Failure path: ${folded.length} states, not taken</summary><ol class="graph">${folded.map(node)}</ol></details>`}`;
}

function Stages({ run }) {
  const stages = Object.entries(run.stages ?? {});
  return html`<section aria-labelledby="stages-h"><h2 id="stages-h">Stages</h2>
    <dl class="stages">${stages.map(
      ([name, s]) =>
        html`<dt>${name}</dt><dd><span class=${`status s-${s.status}`}>${s.status}</span> ${s.summary ?? ''}</dd>`,
    )}</dl>
    ${
      run.gates &&
      html`<h3>Gates ${run.gates.passed ? 'passed' : 'failed'}</h3>
      <ul>${run.gates.reasons.map((r) => html`<li><code>${r}</code></li>`)}</ul>`
    }
    ${
      run.approval &&
      html`<h3>Approval ${run.approval.outcome ?? 'pending'} (until ${run.approval.deadline})</h3>
      <ul class="decisions">${Object.values(run.approval.decisions ?? {}).map(
        (d) =>
          html`<li>${d.identity} ${d.decision === 'approve' ? 'approved' : 'rejected'} at ${d.at}: “${d.reason}”</li>`,
      )}</ul>`
    }
    ${
      run.deployment &&
      html`<h3>Deployment</h3><p>${run.deployment.strategy}: ${run.deployment.fromVersion ?? 'nothing'} → ${run.deployment.toVersion}, ${run.deployment.status}${run.deployment.rolledBack ? ' (rolled back)' : ''} ${run.deployment.reason ?? ''}</p>`
    }
    ${run.provenance && html`<${Provenance} provenance=${run.provenance} />`}
    ${run.failure && html`<p class="failure" role="status">Failed at ${run.failure.stage}: ${run.failure.reason}</p>`}
  </section>`;
}

/** The build's artifacts and their signed SLSA provenance, as the run record pins them (Deploy verifies them). */
function Provenance({ provenance: p }) {
  return html`<h3>Artifacts and provenance</h3>
    <div class="scroll" data-testid="provenance"><table class="provenance">
      <thead><tr><th>Artifact</th><th>SHA-256</th><th>Version</th></tr></thead>
      <tbody>${p.subjects.map((s) => html`<tr><td><code>${s.name}</code></td><td><code title=${s.sha256}>${s.sha256.slice(0, 16)}…</code></td><td><code>${s.versionId}</code></td></tr>`)}</tbody>
    </table></div>
    <p class="meta">Signed by <code>${p.keyId}</code> for builder <code>${p.builderId}</code> at ${p.recordedAt};
      envelope <code>s3://${p.bucket}/${p.key}</code> (version <code>${p.versionId}</code>, SHA-256 <code title=${p.envelopeSha256}>${p.envelopeSha256.slice(0, 16)}…</code>)</p>`;
}

function Actions({ runId, actions, onDone }) {
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  const act = async (path, body) => {
    const out = await api(`/runs/${encodeURIComponent(runId)}/${path}`, { method: 'POST', body: JSON.stringify(body) });
    setMessage(out.ok ? `Done: ${JSON.stringify(out.body)}` : `Refused: ${out.body.error?.message ?? out.status}`);
    onDone();
  };
  const any = actions.decide || actions.cancel || actions.retry || actions.rollback;
  return html`<section aria-labelledby="actions-h"><h2 id="actions-h">Actions</h2>
    ${actions.why && html`<p class="why" data-testid="why">${actions.why}</p>`}
    ${
      any
        ? html`<div class="actions">
        <label for="reason">Reason</label>
        <textarea id="reason" rows="2" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea>
        <div class="buttons">
          ${
            actions.decide &&
            html`<button type="button" onClick=${() => act('decision', { decision: 'approve', reason })}>Approve</button>
          <button type="button" class="danger" onClick=${() => act('decision', { decision: 'reject', reason })}>Reject</button>`
          }
          ${actions.cancel && html`<button type="button" class="danger" onClick=${() => act('cancel', { reason })}>Cancel run</button>`}
          ${actions.retry && html`<button type="button" onClick=${() => act('retry', { reason })}>Retry</button>`}
          ${actions.rollback && html`<button type="button" class="danger" onClick=${() => act('rollback', { reason })}>Roll back</button>`}
        </div></div>`
        : html`<p>Nothing you may do on this run now.</p>`
    }
    ${message && html`<p role="status" data-testid="action-result">${message}</p>`}
  </section>`;
}

function Log({ runId, live }) {
  const [lines, setLines] = useState([]);
  const [query, setQuery] = useState('');
  const next = useRef(0);
  useEffect(() => {
    let stop = false;
    next.current = 0;
    setLines([]);
    const load = async () => {
      const q = new URLSearchParams({ from: String(next.current), limit: '500', ...(query ? { q: query } : {}) });
      const out = await api(`/runs/${encodeURIComponent(runId)}/log?${q}`);
      if (stop || !out.ok) return 0;
      next.current = out.body.next;
      if (out.body.lines.length > 0) setLines((old) => [...old, ...out.body.lines].slice(-5000));
      return out.body.lines.length;
    };
    // A finished run's log is read to its end once; a live one is followed; a hidden tab asks for nothing.
    if (live !== 'RUNNING' && live !== 'QUEUED') {
      (async () => {
        while (!stop && (await load()) >= 500);
      })();
      return () => {
        stop = true;
      };
    }
    load();
    const timer = setInterval(() => document.hidden || load(), 1000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [runId, query, live]);
  return html`<section aria-labelledby="log-h"><h2 id="log-h">Build log</h2>
    <form role="search" onSubmit=${(e) => {
      e.preventDefault();
      setQuery(new FormData(e.currentTarget).get('q'));
    }}>
      <label for="logq">Search the log</label> <input id="logq" name="q" /> <button type="submit">Search</button>
    </form>
    <pre class="log" tabindex="0" aria-label="Build log lines" data-testid="log">${lines.map((l) => `${l.n + 1}  ${l.text}\n`).join('')}</pre>
  </section>`;
}

function RunPage({ runId }) {
  const [view, setView] = useState(undefined);
  const [error, setError] = useState('');
  const reload = async () => {
    const out = await api(`/runs/${encodeURIComponent(runId)}`);
    if (out.ok) setView(out.body);
    else setError(out.body.error?.message ?? `error ${out.status}`);
  };
  useEffect(() => {
    reload();
    // Lambda answers buffered, so in AWS the page polls instead of holding an event stream.
    if (SIGN_IN) {
      const timer = setInterval(() => document.hidden || reload(), 2000);
      return () => clearInterval(timer);
    }
    const source = new EventSource(`${BASE}/api/runs/${encodeURIComponent(runId)}/events`);
    source.addEventListener('run', (e) => setView(JSON.parse(e.data)));
    return () => source.close();
  }, [runId]);
  if (error) return html`<main><p role="alert">${error}</p></main>`;
  if (!view) return html`<main><p>Loading…</p></main>`;
  const { run, graph, actions, links } = view;
  return html`<main>
    <p><${Link} to="/">← Runs<//></p>
    <h1>Run <code>${run.runId}</code></h1>
    <p class="meta"><span class=${`status s-${run.status}`} data-testid="run-status">${run.status}</span>${' '}
      ${run.pipeline} · ${run.environment ?? 'no environment'} · ${run.branch ?? ''} · <code>${run.commit.slice(0, 12)}</code>
      ${links.execution && html` · <a href=${links.execution}>Step Functions execution</a>`}
      ${links.build && html` · <a href=${links.build}>CodeBuild build</a>`}
      · <${Link} to=${`/runs/${encodeURIComponent(run.runId)}/dossier`}>Evidence dossier<//>
    </p>
    <div class="cols">
      <div class="detail"><${Actions} runId=${run.runId} actions=${actions} onDone=${reload} /><${Stages} run=${run} /></div>
      <section class="graph-col" aria-labelledby="graph-h"><h2 id="graph-h">Stage graph</h2><${Graph} nodes=${graph} /></section>
    </div>
    <${Log} runId=${run.runId} live=${run.status} />
  </main>`;
}

/** The ledger's verification, as `gantry audit verify` reports it: slow on a large ledger, so run on request. */
function Verification() {
  const [state, setState] = useState({ phase: 'idle' });
  const verify = async () => {
    setState({ phase: 'verifying' });
    const out = await api('/audit/verify');
    setState(
      out.ok
        ? { phase: 'done', view: out.body }
        : { phase: 'error', message: out.body.error?.message ?? `error ${out.status}` },
    );
  };
  const { phase, view } = state;
  return html`<section class="verify" aria-labelledby="verify-h" aria-busy=${phase === 'verifying'}>
    <h2 id="verify-h">Ledger verification</h2>
    <p>Recomputes every hash chain and checks the signed checkpoints, as <code>gantry audit verify</code> does.</p>
    <button type="button" onClick=${verify} disabled=${phase === 'verifying'}>${phase === 'done' ? 'Verify again' : 'Verify the ledger'}</button>
    <div role="status" data-testid="verification">
      ${phase === 'verifying' && html`<p>Verifying the ledger… (every record of every chain is read)</p>`}
      ${phase === 'error' && html`<p class="bad">Could not verify: ${state.message}</p>`}
      ${
        phase === 'done' &&
        html`<p class=${view.ok ? 'ok' : 'bad'} data-ok=${String(view.ok)}><strong>${view.ok ? 'Verifies.' : 'Does not verify.'}</strong> ${view.summary}</p>
        ${view.brokenChains.length > 0 && html`<p>Broken chains: ${view.brokenChains.join(', ')}</p>`}
        ${view.checkpoints?.failures.length > 0 && html`<ul>${view.checkpoints.failures.map((f) => html`<li>${f}</li>`)}</ul>`}`
      }
    </div>
  </section>`;
}

const AUDIT_FILTERS = ['repository', 'from', 'to', 'type', 'actor', 'commit', 'runId', 'environment', 'pipeline'];

function Audit() {
  const [filters, setFilters] = useState({});
  const [result, setResult] = useState(undefined);
  const search = async (e) => {
    e?.preventDefault();
    const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
    const out = await api(`/audit?${q}`);
    setResult(out.ok ? out.body : { events: [], error: out.body.error?.message });
  };
  const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  return html`<main>
    <h1>Audit</h1>
    <form class="filters" role="search" aria-label="Search the audit ledger" onSubmit=${search}>
      ${AUDIT_FILTERS.map(
        (f) =>
          html`<label>${f}<input name=${f} value=${filters[f] ?? ''} onInput=${(e) => setFilters({ ...filters, [f]: e.currentTarget.value })} /></label>`,
      )}
      <button type="submit">Search</button>
    </form>
    <p class="exports">Export what the filters select:
      ${['jsonl', 'csv', 'parquet'].map((f) => {
        const url = `${BASE}/api/audit/export?format=${f}&${q}`;
        return html` <a href=${url} download=${`audit.${f}`} onClick=${(e) => download(e, url, `audit.${f}`)}>${f}</a>`;
      })}
      · <a href=${`${BASE}/api/audit/export?format=jsonl&part=manifest&${q}`} onClick=${(e) => download(e, `${BASE}/api/audit/export?format=jsonl&part=manifest&${q}`, 'manifest.json')}>manifest</a>
    </p>
    ${result?.error && html`<p role="alert">${result.error}</p>`}
    ${result?.hint && html`<p class="hint" data-testid="hint">No events: ${result.hint}.</p>`}
    ${
      result &&
      html`<p role="status">${result.events.length}${result.truncated ? '+' : ''} events${
        result.defaultFrom
          ? html` from <time data-testid="default-from">${result.defaultFrom}</time>: the last ${result.defaultDays} days, as no from, run or full commit bounds the search (the exports read the same days)`
          : ''
      }</p>
      <div class="scroll"><table class="audit"><thead><tr><th>Time</th><th>Type</th><th>Outcome</th><th>Actor</th><th>Env</th><th>Run</th><th>Seq</th></tr></thead>
      <tbody>${result.events.map(
        (ev) =>
          html`<tr><td>${ev.time}</td><td>${ev.type}</td><td>${ev.outcome}</td><td>${ev.actor.id}</td><td>${ev.subject.environment ?? ''}</td><td>${(ev.subject.runId ?? '').slice(0, 16)}</td><td>${ev.seq}</td></tr>`,
      )}</tbody></table></div>`
    }
    <${Verification} />
  </main>`;
}

function Dossier({ runId }) {
  const [out, setOut] = useState(undefined);
  useEffect(() => {
    api(`/runs/${encodeURIComponent(runId)}/dossier`).then(setOut);
  }, [runId]);
  return html`<main>
    <p><${Link} to=${`/runs/${encodeURIComponent(runId)}`}>← Run<//></p>
    <h1>Evidence dossier</h1>
    ${!out ? html`<p>Loading…</p>` : out.ok ? html`<pre class="dossier" data-testid="dossier" tabindex="0">${out.body.markdown}</pre>` : html`<p role="alert">${out.body.error?.message ?? out.status}</p>`}
  </main>`;
}

const pct = (r) => (r === null || r === undefined ? '—' : `${Math.round(r * 100)}%`);

function Metrics() {
  const [days, setDays] = useState('30');
  const [report, setReport] = useState(undefined);
  useEffect(() => {
    api(`/metrics?days=${encodeURIComponent(days)}`).then((out) =>
      setReport(out.ok ? out.body : { error: out.body.error?.message }),
    );
  }, [days]);
  return html`<main>
    <h1>Delivery metrics (DORA)</h1>
    <label>Days <select value=${days} onChange=${(e) => setDays(e.currentTarget.value)}>
      ${['7', '30', '90'].map((d) => html`<option value=${d}>${d}</option>`)}
    </select></label>
    ${report?.error && html`<p role="alert">${report.error}</p>`}
    ${
      report &&
      !report.error &&
      html`<div class="scroll"><table class="metrics" data-testid="metrics">
      <thead><tr><th>Pipeline</th><th>Env</th><th>Deployments</th><th>Change failure</th><th>Rework</th></tr></thead>
      <tbody>${report.groups.map((g) => html`<tr><td>${g.pipeline}</td><td>${g.environment}</td><td>${g.deploymentFrequency.deployments}</td><td>${pct(g.changeFailureRate.rate)}</td><td>${pct(g.reworkRate.rate)}</td></tr>`)}
      <tr><th scope="row">all</th><td></td><td>${report.deploymentFrequency.deployments}</td><td>${pct(report.changeFailureRate.rate)}</td><td>${pct(report.reworkRate.rate)}</td></tr></tbody>
    </table></div>`
    }
  </main>`;
}

function App() {
  const path = useRoute();
  const [me, setMe] = useState(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api('/me').then((out) => setMe(out.ok ? out.body : { error: out.body.error?.message ?? `error ${out.status}` }));
  }, [version]);
  const choose = async (identity) => {
    await api('/me', { method: 'POST', body: JSON.stringify({ identity }) });
    setVersion(version + 1);
  };
  if (!me) return html`<p>Loading…</p>`;
  if (me.error)
    return html`<main><h1>Not signed in</h1><p role="alert" data-testid="not-signed-in">${me.error}</p></main>`;
  const dossier = /^\/runs\/(.+)\/dossier$/.exec(path);
  if (dossier)
    return html`<${Header} me=${me} onChoose=${choose} /><${Dossier} runId=${decodeURIComponent(dossier[1])} />`;
  if (path === '/metrics') return html`<${Header} me=${me} onChoose=${choose} /><${Metrics} />`;
  const run = /^\/runs\/(.+)$/.exec(path);
  return html`<${Header} me=${me} onChoose=${choose} />
    ${run ? html`<${RunPage} key=${`${run[1]}/${me.identity}`} runId=${decodeURIComponent(run[1])} />` : path === '/audit' ? html`<${Audit} />` : html`<${Runs} />`}`;
}

async function main() {
  const root = document.getElementById('app');
  try {
    if (SIGN_IN) bearer = await signedIn(BASE, SIGN_IN);
  } catch (error) {
    render(
      html`<main><h1>Not signed in</h1><p role="alert" data-testid="sign-in-failed">${error.message}</p></main>`,
      root,
    );
    return;
  }
  render(html`<${App} />`, root);
}

main();
