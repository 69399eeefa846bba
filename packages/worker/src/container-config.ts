/** Pure translation of a pod's container into Docker Engine create options. */
import type Docker from 'dockerode';
import type { Container, EnvVar, Pod } from '@jobfleet/spec';
import { LABELS } from './docker.js';

export interface ContainerPlacement {
  nodeName: string;
  /** Docker network mode: "container:<infra id>" to share the pod's network namespace, or unset. */
  networkMode?: string;
  /** Pod volume name → Docker volume name. */
  volumes: Map<string, string>;
}

export function dockerName(pod: Pod, containerName: string): string {
  return `jf_${pod.metadata.namespace}_${pod.metadata.name}_${containerName}`;
}

export function podLabels(pod: Pod, nodeName: string): Record<string, string> {
  const owner = pod.metadata.ownerReferences?.[0];
  return {
    [LABELS.managed]: 'true',
    [LABELS.node]: nodeName,
    [LABELS.namespace]: pod.metadata.namespace ?? 'default',
    [LABELS.pod]: pod.metadata.name ?? '',
    [LABELS.podUid]: pod.metadata.uid ?? '',
    [LABELS.job]: owner?.name ?? '',
    [LABELS.jobUid]: owner?.uid ?? '',
  };
}

/** The downward API fields jobfleet resolves in env valueFrom.fieldRef. */
export function resolveFieldRef(pod: Pod, fieldPath: string): string | undefined {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelOrAnnotation[2] ?? ''];
  }
  const simple: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': 'default',
    'status.podIP': pod.status.podIP,
    'status.hostIP': pod.status.hostIP,
  };
  return simple[fieldPath];
}

/** Kubernetes' $(VAR) expansion in env values, command and args; $$ escapes. */
export function expandVars(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && vars.has(name) ? (vars.get(name) ?? '') : match;
  });
}

export function resolveEnv(pod: Pod, env: EnvVar[] = []): Map<string, string> {
  const vars = new Map<string, string>();
  for (const e of env) {
    const value = e.valueFrom?.fieldRef ? resolveFieldRef(pod, e.valueFrom.fieldRef.fieldPath) : expandVars(e.value ?? '', vars);
    vars.set(e.name, value ?? '');
  }
  return vars;
}

/** Kubernetes quantity → number (bytes for memory, cores for cpu). */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+(?:e[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  const n = Number(m[1]);
  const suffixes: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  const factor = suffixes[m[2] ?? ''];
  if (factor === undefined) throw new Error(`invalid quantity suffix in "${q}"`);
  return n * factor;
}

export function resourceLimits(c: Container): Pick<Docker.HostConfig, 'Memory' | 'MemorySwap' | 'NanoCpus'> {
  const limits = c.resources?.limits ?? {};
  const out: Pick<Docker.HostConfig, 'Memory' | 'MemorySwap' | 'NanoCpus'> = {};
  if (limits.memory !== undefined) {
    out.Memory = Math.floor(quantity(limits.memory));
    out.MemorySwap = out.Memory; // no swap beyond the limit, as the kubelet configures it
  }
  if (limits.cpu !== undefined) out.NanoCpus = Math.round(quantity(limits.cpu) * 1e9);
  return out;
}

export function containerCreateOptions(pod: Pod, c: Container, placement: ContainerPlacement): Docker.ContainerCreateOptions {
  const vars = resolveEnv(pod, c.env);
  const expand = (list: string[] | undefined) => list?.map((s) => expandVars(s, vars));
  const binds = (c.volumeMounts ?? []).map((m) => `${placement.volumes.get(m.name)}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
  const hostname = placement.networkMode ? undefined : (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
  return {
    name: dockerName(pod, c.name),
    Image: c.image,
    ...(c.command ? { Entrypoint: expand(c.command) } : {}),
    ...(c.args ? { Cmd: expand(c.args) } : c.command ? { Cmd: [] } : {}),
    Env: [...vars].map(([k, v]) => `${k}=${v}`),
    ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
    ...(hostname ? { Hostname: hostname } : {}),
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { ...podLabels(pod, placement.nodeName), [LABELS.container]: c.name },
    HostConfig: {
      ...resourceLimits(c),
      Binds: binds,
      RestartPolicy: { Name: 'no' },
      ...(placement.networkMode ? { NetworkMode: placement.networkMode } : {}),
    },
  };
}
