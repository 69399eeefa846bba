/** Pure translation of a pod's container into Docker Engine create options. */
import type Docker from 'dockerode';
import type { Container, EnvVar, Pod } from '@jobfleet/kube';
import { LABELS } from './docker.js';

export interface ContainerPlacement {
  nodeName: string;
  /** Docker network mode: "container:<infra id>" to share the pod's network namespace, or unset. */
  networkMode?: string;
  /** Pod volume name → Docker volume name. */
  volumes: Map<string, string>;
  /** Image → the user its config names (Docker's `Config.User`, "" for root), for runAsGroup without runAsUser. */
  imageUsers?: ReadonlyMap<string, string>;
  /**
   * The pod's NVIDIA GPU device ids by container name (gpusPerContainer of gpu.ts). Set on a node
   * that hands out GPUs, also for a pod that got none: its containers are then fenced off them.
   */
  gpus?: ReadonlyMap<string, readonly string[]>;
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

/**
 * Docker's `User` for the container's effective runAsUser / runAsGroup (the container's own, else
 * the pod's), or undefined to keep the image's. With a group but no user the image's user keeps
 * running (root if the image names none), in the given group, as the kubelet does.
 */
export function effectiveUser(pod: Pod, c: Container, imageUser = ''): string | undefined {
  const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
  if (uid === undefined && gid === undefined) return undefined;
  const user = uid !== undefined ? String(uid) : imageUser.split(':')[0] || '0';
  return gid === undefined ? user : `${user}:${gid}`;
}

/**
 * The kubelet's verifyRunAsNonRoot: with runAsNonRoot the container must not run as uid 0, and the
 * image's user must be numeric when no runAsUser says who it runs as. Returns why not, or undefined.
 */
export function verifyRunAsNonRoot(pod: Pod, c: Container, imageUser: string): string | undefined {
  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
  if (nonRoot !== true) return undefined;
  const where = `(pod: "${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})", container: ${c.name})`;
  const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  if (uid !== undefined) return uid === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  const user = imageUser.split(':')[0] ?? '';
  if (user === '' || /^0+$/.test(user)) return `container has runAsNonRoot and image will run as root ${where}`;
  if (!/^[0-9]+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`;
  return undefined;
}

/** What a container's securityContext and its pod's host namespaces ask of Docker. */
export function securityHostConfig(pod: Pod, c: Container): Docker.HostConfig {
  const sc = c.securityContext ?? {};
  const add = sc.capabilities?.add ?? [];
  const drop = sc.capabilities?.drop ?? [];
  return {
    ...(sc.privileged === true ? { Privileged: true } : {}),
    ...(add.length > 0 ? { CapAdd: [...add] } : {}),
    ...(drop.length > 0 ? { CapDrop: [...drop] } : {}),
    ...(sc.readOnlyRootFilesystem === true ? { ReadonlyRootfs: true } : {}),
    ...(sc.allowPrivilegeEscalation === false ? { SecurityOpt: ['no-new-privileges'] } : {}),
    ...(pod.spec.hostPID === true ? { PidMode: 'host' } : {}),
    ...(pod.spec.hostIPC === true ? { IpcMode: 'host' } : {}),
  };
}

/** Host types Docker checks by itself: a bind mount of a missing path fails the container. */
const MUST_EXIST_HOST_PATH_TYPES = new Set(['Directory', 'File', 'Socket', 'CharDevice', 'BlockDevice']);

/**
 * The container's volume mounts: Docker volumes (emptyDir) and host paths as `Binds` (Docker
 * creates a missing directory: hostPath types "" and DirectoryOrCreate), host paths that must
 * exist as `Mounts` of type bind (Docker refuses a missing source; it does not check its kind).
 */
export function volumeMounts(pod: Pod, c: Container, placement: ContainerPlacement): Pick<Docker.HostConfig, 'Binds' | 'Mounts'> {
  const binds: string[] = [];
  const mounts: Docker.MountSettings[] = [];
  for (const m of c.volumeMounts ?? []) {
    const hostPath = pod.spec.volumes?.find((v) => v.name === m.name)?.hostPath;
    if (!hostPath) {
      binds.push(`${placement.volumes.get(m.name)}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
      continue;
    }
    const source = m.subPath ? `${hostPath.path.replace(/\/+$/, '')}/${m.subPath}` : hostPath.path;
    if (MUST_EXIST_HOST_PATH_TYPES.has(hostPath.type ?? '')) mounts.push({ Type: 'bind', Source: source, Target: m.mountPath, ReadOnly: m.readOnly === true });
    else binds.push(`${source}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
  }
  return { Binds: binds, ...(mounts.length > 0 ? { Mounts: mounts } : {}) };
}

/** The NVIDIA container toolkit's variables: which devices, and which driver parts (libraries, tools). */
export const NVIDIA_VISIBLE_DEVICES = 'NVIDIA_VISIBLE_DEVICES';
export const NVIDIA_DRIVER_CAPABILITIES = 'NVIDIA_DRIVER_CAPABILITIES';
/** What a container given GPUs gets when its env does not say: CUDA and nvidia-smi, as the CUDA images ask. */
export const DEFAULT_NVIDIA_DRIVER_CAPABILITIES = 'compute,utility';

/**
 * A container's GPUs: the devices it was given (placement.gpus) as a Docker device request of the
 * nvidia driver (what `docker run --gpus '"device=0,1"'` sends), with NVIDIA_VISIBLE_DEVICES naming
 * them (whatever the container's env said) and NVIDIA_DRIVER_CAPABILITIES compute,utility unless
 * its env sets it. Returns the env to use (a copy when changed) and the HostConfig fields to add.
 *
 * A container given no GPU gets no device request. But the NVIDIA container toolkit reads only the
 * environment: where Docker's default runtime is `nvidia` (a common GPU host setup), any container
 * whose env says NVIDIA_VISIBLE_DEVICES=all gets every GPU of the host, and the CUDA images set just
 * that in their ENV. Kubernetes lets this happen (NVIDIA's device plugin documents that a pod that
 * requests no GPU sees them all; kubernetes/kubernetes#59629, NVIDIA/k8s-device-plugin#61); its
 * remedy needs the toolkit's accept-nvidia-visible-devices-envvar-when-unprivileged=false and the
 * plugin's volume-mounts strategy, which Docker's device requests do not use. So jobfleet sets
 * NVIDIA_VISIBLE_DEVICES=void (the toolkit then acts as plain runc: no device, no driver; "none"
 * would still mount the driver) for a container without GPUs when the node hands out GPUs
 * (placement.gpus set: this overrides the image's ENV too), and on any node when the container's
 * own env sets NVIDIA_VISIBLE_DEVICES. A container without GPUs on a node without GPUs that does not
 * mention the variable gets nothing added. A privileged container sees the host's /dev regardless.
 */
export function gpuConfig(c: Container, env: Map<string, string>, placement: ContainerPlacement): { env: Map<string, string>; hostConfig: Pick<Docker.HostConfig, 'DeviceRequests'> } {
  const devices = placement.gpus?.get(c.name) ?? [];
  if (devices.length > 0) {
    const out = new Map(env);
    out.set(NVIDIA_VISIBLE_DEVICES, devices.join(','));
    if (!out.has(NVIDIA_DRIVER_CAPABILITIES)) out.set(NVIDIA_DRIVER_CAPABILITIES, DEFAULT_NVIDIA_DRIVER_CAPABILITIES);
    return { env: out, hostConfig: { DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: [...devices], Capabilities: [['gpu']] }] } };
  }
  if (placement.gpus === undefined && !env.has(NVIDIA_VISIBLE_DEVICES)) return { env, hostConfig: {} };
  const out = new Map(env);
  out.set(NVIDIA_VISIBLE_DEVICES, 'void');
  return { env: out, hostConfig: {} };
}

/** The infra container that holds a multi-container pod's network namespace (the host's with hostNetwork). */
export function infraCreateOptions(pod: Pod, labels: Record<string, string>, pauseImage: string): Docker.ContainerCreateOptions {
  const hostNetwork = pod.spec.hostNetwork === true;
  return {
    name: `jf_${pod.metadata.namespace}_${pod.metadata.name}_POD`,
    Image: pauseImage,
    Entrypoint: ['sleep'],
    Cmd: ['2147483647'],
    ...(hostNetwork ? {} : { Hostname: (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63) }),
    Labels: { ...labels, [LABELS.container]: 'POD' },
    HostConfig: { RestartPolicy: { Name: 'no' }, ...(hostNetwork ? { NetworkMode: 'host' } : {}) },
  };
}

export function containerCreateOptions(pod: Pod, c: Container, placement: ContainerPlacement): Docker.ContainerCreateOptions {
  const vars = resolveEnv(pod, c.env);
  const gpus = gpuConfig(c, vars, placement);
  const expand = (list: string[] | undefined) => list?.map((s) => expandVars(s, vars));
  const hostNetwork = pod.spec.hostNetwork === true;
  // A container in the host's network namespace (or the infra container's) has that namespace's host name.
  const networkMode = placement.networkMode ?? (hostNetwork ? 'host' : undefined);
  const hostname = networkMode ? undefined : (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
  const user = effectiveUser(pod, c, placement.imageUsers?.get(c.image));
  return {
    name: dockerName(pod, c.name),
    Image: c.image,
    ...(c.command ? { Entrypoint: expand(c.command) } : {}),
    ...(c.args ? { Cmd: expand(c.args) } : c.command ? { Cmd: [] } : {}),
    Env: [...gpus.env].map(([k, v]) => `${k}=${v}`),
    ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
    ...(hostname ? { Hostname: hostname } : {}),
    ...(user !== undefined ? { User: user } : {}),
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { ...podLabels(pod, placement.nodeName), [LABELS.container]: c.name },
    HostConfig: {
      ...resourceLimits(c),
      ...volumeMounts(pod, c, placement),
      RestartPolicy: { Name: 'no' },
      ...(networkMode ? { NetworkMode: networkMode } : {}),
      ...securityHostConfig(pod, c),
      ...gpus.hostConfig,
    },
  };
}
