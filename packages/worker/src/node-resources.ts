/**
 * What one worker node has and has handed out: its allocatable resources, the requests of the pods
 * it holds (running, or being claimed), its GPUs by device, and its labels, taints and cordon as
 * last read from the store. The worker enforces its own capacity whatever Redis says: a pod is
 * reserved here, synchronously (no await between the check and the reservation), before its claim
 * is written, so that concurrent claims never overcommit the node.
 */
import { NVIDIA_GPU_RESOURCE, fitsNode, nodeLabelsWithSpec, nodeView, toResourceList, type Fit, type NodeSpecRecord, type NodeView, type PodSpec, type ResourceList } from '@jobfleet/kube';
import { GpuAllocator } from './gpu.js';

/** How long the node takes nothing after a pod did not fit in what is left (unless one of its pods ends first). */
const NO_ROOM_MS = 1_000;

export interface NodeCapacityInput {
  maxPods: number;
  /** Detected by the Docker Engine (NCPU, MemTotal bytes). */
  host: { cpu?: number; memory?: number };
  /** GPU device ids detected on the host (nvidia-smi). */
  gpuDevices: string[];
  /** --capacity: quantities by resource name, over what was detected. */
  overrides?: Record<string, string>;
}

/** status.capacity as the heartbeat carries it (quantities), and the GPU ids the node hands out. */
export function nodeCapacity(input: NodeCapacityInput): { capacity: Record<string, string>; gpuDevices: string[] } {
  const capacity: Record<string, string> = { pods: String(input.maxPods) };
  if (input.host.cpu !== undefined) capacity.cpu = String(input.host.cpu);
  if (input.host.memory !== undefined) capacity.memory = String(input.host.memory);
  if (input.gpuDevices.length > 0) capacity[NVIDIA_GPU_RESOURCE] = String(input.gpuDevices.length);
  Object.assign(capacity, input.overrides ?? {});
  // GPUs declared beyond those detected (or without nvidia-smi) are numbered after them.
  const gpus = toResourceList({ [NVIDIA_GPU_RESOURCE]: capacity[NVIDIA_GPU_RESOURCE] ?? '0' })[NVIDIA_GPU_RESOURCE] ?? 0;
  const gpuDevices = input.gpuDevices.slice(0, gpus);
  for (let i = 0; gpuDevices.length < gpus; i++) if (!gpuDevices.includes(String(i))) gpuDevices.push(String(i));
  return { capacity, gpuDevices };
}

interface Held {
  requests: ResourceList;
  gpus: string[];
  /** The reservation's own token: only its holder lets it go (and its GPUs are allocated under it). */
  token: string;
}

/** What a reservation answers: the reasons a pod does not fit (none: it was reserved, under `token`), or that the pod is held already. */
export type Reservation = (Fit & { gpus?: string[]; token?: string }) | 'held';

export class NodeResources {
  readonly allocatable: ResourceList;
  private readonly held = new Map<string, Held>();
  private readonly gpus: GpuAllocator;
  private spec: NodeSpecRecord = {};
  private hostLabels: Record<string, string> = {};
  /** Until when the node takes nothing (a pod did not fit in what is left), ms. */
  private noRoomUntil = 0;
  private sequence = 0;

  constructor(
    readonly nodeName: string,
    readonly capacity: Record<string, string>,
    gpuDevices: string[],
  ) {
    this.allocatable = toResourceList(capacity);
    this.gpus = new GpuAllocator(gpuDevices);
  }

  /** What the store says about this node (labels, taints, cordon), refreshed at each heartbeat. */
  follow(spec: NodeSpecRecord, hostLabels: Record<string, string>): void {
    this.spec = spec;
    this.hostLabels = hostLabels;
  }

  /** Whether the node hands out GPUs (its pods' containers are then fenced off the GPUs they were not given). */
  get hasGpus(): boolean {
    return (this.allocatable[NVIDIA_GPU_RESOURCE] ?? 0) > 0;
  }

  get maxPods(): number {
    return this.allocatable.pods ?? 0;
  }

  /** The sum of the requests of the pods held. */
  requested(): ResourceList {
    const sum: ResourceList = {};
    for (const { requests } of this.held.values()) for (const [r, v] of Object.entries(requests)) sum[r] = (sum[r] ?? 0) + v;
    return sum;
  }

  labels(): Record<string, string> {
    return nodeLabelsWithSpec({ name: this.nodeName, labels: this.hostLabels }, this.spec);
  }

  view(): NodeView {
    return nodeView({ name: this.nodeName, labels: this.hostLabels }, this.spec, this.allocatable, this.requested(), this.held.size);
  }

  /**
   * Reserves what the pod requests (and its GPUs) when it fits on this node now, under a token of
   * its own; otherwise the reasons (a pod that fits an empty node but not what is left makes the node
   * take nothing for a moment). 'held' when a pod of that key is held already (its entry came twice,
   * or a namesake still stops): the other holder goes on, this one takes nothing.
   */
  reserve(key: string, spec: PodSpec, requests: ResourceList, unchecked = false): Reservation {
    if (this.held.has(key)) return 'held';
    // `unchecked`: a pod (or node record) that cannot be read is taken asking for nothing, for admission to refuse it.
    const fit: Fit = unchecked ? { reasons: [], unresolvable: false } : fitsNode(spec, requests, this.view());
    if (fit.reasons.length > 0) {
      if (!fit.unresolvable) this.noRoomUntil = Date.now() + NO_ROOM_MS;
      return fit;
    }
    const token = `r${this.sequence++}`;
    const wanted = requests[NVIDIA_GPU_RESOURCE] ?? 0;
    // GPUs are allocated to the reservation, never to a uid a pod from Redis may lack or share.
    const gpus = wanted > 0 ? this.gpus.allocate(token, wanted) : [];
    if (!gpus) return { reasons: [`Insufficient ${NVIDIA_GPU_RESOURCE}`], unresolvable: false };
    this.held.set(key, { requests, gpus, token });
    return { reasons: [], unresolvable: false, gpus, token };
  }

  /** Lets go of a reservation (its pod ended, or its claim did not happen) if `token` still holds it; the node looks for work again. */
  release(key: string, token: string | undefined): void {
    if (token === undefined || this.held.get(key)?.token !== token) return;
    this.held.delete(key);
    this.gpus.release(token);
    this.noRoomUntil = 0;
  }

  /** How many more tasks to take now: none for a moment after a pod did not fit in what is left. */
  room(): number {
    return Date.now() < this.noRoomUntil ? 0 : Number.POSITIVE_INFINITY;
  }
}
