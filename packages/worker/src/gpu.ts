/**
 * NVIDIA GPUs (the extended resource `nvidia.com/gpu`): what the host has (nvidia-smi), which pod
 * holds which device (GpuAllocator, pure), and which of a pod's devices each of its containers gets
 * (gpusPerContainer, pure, as the kubelet's device manager hands them out).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { NVIDIA_GPU_RESOURCE, isSidecar, tryParseQuantity, type Container, type Pod } from '@jobfleet/kube';

/** The resource name of an NVIDIA GPU, as NVIDIA's device plugin advertises it. */


/** How long nvidia-smi may take before the host counts as having no GPUs. */
export const DETECT_GPUS_TIMEOUT_MS = 5_000;
/** The most nvidia-smi output read: one short line a GPU. */
const DETECT_GPUS_MAX_BYTES = 64 * 1024;

export interface DetectGpusOptions {
  /** Where to look for nvidia-smi (PATH) and its environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * The host's NVIDIA GPUs by index ("0", "1", …), from `nvidia-smi --query-gpu=index
 * --format=csv,noheader` when nvidia-smi is on PATH. No nvidia-smi, a failure, a timeout or output
 * that is not one index a line: [] (a host without GPUs to offer).
 */
export async function detectGpus(options: DetectGpusOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const binary = await findOnPath('nvidia-smi', env.PATH ?? '');
  if (!binary) return [];
  const output = await new Promise<string | undefined>((resolve) => {
    execFile(
      binary,
      ['--query-gpu=index', '--format=csv,noheader'],
      { env, timeout: options.timeoutMs ?? DETECT_GPUS_TIMEOUT_MS, maxBuffer: DETECT_GPUS_MAX_BYTES, encoding: 'utf8', windowsHide: true },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
  return output === undefined ? [] : parseGpuIndexes(output);
}

/** nvidia-smi's index list: one non-negative integer a line, each once; anything else → []. */
export function parseGpuIndexes(output: string): string[] {
  const ids = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (!ids.every((id) => /^\d+$/.test(id))) return [];
  return [...new Set(ids.map((id) => String(Number(id))))];
}

async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Which pod holds which of the node's GPUs: each device goes to one pod at a time, the lowest free
 * ones first (in the order given). Pure: the worker allocates when it admits a pod and releases
 * when the pod's containers are gone.
 */
export class GpuAllocator {
  private readonly devices: readonly string[];
  private readonly byPod = new Map<string, readonly string[]>();
  private readonly held = new Set<string>();

  constructor(devices: Iterable<string>) {
    this.devices = [...new Set(devices)];
  }

  /** Devices no pod holds. */
  free(): number {
    return this.devices.length - this.held.size;
  }

  /**
   * `count` devices for the pod, or undefined when fewer are free. Idempotent: a pod that already
   * holds devices gets the same ones again (undefined if it asks for another count: a pod's
   * resources do not change). A count of 0 is [] and holds nothing.
   */
  allocate(podUid: string, count: number): string[] | undefined {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`a GPU count must be a non-negative integer, got ${count}`);
    const existing = this.byPod.get(podUid);
    if (existing) return existing.length === count ? [...existing] : undefined;
    if (count === 0) return [];
    if (count > this.free()) return undefined;
    const chosen = this.devices.filter((d) => !this.held.has(d)).slice(0, count);
    for (const d of chosen) this.held.add(d);
    this.byPod.set(podUid, chosen);
    return [...chosen];
  }

  /** The pod's devices become free (a pod that holds none: nothing happens). */
  release(podUid: string): void {
    for (const d of this.byPod.get(podUid) ?? []) this.held.delete(d);
    this.byPod.delete(podUid);
  }

  /** The devices the pod holds, undefined if none. */
  assigned(podUid: string): string[] | undefined {
    const devices = this.byPod.get(podUid);
    return devices ? [...devices] : undefined;
  }
}

/**
 * The GPUs a container asks for: its `resources.limits['nvidia.com/gpu']` (an extended resource:
 * its request, when given, equals its limit), else its request; 0 when neither. Throws for a count
 * that is not a non-negative integer (API validation refuses such pods).
 */
export function containerGpuCount(c: Pick<Container, 'name' | 'resources'>): number {
  const raw = c.resources?.limits?.[NVIDIA_GPU_RESOURCE] ?? c.resources?.requests?.[NVIDIA_GPU_RESOURCE];
  if (raw === undefined) return 0;
  const n = tryParseQuantity(raw);
  if (n === undefined || !Number.isInteger(n) || n < 0) throw new RangeError(`container ${c.name}: ${NVIDIA_GPU_RESOURCE} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The GPUs the pod needs, as the kubelet counts its effective request: enough for the app
 * containers and the native sidecars together, and for each init container with the sidecars
 * started before it (init containers run one at a time and give their devices back).
 */
export function podGpuCount(pod: Pod): number {
  let sidecars = 0;
  let initPeak = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const n = containerGpuCount(c);
    if (isSidecar(c)) sidecars += n;
    initPeak = Math.max(initPeak, sidecars + (isSidecar(c) ? 0 : n));
  }
  const apps = pod.spec.containers.reduce((sum, c) => sum + containerGpuCount(c), 0);
  return Math.max(initPeak, sidecars + apps);
}

/**
 * Each container's share of the pod's devices, as the kubelet's device manager gives them: a
 * container gets the count of its own limit; an init container that is not a sidecar takes devices
 * only while it runs (a later container may get them again), a native sidecar and the app
 * containers keep theirs, so no two containers that run together share a device. Containers that
 * ask for none are not in the map. Throws when `podDevices` has fewer than podGpuCount(pod).
 */
export function gpusPerContainer(pod: Pod, podDevices: readonly string[]): Map<string, string[]> {
  const needed = podGpuCount(pod);
  const devices = [...new Set(podDevices)];
  if (devices.length < needed) {
    throw new Error(`the pod needs ${needed} ${NVIDIA_GPU_RESOURCE} but was given ${devices.length} (${devices.join(',') || 'none'})`);
  }
  const kept = new Set<string>();
  const out = new Map<string, string[]>();
  const take = (c: Container, keep: boolean) => {
    const n = containerGpuCount(c);
    if (n === 0) return;
    const share = devices.filter((d) => !kept.has(d)).slice(0, n);
    if (keep) for (const d of share) kept.add(d);
    out.set(c.name, share);
  };
  for (const c of pod.spec.initContainers ?? []) take(c, isSidecar(c));
  for (const c of pod.spec.containers) take(c, true);
  return out;
}
