// The jobfleet dashboard: Preact + htm, no build step. It reads the API with the same requests as any
// client (lists, then `?watch=1` JSON-lines streams read with fetch; a 410 means list again) and keeps
// a bounded number of objects, events and log lines. Everything from the API is rendered as text
// (htm/Preact text nodes and attributes), never as HTML.
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

const TOKEN_KEY = 'jobfleet.token';
/** Objects kept per list (Jobs, CronJobs, pods, nodes); past it the page says it shows a part. */
const MAX_OBJECTS = 2000;
/** Events kept on a Job's page (the oldest go first). */
const MAX_EVENTS = 300;
/** Log lines kept on a Job's page (the oldest go first), and asked for when it opens. */
const MAX_LOG_LINES = 2000;
const LOG_TAIL_LINES = 500;
/** A log line longer than this is shown cut into pieces. */
const MAX_LOG_LINE_CHARS = 16 * 1024;
/** A watch line longer than this (the API bounds objects well below) ends the watch: it lists again. */
const MAX_WATCH_LINE_CHARS = 8 * 1024 * 1024;
const PAGE_LIMIT = 500;
/** A watch is restarted after this long, as client-go's reflector does, to spread reconnections. */
const WATCH_TIMEOUT_SECONDS = 300;
const RENDER_DELAY_MS = 50;

// ---------------------------------------------------------------- token

/**
 * The token lives in this tab's sessionStorage only: asked for once when the API answers 401, sent as
 * `Authorization: Bearer` on every request, never in a URL; it goes when the tab closes or on "Forget".
 */
const auth = { epoch: 0, needed: false, refused: false, listeners: new Set() };

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

function notifyAuth() {
  for (const listener of auth.listeners) listener();
}

function tokenRefused() {
  if (auth.needed) return;
  auth.needed = true;
  auth.refused = storedToken() !== '';
  notifyAuth();
}

function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  auth.needed = false;
  auth.refused = false;
  auth.epoch++;
  notifyAuth();
}

function useAuth() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    auth.listeners.add(listener);
    return () => auth.listeners.delete(listener);
  }, []);
  return auth;
}

class Unauthorized extends Error {}

async function apiFetch(path, signal) {
  const token = storedToken();
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, signal, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401) {
    tokenRefused();
    throw new Unauthorized('the API wants a token');
  }
  return res;
}

async function httpError(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (typeof body?.message === 'string') message = body.message;
  } catch {}
  const err = new Error(message);
  err.status = res.status;
  return err;
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** The lines of a streamed response body; a partial line longer than maxChars is handed to onLong. */
async function* readLines(body, maxChars, onLong) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        yield buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
      }
      if (buffer.length > maxChars) buffer = onLong(buffer);
    }
    if (buffer !== '') yield buffer;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- watched lists

const objectKey = (o) => `${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? ''}`;

/**
 * An informer: lists `path` (in pages), then watches from the list's resourceVersion and applies each
 * event; a 410 (Expired) lists again, a broken connection watches again from the last resourceVersion
 * seen, after a growing pause. At most `max` objects are kept: `evict` drops the oldest kept for a new
 * one (events), otherwise new ones are left out and `truncated` says so.
 */
async function runInformer(path, query, { signal, keep, max, evict, onUpdate, onStatus }) {
  const objects = new Map();
  let truncated = false;
  let rv = '';
  let pause = 500;
  const put = (o) => {
    const key = objectKey(o);
    if (!objects.has(key) && objects.size >= max) {
      if (!evict) {
        truncated = true;
        return;
      }
      objects.delete(objects.keys().next().value);
    }
    objects.set(key, o);
  };
  while (!signal.aborted) {
    try {
      if (rv === '') {
        objects.clear();
        truncated = false;
        let next = '';
        let first = true;
        do {
          const res = await apiFetch(withQuery(path, { ...query, limit: PAGE_LIMIT, continue: next }), signal);
          if (!res.ok) throw await httpError(res);
          const list = await res.json();
          for (const o of list.items ?? []) if (keep(o)) put(o);
          // Every page of a list shares its first page's resourceVersion; watching from it misses nothing.
          if (first) rv = list.metadata?.resourceVersion ?? '';
          first = false;
          next = list.metadata?.continue ?? '';
        } while (next && (evict || !truncated) && !signal.aborted);
        onUpdate(objects, truncated);
      }
      onStatus('live');
      const res = await apiFetch(withQuery(path, { ...query, watch: 1, resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: WATCH_TIMEOUT_SECONDS }), signal);
      if (res.status === 410) {
        rv = '';
        continue;
      }
      if (!res.ok) throw await httpError(res);
      const tooLong = () => {
        throw new Error('a watch event is larger than the page accepts');
      };
      for await (const line of readLines(res.body, MAX_WATCH_LINE_CHARS, tooLong)) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line);
        const o = event.object;
        if (event.type === 'ERROR') {
          if (o?.code === 410) {
            rv = '';
            break;
          }
          throw new Error(o?.message ?? 'the watch failed');
        }
        if (o?.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
        if (event.type === 'BOOKMARK' || !o?.metadata) continue;
        if (event.type === 'DELETED') objects.delete(objectKey(o));
        else if (keep(o)) put(o);
        else objects.delete(objectKey(o));
        onUpdate(objects, truncated);
      }
      pause = 500;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof Unauthorized) {
        onStatus('needs a token');
        return; // the token form starts every list again (auth.epoch)
      }
      onStatus(`reconnecting: ${err.message}`);
      await sleep(pause, signal);
      pause = Math.min(pause * 2, 10_000);
    }
  }
}

/** A watched list as component state: { items, truncated, status }; path undefined watches nothing. */
function useWatchedList(path, query = {}, opts = {}) {
  const [state, setState] = useState({ items: [], truncated: false, status: 'loading' });
  const keepRef = useRef(opts.keep);
  keepRef.current = opts.keep;
  const { epoch } = useAuth();
  const key = JSON.stringify([path, query]);
  useEffect(() => {
    setState({ items: [], truncated: false, status: 'loading' });
    if (!path) return undefined;
    const ctl = new AbortController();
    let timer;
    let latest;
    // Many events in a burst make one render.
    const flush = () => {
      timer = undefined;
      setState((s) => ({ ...s, items: [...latest.objects.values()], truncated: latest.truncated }));
    };
    void runInformer(path, query, {
      signal: ctl.signal,
      keep: (o) => (keepRef.current ? keepRef.current(o) : true),
      max: opts.max ?? MAX_OBJECTS,
      evict: opts.evict ?? false,
      onUpdate: (objects, truncated) => {
        latest = { objects, truncated };
        timer ??= setTimeout(flush, RENDER_DELAY_MS);
      },
      onStatus: (status) => setState((s) => (s.status === status ? s : { ...s, status })),
    });
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [key, epoch]);
  return state;
}

/** A pod's log, followed while the container runs; the last MAX_LOG_LINES lines are kept. */
function usePodLog(ns, pod, container) {
  const [state, setState] = useState({ lines: [], status: '' });
  const { epoch } = useAuth();
  useEffect(() => {
    setState({ lines: [], status: '' });
    if (!pod) return undefined;
    const ctl = new AbortController();
    const lines = [];
    let timer;
    const flush = () => {
      timer = undefined;
      setState((s) => ({ ...s, lines: lines.slice() }));
    };
    const add = (line) => {
      lines.push(line);
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
      timer ??= setTimeout(flush, RENDER_DELAY_MS);
    };
    const setStatus = (status) => setState((s) => ({ ...s, status }));
    (async () => {
      const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`;
      let pause = 500;
      while (!ctl.signal.aborted) {
        try {
          const res = await apiFetch(withQuery(path, { follow: 'true', tailLines: LOG_TAIL_LINES, container }), ctl.signal);
          if (!res.ok) {
            const err = await httpError(res);
            // A container that has not started yet has no log: wait for it.
            if (res.status === 400 && /waiting to start/.test(err.message)) {
              setStatus(err.message);
              await sleep(1000, ctl.signal);
              continue;
            }
            throw err;
          }
          setStatus('following');
          const cut = (long) => {
            add(long.slice(0, MAX_LOG_LINE_CHARS));
            return long.slice(MAX_LOG_LINE_CHARS);
          };
          for await (const line of readLines(res.body, MAX_LOG_LINE_CHARS, cut)) add(line);
          setStatus('ended');
          return;
        } catch (err) {
          if (ctl.signal.aborted || err instanceof Unauthorized) return;
          setStatus(`reconnecting: ${err.message}`);
          await sleep(pause, ctl.signal);
          pause = Math.min(pause * 2, 10_000);
        }
      }
    })();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [ns, pod, container, epoch]);
  return state;
}

/** Re-renders every `ms` (ages). */
function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const listener = () => setHash(location.hash);
    addEventListener('hashchange', listener);
    return () => removeEventListener('hashchange', listener);
  }, []);
  return hash;
}

// ---------------------------------------------------------------- formatting

function age(time, now) {
  const t = Date.parse(time ?? '');
  if (Number.isNaN(t)) return '';
  let s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  let m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h${m % 60 ? `${m % 60}m` : ''}`;
  s = Math.floor(hours / 24);
  return `${s}d`;
}

function duration(start, end) {
  const a = Date.parse(start ?? '');
  const b = Date.parse(end ?? '');
  if (Number.isNaN(a) || Number.isNaN(b)) return '';
  return age(start, b);
}

const jobHref = (ns, name) => `#/jobs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
const byNewest = (a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')) || objectKey(a).localeCompare(objectKey(b));

function conditionTrue(obj, type) {
  return (obj?.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

/** What kubectl's STATUS column says of a Job. */
function jobState(job) {
  if (conditionTrue(job, 'Complete')) return 'Complete';
  if (conditionTrue(job, 'Failed')) return 'Failed';
  if (conditionTrue(job, 'FailureTarget')) return 'FailureTarget';
  if (conditionTrue(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (job?.spec?.suspend) return 'Suspended';
  return 'Running';
}

function podState(pod) {
  if (pod.metadata?.deletionTimestamp && !['Succeeded', 'Failed'].includes(pod.status?.phase)) return 'Terminating';
  for (const c of pod.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && pod.status?.phase !== 'Succeeded') return c.state.terminated.reason;
  }
  return pod.status?.phase === 'Succeeded' ? 'Completed' : (pod.status?.phase ?? 'Pending');
}

const restarts = (pod) => (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);

// ---------------------------------------------------------------- components

function Badge({ state }) {
  return html`<span class=${`badge badge-${String(state).toLowerCase()}`}>${state}</span>`;
}

/** succeeded | failed | active against completions (or parallelism when completions is unset). */
function Progress({ job }) {
  const s = job.status ?? {};
  const succeeded = s.succeeded ?? 0;
  const failed = s.failed ?? 0;
  const active = s.active ?? 0;
  const total = job.spec?.completions ?? null;
  const scale = Math.max(total ?? 0, succeeded + failed + active, 1);
  const pct = (n) => `${Math.min(100, (100 * n) / scale)}%`;
  return html`<div class="progress">
    <div class="bar" role="img" aria-label=${`${succeeded} succeeded, ${failed} failed, ${active} active`}>
      <span class="seg ok" style=${{ width: pct(succeeded) }}></span><span class="seg fail" style=${{ width: pct(failed) }}></span><span class="seg active" style=${{ width: pct(active) }}></span>
    </div>
    <span class="counts"><b>${succeeded}</b>/${total ?? '–'} succeeded${failed ? html`, <span class="fail-text">${failed} failed</span>` : ''}${active ? `, ${active} active` : ''}</span>
  </div>`;
}

function Conditions({ obj }) {
  const conditions = (obj.status?.conditions ?? []).filter((c) => c.status === 'True');
  if (conditions.length === 0) return html`<span class="muted">–</span>`;
  return conditions.map((c) => html`<span class="cond" title=${c.message ?? ''}>${c.type}${c.reason ? `: ${c.reason}` : ''}</span>`);
}

function ListStatus({ state, what }) {
  if (state.status === 'live' && !state.truncated) return null;
  return html`<p class="notice">
    ${state.status !== 'live' ? `${what}: ${state.status}` : ''}
    ${state.truncated ? ` Showing the first ${MAX_OBJECTS} ${what}.` : ''}
  </p>`;
}

function JobsPage() {
  const jobs = useWatchedList('/apis/batch/v1/jobs');
  const now = useNow();
  const items = jobs.items.slice().sort(byNewest);
  return html`<section>
    <h1>Jobs <span class="count">${items.length}</span></h1>
    <${ListStatus} state=${jobs} what="Jobs" />
    <table class="list" id="jobs">
      <thead><tr><th>Namespace</th><th>Name</th><th>Status</th><th>Progress</th><th>Conditions</th><th>Duration</th><th>Age</th></tr></thead>
      <tbody>
        ${items.map((job) => {
          const ns = job.metadata.namespace ?? '';
          const name = job.metadata.name ?? '';
          const state = jobState(job);
          return html`<tr key=${objectKey(job)} data-job=${`${ns}/${name}`} data-state=${state}>
            <td class="muted">${ns}</td>
            <td><a href=${jobHref(ns, name)}>${name}</a></td>
            <td><${Badge} state=${state} /></td>
            <td><${Progress} job=${job} /></td>
            <td><${Conditions} obj=${job} /></td>
            <td>${job.status?.startTime ? duration(job.status.startTime, job.status.completionTime ?? new Date(now).toISOString()) : ''}</td>
            <td>${age(job.metadata.creationTimestamp, now)}</td>
          </tr>`;
        })}
        ${items.length === 0 && jobs.status === 'live' ? html`<tr><td colspan="7" class="empty">No Jobs yet: <code>jobfleet run -f examples/echo-job.yaml</code></td></tr>` : ''}
      </tbody>
    </table>
  </section>`;
}

function CronJobsPage() {
  const cronJobs = useWatchedList('/apis/batch/v1/cronjobs');
  const now = useNow();
  const items = cronJobs.items.slice().sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  return html`<section>
    <h1>CronJobs <span class="count">${items.length}</span></h1>
    <${ListStatus} state=${cronJobs} what="CronJobs" />
    <table class="list" id="cronjobs">
      <thead><tr><th>Namespace</th><th>Name</th><th>Schedule</th><th>Time zone</th><th>Suspend</th><th>Active</th><th>Last schedule</th><th>Last success</th><th>Age</th></tr></thead>
      <tbody>
        ${items.map((cj) => {
          const ns = cj.metadata.namespace ?? '';
          const active = cj.status?.active ?? [];
          return html`<tr key=${objectKey(cj)} data-cronjob=${`${ns}/${cj.metadata.name}`}>
            <td class="muted">${ns}</td>
            <td>${cj.metadata.name}</td>
            <td><code>${cj.spec?.schedule}</code></td>
            <td>${cj.spec?.timeZone ?? ''}</td>
            <td>${cj.spec?.suspend ? html`<${Badge} state="Suspended" />` : 'False'}</td>
            <td>${active.length === 0 ? '0' : active.map((ref) => html`<a class="ref" href=${jobHref(ref.namespace ?? ns, ref.name ?? '')}>${ref.name}</a>`)}</td>
            <td>${cj.status?.lastScheduleTime ? `${age(cj.status.lastScheduleTime, now)} ago` : '<none>'}</td>
            <td>${cj.status?.lastSuccessfulTime ? `${age(cj.status.lastSuccessfulTime, now)} ago` : '<none>'}</td>
            <td>${age(cj.metadata.creationTimestamp, now)}</td>
          </tr>`;
        })}
        ${items.length === 0 && cronJobs.status === 'live' ? html`<tr><td colspan="9" class="empty">No CronJobs: <code>jobfleet apply -f examples/cronjob.yaml</code></td></tr>` : ''}
      </tbody>
    </table>
  </section>`;
}

function NodesPage() {
  const nodes = useWatchedList('/api/v1/nodes');
  const now = useNow();
  const items = nodes.items.slice().sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  return html`<section>
    <h1>Nodes <span class="count">${items.length}</span></h1>
    <${ListStatus} state=${nodes} what="nodes" />
    <table class="list" id="nodes">
      <thead><tr><th>Name</th><th>Status</th><th>Pods</th><th>CPUs</th><th>Memory</th><th>Heartbeat</th><th>OS/arch</th><th>Age</th></tr></thead>
      <tbody>
        ${items.map((node) => {
          const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
          const state = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
          const capacity = node.status?.capacity ?? {};
          const running = Number(node.metadata?.annotations?.['jobfleet.io/running-pods'] ?? 0);
          const pods = Number(capacity.pods ?? 0);
          const info = node.status?.nodeInfo ?? {};
          // The watch sends a node when it changes, not at each heartbeat: a Ready node heartbeats within
          // the grace period; an Unknown one stopped at its last heartbeat time.
          const heartbeat = state === 'Unknown' ? `stopped ${age(ready?.lastHeartbeatTime, now)} ago` : 'within the grace period';
          return html`<tr key=${objectKey(node)} data-node=${node.metadata.name} data-state=${state}>
            <td>${node.metadata.name}</td>
            <td><${Badge} state=${state} />${ready?.message ? html` <span class="muted small">${ready.message}</span>` : ''}</td>
            <td><div class="progress"><div class="bar"><span class="seg active" style=${{ width: `${pods ? Math.min(100, (100 * running) / pods) : 0}%` }}></span></div><span class="counts">${running}/${capacity.pods ?? '?'}</span></div></td>
            <td>${capacity.cpu ?? ''}</td>
            <td>${memory(capacity.memory)}</td>
            <td>${heartbeat}</td>
            <td>${[info.operatingSystem, info.architecture].filter(Boolean).join('/')}</td>
            <td>${age(node.metadata.creationTimestamp, now)}</td>
          </tr>`;
        })}
        ${items.length === 0 && nodes.status === 'live' ? html`<tr><td colspan="8" class="empty">No worker nodes: <code>jobfleet worker</code></td></tr>` : ''}
      </tbody>
    </table>
  </section>`;
}

function memory(quantity) {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity ?? ''));
  if (!m) return quantity ?? '';
  const bytes = Number(m[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2]] ?? 1);
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function JobPage({ ns, name }) {
  const now = useNow();
  const job = useWatchedList(`/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`, { fieldSelector: `metadata.name=${name}` });
  const pods = useWatchedList(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: `batch.kubernetes.io/job-name=${name}` });
  // The Job's events and its pods' (named after the Job): filtered here, the oldest dropped first.
  const events = useWatchedList(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {}, {
    max: MAX_EVENTS,
    evict: true,
    keep: (e) => (e.involvedObject?.kind === 'Job' && e.involvedObject?.name === name) || (e.involvedObject?.kind === 'Pod' && String(e.involvedObject?.name ?? '').startsWith(`${name}-`)),
  });
  const podItems = pods.items.slice().sort(byNewest);
  const [chosen, setChosen] = useState('');
  const shown = podItems.find((p) => p.metadata.name === chosen) ?? podItems[0];
  const containers = (shown?.spec?.containers ?? []).map((c) => c.name);
  const [container, setContainer] = useState('');
  const logContainer = containers.includes(container) ? container : containers[0];
  // A container that never ran has no log yet (the API says 400): asked for once it has started.
  const started = [...(shown?.status?.initContainerStatuses ?? []), ...(shown?.status?.containerStatuses ?? [])].some(
    (c) => c.name === logContainer && (c.state?.running || c.state?.terminated || c.lastState?.terminated),
  );
  const log = usePodLog(ns, started ? shown?.metadata?.name : undefined, containers.length > 1 ? logContainer : undefined);
  const logRef = useRef(null);
  useEffect(() => {
    const el = logRef.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [log.lines]);
  const j = job.items[0];
  const eventItems = events.items.slice().sort((a, b) => String(eventTime(a)).localeCompare(String(eventTime(b))));

  if (!j) {
    return html`<section><p><a href="#/">← Jobs</a></p><h1>${name}</h1><p class="notice">${job.status === 'live' ? `Job ${ns}/${name} was not found (deleted?).` : `Job: ${job.status}`}</p></section>`;
  }
  const spec = j.spec ?? {};
  const st = j.status ?? {};
  const state = jobState(j);
  return html`<section id="job" data-state=${state}>
    <p><a href="#/">← Jobs</a></p>
    <h1>${name} <${Badge} state=${state} /> <span class="muted small">${ns}</span></h1>
    <div class="cards">
      <div class="card wide"><h3>Progress</h3><${Progress} job=${j} /></div>
      <div class="card"><h3>Spec</h3><dl>
        <dt>Completions</dt><dd>${spec.completions ?? '<unset>'}</dd>
        <dt>Parallelism</dt><dd>${spec.parallelism ?? 1}</dd>
        <dt>Mode</dt><dd>${spec.completionMode ?? 'NonIndexed'}</dd>
        <dt>Backoff limit</dt><dd>${spec.backoffLimit ?? 6}</dd>
        ${spec.activeDeadlineSeconds !== undefined ? html`<dt>Deadline</dt><dd>${spec.activeDeadlineSeconds}s</dd>` : ''}
      </dl></div>
      <div class="card"><h3>Time</h3><dl>
        <dt>Created</dt><dd>${age(j.metadata.creationTimestamp, now)} ago</dd>
        <dt>Started</dt><dd>${st.startTime ? `${age(st.startTime, now)} ago` : '–'}</dd>
        <dt>Completed</dt><dd>${st.completionTime ? `${age(st.completionTime, now)} ago` : '–'}</dd>
        <dt>Duration</dt><dd>${st.startTime ? duration(st.startTime, st.completionTime ?? new Date(now).toISOString()) : '–'}</dd>
        ${st.completedIndexes ? html`<dt>Completed indexes</dt><dd>${st.completedIndexes}</dd>` : ''}
      </dl></div>
    </div>

    <h2>Conditions</h2>
    <table class="list" id="conditions">
      <thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Message</th><th>Since</th></tr></thead>
      <tbody>${(st.conditions ?? []).map((c) => html`<tr key=${c.type}><td>${c.type}</td><td>${c.status}</td><td>${c.reason ?? ''}</td><td class="message">${c.message ?? ''}</td><td>${age(c.lastTransitionTime, now)}</td></tr>`)}
      ${(st.conditions ?? []).length === 0 ? html`<tr><td colspan="5" class="empty">none yet</td></tr>` : ''}</tbody>
    </table>

    <h2>Pods <span class="count">${podItems.length}</span></h2>
    <${ListStatus} state=${pods} what="pods" />
    <table class="list" id="pods">
      <thead><tr><th>Name</th><th>Status</th><th>Restarts</th><th>Node</th><th>Age</th><th></th></tr></thead>
      <tbody>${podItems.map((p) => html`<tr key=${objectKey(p)} data-pod=${p.metadata.name} class=${p === shown ? 'selected' : ''}>
        <td>${p.metadata.name}</td><td><${Badge} state=${podState(p)} /></td><td>${restarts(p)}</td><td>${p.spec?.nodeName ?? ''}</td><td>${age(p.metadata.creationTimestamp, now)}</td>
        <td><button type="button" class="link" onClick=${() => setChosen(p.metadata.name)}>log</button></td></tr>`)}
      ${podItems.length === 0 ? html`<tr><td colspan="6" class="empty">no pods</td></tr>` : ''}</tbody>
    </table>

    <h2>Log ${shown ? html`<span class="muted small">${shown.metadata.name}</span>` : ''}
      ${containers.length > 1 ? html`<select value=${logContainer} onChange=${(e) => setContainer(e.currentTarget.value)}>${containers.map((c) => html`<option value=${c}>${c}</option>`)}</select>` : ''}
      <span class="muted small">${shown && !started ? 'waiting for the container to start' : log.status}</span></h2>
    <pre id="log" ref=${logRef}>${log.lines.map((line) => `${line}\n`).join('')}</pre>

    <h2>Events <span class="count">${eventItems.length}</span></h2>
    <table class="list" id="events">
      <thead><tr><th>Type</th><th>Reason</th><th>Object</th><th>Message</th><th>Age</th></tr></thead>
      <tbody>${eventItems.map((e) => html`<tr key=${objectKey(e)} class=${e.type === 'Warning' ? 'warning' : ''}>
        <td>${e.type}</td><td>${e.reason}</td><td>${`${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`}</td><td class="message">${e.message}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}</td><td>${age(eventTime(e), now)}</td></tr>`)}
      ${eventItems.length === 0 ? html`<tr><td colspan="5" class="empty">no events</td></tr>` : ''}</tbody>
    </table>
  </section>`;
}

const eventTime = (e) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '';

function TokenForm() {
  const a = useAuth();
  const [value, setValue] = useState('');
  if (!a.needed) return null;
  const submit = (e) => {
    e.preventDefault();
    setToken(value.trim());
    setValue('');
  };
  return html`<div class="overlay"><form class="token" id="token-form" onSubmit=${submit}>
    <h2>This jobfleet API wants a token</h2>
    ${a.refused ? html`<p class="error">The token was refused.</p>` : ''}
    <p>It is kept in this browser tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>.</p>
    <input type="password" name="token" autocomplete="off" placeholder="token" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} autofocus />
    <button type="submit">Use token</button>
  </form></div>`;
}

function App() {
  const hash = useHash();
  useAuth();
  let route = ['jobs'];
  try {
    route = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  } catch {}
  const [page = 'jobs', ns, name] = route;
  const tab = page === '' || page === 'jobs' ? 'jobs' : page;
  const hasToken = storedToken() !== '';
  let body;
  if (tab === 'jobs' && ns !== undefined && name !== undefined) body = html`<${JobPage} key=${`${ns}/${name}`} ns=${ns} name=${name} />`;
  else if (tab === 'cronjobs') body = html`<${CronJobsPage} />`;
  else if (tab === 'nodes') body = html`<${NodesPage} />`;
  else body = html`<${JobsPage} />`;
  return html`<header>
      <a class="brand" href="#/">jobfleet</a>
      <nav>
        <a href="#/" class=${tab === 'jobs' ? 'on' : ''}>Jobs</a>
        <a href="#/cronjobs" class=${tab === 'cronjobs' ? 'on' : ''}>CronJobs</a>
        <a href="#/nodes" class=${tab === 'nodes' ? 'on' : ''}>Nodes</a>
      </nav>
      ${hasToken ? html`<button type="button" class="forget" onClick=${() => setToken('')}>Forget token</button>` : ''}
    </header>
    <main>${body}</main>
    <${TokenForm} />`;
}

render(html`<${App} />`, document.getElementById('app'));
