/**
 * placement.ts against the default scheduler's own tables. Cases named in quotes are ported from
 * Kubernetes (names as upstream has them):
 * - pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go: TestNodeAffinity (Filter), TestNodeAffinityPriority (raw scores)
 * - pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationFilter (1.32's reason text)
 * - pkg/scheduler/framework/plugins/noderesources/fit_test.go: TestEnoughRequests, TestNotEnoughRequests, TestRestartableInitContainers
 * - staging/src/k8s.io/component-helpers/resource/helpers_test.go: TestPodResourceRequests, TestPodRequestsAndLimitsWithoutOverhead
 * - pkg/scheduler/framework/types_test.go: TestFitError_Error
 * The others are jobfleet's.
 */
import { describe, expect, it } from 'vitest';
import {
  fitErrorMessage,
  fitsNode,
  mayPreferOtherNodes,
  nodeAffinityMatches,
  noExecuteEviction,
  podRequests,
  preferenceScores,
  toResourceList,
  toleratesTaint,
  unschedulableMessage,
  untoleratedTaint,
  type Fit,
  type FitDiagnosis,
  type NodeView,
  type ResourceList,
} from './placement.js';
import type { Affinity, Container, NodeSelectorTerm, PodSpec, Taint, Toleration } from './types.js';

const AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** A pod spec: one container without requests unless given. */
function pod(spec: Partial<PodSpec> = {}): PodSpec {
  return { containers: [{ name: 'c', image: 'busybox' }], ...spec };
}

/** A node that takes anything unless told otherwise. */
function node(view: Partial<NodeView> = {}): NodeView {
  return {
    name: 'node1',
    labels: {},
    taints: [],
    unschedulable: false,
    allocatable: { cpu: 1_000_000, memory: 2 ** 50, pods: 110 },
    requested: {},
    podCount: 0,
    ...view,
  };
}

const requiredTerms = (...terms: NodeSelectorTerm[]): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});

const filter = (spec: PodSpec, view: NodeView): Fit => fitsNode(spec, podRequests(spec), view);

describe('NodeAffinity Filter (TestNodeAffinity)', () => {
  it.each<{ name: string; pod: PodSpec; labels?: Record<string, string>; nodeName?: string; fits: boolean }>([
    { name: '"missing labels"', pod: pod({ nodeSelector: { foo: 'bar' } }), fits: false },
    { name: '"same labels"', pod: pod({ nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar' }, fits: true },
    { name: '"node labels are superset"', pod: pod({ nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar', baz: 'blah' }, fits: true },
    { name: '"node labels are subset"', pod: pod({ nodeSelector: { foo: 'bar', baz: 'blah' } }), labels: { foo: 'bar' }, fits: false },
    {
      name: '"Pod with matchExpressions using In operator that matches the existing node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar', 'value2'] }] }) }),
      labels: { foo: 'bar' },
      fits: true,
    },
    {
      name: '"Pod with matchExpressions using Gt operator that matches the existing node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'kernel-version', operator: 'Gt', values: ['0204'] }] }) }),
      labels: { 'kernel-version': '0206' },
      fits: true,
    },
    {
      name: '"Pod with matchExpressions using NotIn operator that matches the existing node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'mem-type', operator: 'NotIn', values: ['DDR', 'DDR2'] }] }) }),
      labels: { 'mem-type': 'DDR3' },
      fits: true,
    },
    {
      name: '"Pod with matchExpressions using Exists operator that matches the existing node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'GPU', operator: 'Exists' }] }) }),
      labels: { GPU: 'NVIDIA-GRID-K1' },
      fits: true,
    },
    {
      name: '"Pod with affinity that don\'t match node\'s labels won\'t schedule onto the node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['value1', 'value2'] }] }) }),
      labels: { foo: 'bar' },
      fits: false,
    },
    {
      name: '"Pod with empty MatchExpressions is not a valid value will match no objects and won\'t schedule onto the node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [] }) }),
      labels: { foo: 'bar' },
      fits: false,
    },
    { name: '"Pod with no Affinity will schedule onto a node"', pod: pod(), labels: { foo: 'bar' }, fits: true },
    { name: '"Pod with Affinity but nil NodeSelector will schedule onto a node"', pod: pod({ affinity: { nodeAffinity: {} } }), labels: { foo: 'bar' }, fits: true },
    {
      name: '"Pod with multiple matchExpressions ANDed that matches the existing node"',
      pod: pod({
        affinity: requiredTerms({
          matchExpressions: [
            { key: 'GPU', operator: 'Exists' },
            { key: 'GPU', operator: 'NotIn', values: ['AMD', 'INTER'] },
          ],
        }),
      }),
      labels: { GPU: 'NVIDIA-GRID-K1' },
      fits: true,
    },
    {
      name: '"Pod with multiple matchExpressions ANDed that doesn\'t match the existing node"',
      pod: pod({
        affinity: requiredTerms({
          matchExpressions: [
            { key: 'GPU', operator: 'Exists' },
            { key: 'GPU', operator: 'In', values: ['AMD', 'INTER'] },
          ],
        }),
      }),
      labels: { GPU: 'NVIDIA-GRID-K1' },
      fits: false,
    },
    {
      name: '"Pod with multiple NodeSelectorTerms ORed in affinity, matches the node\'s labels and will schedule onto the node"',
      pod: pod({
        affinity: requiredTerms(
          { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar', 'value2'] }] },
          { matchExpressions: [{ key: 'diffkey', operator: 'In', values: ['wrong', 'value2'] }] },
        ),
      }),
      labels: { foo: 'bar' },
      fits: true,
    },
    {
      name: '"Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node"',
      pod: pod({ nodeSelector: { foo: 'bar' }, affinity: requiredTerms({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }) }),
      labels: { foo: 'bar' },
      fits: true,
    },
    {
      name: '"Pod with an Affinity matches node\'s labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won\'t schedule onto the node"',
      pod: pod({ nodeSelector: { foo: 'bar' }, affinity: requiredTerms({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }) }),
      labels: { foo: 'barrrrrr' },
      fits: false,
    },
    {
      name: '"Pod with an invalid value in Affinity term won\'t be scheduled onto the node"',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'foo', operator: 'NotIn', values: ['invalid value: ___@#$%^'] }] }) }),
      labels: { foo: 'bar' },
      fits: false,
    },
    {
      name: '"Pod with matchFields using In operator that matches the existing node"',
      pod: pod({ affinity: requiredTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }) }),
      nodeName: 'node1',
      fits: true,
    },
    {
      name: '"Pod with matchFields using In operator that does not match the existing node"',
      pod: pod({ affinity: requiredTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }) }),
      nodeName: 'node2',
      fits: false,
    },
    {
      name: '"Pod with two terms: matchFields does not match, but matchExpressions matches"',
      pod: pod({
        affinity: requiredTerms(
          {
            matchFields: [
              { key: 'metadata.name', operator: 'In', values: ['node1'] },
              { key: 'metadata.name', operator: 'In', values: ['node2'] },
            ],
          },
          { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] },
        ),
      }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      fits: true,
    },
    {
      name: '"Pod with one term: matchFields does not match, but matchExpressions matches"',
      pod: pod({
        affinity: requiredTerms({
          matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }],
          matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }],
        }),
      }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      fits: false,
    },
    {
      name: '"Pod with one term: both matchFields and matchExpressions match"',
      pod: pod({
        affinity: requiredTerms({
          matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }],
          matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }],
        }),
      }),
      nodeName: 'node1',
      labels: { foo: 'bar' },
      fits: true,
    },
    {
      name: '"Pod with two terms: both matchFields and matchExpressions do not match"',
      pod: pod({
        affinity: requiredTerms(
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] },
          { matchExpressions: [{ key: 'foo', operator: 'In', values: ['not-match-to-bar'] }] },
        ),
      }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      fits: false,
    },
    {
      name: '"Pod with two terms of node.Name affinity"',
      pod: pod({
        affinity: requiredTerms(
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node2'] }] },
        ),
      }),
      nodeName: 'node2',
      fits: true,
    },
    {
      name: '"Pod with two conflicting mach field requirements"',
      pod: pod({
        affinity: requiredTerms({
          matchFields: [
            { key: 'metadata.name', operator: 'In', values: ['node1'] },
            { key: 'metadata.name', operator: 'In', values: ['node2'] },
          ],
        }),
      }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      fits: false,
    },
    {
      name: '"Matches node selector correctly even if PreFilter is not called"',
      pod: pod({ nodeSelector: { foo: 'bar' } }),
      labels: { foo: 'bar', baz: 'blah' },
      fits: true,
    },
    {
      name: '"Matches node affinity correctly even if PreFilter is not called"',
      pod: pod({
        affinity: requiredTerms({
          matchExpressions: [
            { key: 'GPU', operator: 'Exists' },
            { key: 'GPU', operator: 'NotIn', values: ['AMD', 'INTER'] },
          ],
        }),
      }),
      labels: { GPU: 'NVIDIA-GRID-K1' },
      fits: true,
    },
    // jobfleet's: Gt and Lt parse integers as Go's strconv.ParseInt(s, 10, 64) does.
    {
      name: 'Lt with a smaller label',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }) }),
      labels: { cores: '4' },
      fits: true,
    },
    {
      name: 'Gt against a label that is not an integer',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['1'] }] }) }),
      labels: { cores: 'many' },
      fits: false,
    },
    {
      name: 'Gt against a negative label',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'temp', operator: 'Gt', values: ['1'] }] }) }),
      labels: { temp: '-40' },
      fits: false,
    },
    {
      name: 'Gt against a label beyond int64',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'n', operator: 'Gt', values: ['1'] }] }) }),
      labels: { n: '9223372036854775808' },
      fits: false,
    },
    {
      name: 'Gt against the largest int64, exactly',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'n', operator: 'Gt', values: ['9223372036854775806'] }] }) }),
      labels: { n: '9223372036854775807' },
      fits: true,
    },
    {
      name: 'Gt with a value that is not an integer matches nothing',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'n', operator: 'Gt', values: ['1.5'] }] }) }),
      labels: { n: '2' },
      fits: false,
    },
    {
      name: 'NotIn matches a node without the label',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }) }),
      fits: true,
    },
    {
      name: 'DoesNotExist',
      pod: pod({ affinity: requiredTerms({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }) }),
      labels: { gpu: '' },
      fits: false,
    },
    {
      name: 'matchFields NotIn',
      pod: pod({ affinity: requiredTerms({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node1'] }] }) }),
      nodeName: 'node2',
      fits: true,
    },
    { name: 'required affinity without terms matches nothing', pod: pod({ affinity: requiredTerms() }), fits: false },
  ])('$name', ({ pod: spec, labels = {}, nodeName = 'node1', fits }) => {
    const view = node({ name: nodeName, labels });
    expect(nodeAffinityMatches(spec, view)).toBe(fits);
    expect(filter(spec, view)).toStrictEqual(fits ? { reasons: [], unresolvable: false } : { reasons: [AFFINITY], unresolvable: true });
  });
});

describe('TaintToleration Filter (TestTaintTolerationFilter)', () => {
  it.each<{ name: string; tolerations: Toleration[]; taints: Taint[]; want: string[] }>([
    {
      name: '"A pod having no tolerations can\'t be scheduled onto a node with nonempty taints"',
      tolerations: [],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      want: ['node(s) had untolerated taint {dedicated: user1}'],
    },
    {
      name: '"A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule"',
      tolerations: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      want: [],
    },
    {
      name: '"A pod which can\'t be scheduled on a dedicated node assigned to user2 with effect NoSchedule"',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      want: ['node(s) had untolerated taint {dedicated: user1}'],
    },
    {
      name: '"A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node"',
      tolerations: [{ key: 'foo', operator: 'Exists', effect: 'NoSchedule' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
      want: [],
    },
    {
      name: '"A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node"',
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' },
        { key: 'foo', operator: 'Exists', effect: 'NoSchedule' },
      ],
      taints: [
        { key: 'dedicated', value: 'user2', effect: 'NoSchedule' },
        { key: 'foo', value: 'bar', effect: 'NoSchedule' },
      ],
      want: [],
    },
    {
      name: '"A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn\'t match, can\'t be scheduled onto the node"',
      tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
      want: ['node(s) had untolerated taint {foo: bar}'],
    },
    {
      name: '"The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node"',
      tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
      want: [],
    },
    {
      name: '"The pod has a toleration that key and value don\'t match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node"',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }],
      want: [],
    },
    {
      name: '"The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node"',
      tolerations: [],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }],
      want: [],
    },
    // jobfleet's.
    {
      name: 'an empty key with Exists tolerates every taint',
      tolerations: [{ operator: 'Exists' }],
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', effect: 'NoExecute' },
      ],
      want: [],
    },
    {
      name: 'the first untolerated taint is reported, and a taint without a value prints an empty one',
      tolerations: [{ key: 'a', operator: 'Exists' }],
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'c', value: '3', effect: 'NoExecute' },
      ],
      want: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    },
    {
      name: 'a NoExecute taint repels too',
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
      taints: [{ key: 'k', effect: 'NoExecute' }],
      want: ['node(s) had untolerated taint {k: }'],
    },
  ])('$name', ({ tolerations, taints, want }) => {
    const spec = pod({ tolerations });
    expect(filter(spec, node({ taints }))).toStrictEqual({ reasons: want, unresolvable: want.length > 0 });
  });

  it('untoleratedTaint looks only at the effects asked for', () => {
    const taints: Taint[] = [
      { key: 'soft', effect: 'PreferNoSchedule' },
      { key: 'hard', effect: 'NoExecute' },
    ];
    expect(untoleratedTaint(taints, undefined, ['PreferNoSchedule'])).toStrictEqual(taints[0]);
    expect(untoleratedTaint(taints, undefined, ['NoSchedule'])).toBeUndefined();
    expect(untoleratedTaint(taints, [{ key: 'hard', operator: 'Exists' }], ['NoSchedule', 'NoExecute'])).toBeUndefined();
  });

  it.each<{ name: string; toleration: Toleration; taint: Taint; want: boolean }>([
    { name: 'Equal needs the same value', toleration: { key: 'k', value: 'v' }, taint: { key: 'k', value: 'w', effect: 'NoSchedule' }, want: false },
    { name: 'an empty value equals a missing one', toleration: { key: 'k', operator: 'Equal' }, taint: { key: 'k', effect: 'NoSchedule' }, want: true },
    { name: 'an empty key with Equal matches any key of that value', toleration: { value: 'v' }, taint: { key: 'k', value: 'v', effect: 'NoSchedule' }, want: true },
    { name: 'an unknown operator tolerates nothing', toleration: { key: 'k', operator: 'Lt' as 'Exists' }, taint: { key: 'k', effect: 'NoSchedule' }, want: false },
  ])('ToleratesTaint: $name', ({ toleration, taint, want }) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
  });
});

describe('NoExecute eviction (tainteviction controller: TestCreatePod, TestUpdateNodeWithMultipleTaints, getMinTolerationTime)', () => {
  const noExecute = (key: string, value?: string): Taint => ({ key, ...(value ? { value } : {}), effect: 'NoExecute' });
  const since = 1_000_000;
  it.each<[string, Toleration[] | undefined, Taint[], 'now' | number | undefined]>([
    ['no taints: stays', undefined, [], undefined],
    ['a NoSchedule taint only: stays (not this controller\'s)', undefined, [{ key: 'k', effect: 'NoSchedule' }], undefined],
    ['not tolerated: now', undefined, [noExecute('k', 'v')], 'now'],
    ['tolerated for ever: stays', [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute' }], [noExecute('k', 'v')], undefined],
    ['tolerated with another value: now', [{ key: 'k', operator: 'Equal', value: 'w', effect: 'NoExecute' }], [noExecute('k', 'v')], 'now'],
    ['tolerated for 10 s: 10 s on', [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }], [noExecute('k')], since + 10_000],
    ['a toleration of every effect counts', [{ key: 'k', operator: 'Exists', tolerationSeconds: 3 }], [noExecute('k')], since + 3_000],
    ['one taint of two not tolerated: now', [{ key: 'a', operator: 'Exists', effect: 'NoExecute' }], [noExecute('a'), noExecute('b')], 'now'],
    ['two tolerated, the smallest time wins', [{ key: 'a', operator: 'Exists', tolerationSeconds: 30 }, { key: 'b', operator: 'Exists', tolerationSeconds: 5 }], [noExecute('a'), noExecute('b')], since + 5_000],
    ['one for ever, one for 5 s: 5 s', [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists', tolerationSeconds: 5 }], [noExecute('a'), noExecute('b')], since + 5_000],
    ['a negative time counts as 0', [{ key: 'k', operator: 'Exists', tolerationSeconds: -4 }], [noExecute('k')], since],
    ['the first toleration that matches a taint is the one used', [{ operator: 'Exists' }, { key: 'k', operator: 'Exists', tolerationSeconds: 1 }], [noExecute('k')], undefined],
    ['a toleration unused (no taint of its key) sets no time', [{ key: 'other', operator: 'Exists', tolerationSeconds: 1 }, { key: 'k', operator: 'Exists' }], [noExecute('k')], undefined],
  ])('%s', (_name, tolerations, taints, expected) => {
    expect(noExecuteEviction(tolerations, taints, () => since)).toBe(expected);
  });

  it('counts each taint\'s time from when it applies to the pod: a taint tolerated for 5 s added later goes later', () => {
    const tolerations: Toleration[] = [{ key: 'a', operator: 'Exists', tolerationSeconds: 5 }, { key: 'b', operator: 'Exists', tolerationSeconds: 60 }];
    const added: Record<string, number> = { a: since + 100_000, b: since };
    expect(noExecuteEviction(tolerations, [noExecute('a'), noExecute('b')], (t) => added[t.key] ?? 0)).toBe(since + 60_000);
  });
});

describe('scores (TestNodeAffinityPriority, TestTaintTolerationScore): NodeAffinity × 2 + TaintToleration × 3', () => {
  const prefer = (weight: number, ...matchExpressions: NonNullable<NodeSelectorTerm['matchExpressions']>) => ({ weight, preference: { matchExpressions } });
  const preferred = (...terms: ReturnType<typeof prefer>[]): Affinity => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } });
  const affinity2 = preferred(
    prefer(2, { key: 'foo', operator: 'In', values: ['bar'] }),
    prefer(4, { key: 'key', operator: 'In', values: ['value'] }),
    prefer(5, { key: 'foo', operator: 'In', values: ['bar'] }, { key: 'key', operator: 'In', values: ['value'] }, { key: 'az', operator: 'In', values: ['az1'] }),
  );
  const [label1, label2, label3, label5] = [{ foo: 'bar' }, { key: 'value' }, { az: 'az1' }, { foo: 'bar', key: 'value', az: 'az1' }];
  // No taints: TaintToleration gives every node 100 (× 3 = 300); the NodeAffinity part is Kubernetes' expected list × 2.
  it.each<{ name: string; spec: PodSpec; labels: Record<string, string>[]; affinity: number[] }>([
    { name: 'all nodes are same priority as NodeAffinity is nil', spec: pod(), labels: [label1, label2, label3], affinity: [0, 0, 0] },
    { name: 'no node matches preferred scheduling requirements in NodeAffinity of pod', spec: pod({ affinity: preferred(prefer(2, { key: 'foo', operator: 'In', values: ['bar'] })) }), labels: [label2, label3, label3], affinity: [0, 0, 0] },
    { name: 'only node1 matches the preferred scheduling requirements of pod', spec: pod({ affinity: preferred(prefer(2, { key: 'foo', operator: 'In', values: ['bar'] })) }), labels: [label1, label2, label3], affinity: [100, 0, 0] },
    { name: 'all nodes matches the preferred scheduling requirements of pod but with different priorities', spec: pod({ affinity: affinity2 }), labels: [label1, label5, label2], affinity: [18, 100, 36] },
    { name: 'a term of weight 0 or without requirements counts for nothing', spec: pod({ affinity: preferred(prefer(0, { key: 'foo', operator: 'In', values: ['bar'] }), { weight: 7, preference: {} } as ReturnType<typeof prefer>) }), labels: [label1, label2], affinity: [0, 0] },
  ])('$name', ({ spec, labels, affinity }) => {
    const nodes = labels.map((l, i) => node({ name: `node${i + 1}`, labels: l }));
    expect(preferenceScores(spec, nodes)).toStrictEqual(affinity.map((a) => 2 * a + 3 * 100));
  });

  const preferNo = (key: string, value: string, effect: Taint['effect'] = 'PreferNoSchedule'): Taint => ({ key, value, effect });
  it.each<{ name: string; tolerations: Toleration[]; taints: Taint[][]; want: number[] }>([
    { name: 'node with taints tolerated by the pod, gets a higher score than those node with intolerable taints', tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }], taints: [[preferNo('foo', 'bar')], [preferNo('foo', 'blah')]], want: [100, 0] },
    { name: 'the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has', tolerations: [{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'PreferNoSchedule' }], taints: [[], [preferNo('cpu-type', 'arm64')], [preferNo('cpu-type', 'arm64'), preferNo('disk-type', 'ssd')]], want: [100, 100, 100] },
    { name: 'the more intolerable taints a node has, the lower score it gets', tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }], taints: [[], [preferNo('cpu-type', 'arm64')], [preferNo('cpu-type', 'arm64'), preferNo('disk-type', 'ssd')]], want: [100, 50, 0] },
    { name: 'only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function', tolerations: [{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'NoSchedule' }, { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'NoSchedule' }], taints: [[], [preferNo('cpu-type', 'arm64', 'NoSchedule')], [preferNo('cpu-type', 'arm64'), preferNo('disk-type', 'ssd')]], want: [100, 100, 0] },
    { name: 'Default behaviour No taints and tolerations, lands on node with no taints', tolerations: [], taints: [[], [preferNo('cpu-type', 'arm64')]], want: [100, 0] },
  ])('$name', ({ tolerations, taints, want }) => {
    const nodes = taints.map((t, i) => node({ name: `node${i + 1}`, taints: t }));
    // No preferred affinity: NodeAffinity gives every node 0; the TaintToleration part is Kubernetes' expected list × 3.
    expect(preferenceScores(pod({ tolerations }), nodes)).toStrictEqual(want.map((w) => 3 * w));
  });

  it('adds the two, weighted: a preferred zone does not outweigh an intolerable PreferNoSchedule taint', () => {
    const spec = pod({ affinity: preferred(prefer(50, { key: 'zone', operator: 'In', values: ['a'] })) });
    const nodes = [node({ name: 'a', labels: { zone: 'a' }, taints: [preferNo('spot', 'true')] }), node({ name: 'b', labels: { zone: 'b' } })];
    expect(preferenceScores(spec, nodes)).toStrictEqual([200, 300]);
  });

  it.each<{ name: string; spec: PodSpec; taints: Taint[]; want: boolean }>([
    { name: 'no preferences, no PreferNoSchedule taint: no node scores higher', spec: pod(), taints: [preferNo('x', 'y', 'NoSchedule')], want: false },
    { name: 'preferred node affinity', spec: pod({ affinity: preferred(prefer(1, { key: 'zone', operator: 'Exists' })) }), taints: [], want: true },
    { name: 'a PreferNoSchedule taint the pod does not tolerate', spec: pod(), taints: [preferNo('spot', 'true')], want: true },
    { name: 'a PreferNoSchedule taint the pod tolerates', spec: pod({ tolerations: [{ key: 'spot', operator: 'Exists' }] }), taints: [preferNo('spot', 'true')], want: false },
  ])('mayPreferOtherNodes: $name', ({ spec, taints, want }) => {
    expect(mayPreferOtherNodes(spec, node({ taints }))).toBe(want);
  });
});

describe('NodeUnschedulable and NodeName, and the order of the filters', () => {
  const cordoned = node({ unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
  it.each<{ name: string; pod: PodSpec; node: NodeView; want: Fit }>([
    { name: 'a cordoned node refuses a pod', pod: pod(), node: cordoned, want: { reasons: ['node(s) were unschedulable'], unresolvable: true } },
    {
      name: 'a pod that tolerates the unschedulable taint goes to a cordoned node',
      pod: pod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      node: cordoned,
      want: { reasons: [], unresolvable: false },
    },
    {
      name: 'another node name',
      pod: pod({ nodeName: 'node2' }),
      node: node(),
      want: { reasons: ["node(s) didn't match the requested node name"], unresolvable: true },
    },
    { name: 'its own node name', pod: pod({ nodeName: 'node1' }), node: node(), want: { reasons: [], unresolvable: false } },
    {
      name: 'unschedulable is checked before the node name, taints, affinity and resources',
      pod: pod({ nodeName: 'node2', nodeSelector: { a: 'b' } }),
      node: node({ unschedulable: true, taints: [{ key: 'x', effect: 'NoSchedule' }], podCount: 110 }),
      want: { reasons: ['node(s) were unschedulable'], unresolvable: true },
    },
    {
      name: 'taints are checked before affinity and resources',
      pod: pod({ nodeSelector: { a: 'b' } }),
      node: node({ taints: [{ key: 'x', value: 'y', effect: 'NoExecute' }], podCount: 110 }),
      want: { reasons: ['node(s) had untolerated taint {x: y}'], unresolvable: true },
    },
    {
      name: 'affinity is checked before resources',
      pod: pod({ nodeSelector: { a: 'b' } }),
      node: node({ podCount: 110 }),
      want: { reasons: [AFFINITY], unresolvable: true },
    },
  ])('$name', ({ pod: spec, node: view, want }) => {
    expect(filter(spec, view)).toStrictEqual(want);
  });
});

/** fit_test.go's builders: containers requesting milli-CPU, bytes of memory and example.com/aaa. */
interface Usage {
  milliCPU?: number;
  memory?: number;
  scalar?: Record<string, number>;
}
const EXTENDED_A = 'example.com/aaa';
const EXTENDED_B = 'example.com/bbb';

function containerFor(usage: Usage, i: number, prefix: string): Container {
  const requests: Record<string, string | number> = {};
  if (usage.milliCPU) requests.cpu = `${usage.milliCPU}m`;
  if (usage.memory) requests.memory = usage.memory;
  Object.assign(requests, usage.scalar ?? {});
  return { name: `${prefix}${i}`, image: 'busybox', resources: { requests } };
}
function newResourcePod(...usage: Usage[]): PodSpec {
  return { containers: usage.map((u, i) => containerFor(u, i, 'c')) };
}
function newResourceInitPod(spec: PodSpec, ...usage: Usage[]): PodSpec {
  return { ...spec, initContainers: usage.map((u, i) => containerFor(u, i, 'init')) };
}
/** makeAllocatableResources(milliCPU, memory, pods, extendedA, storage, hugePageA). */
function allocatable(milliCPU: number, memory: number, pods: number, extendedA: number, storage: number): ResourceList {
  return { cpu: milliCPU, memory, pods, [EXTENDED_A]: extendedA, 'ephemeral-storage': storage, 'hugepages-2Mi': 5 };
}
/** A node running one pod (framework.NewNodeInfo(newResourcePod(existing))). */
function nodeRunning(existing: PodSpec, alloc: ResourceList): NodeView {
  return node({ allocatable: alloc, requested: podRequests(existing), podCount: 1 });
}

describe('NodeResourcesFit (TestEnoughRequests, TestNotEnoughRequests)', () => {
  const insufficient = (...names: string[]) => names.map((n) => `Insufficient ${n}`);
  it.each<{ name: string; pod: PodSpec; existing: PodSpec; want: string[]; unresolvable?: boolean }>([
    { name: '"no resources requested always fits"', pod: pod(), existing: newResourcePod({ milliCPU: 10, memory: 20 }), want: [] },
    {
      name: '"too many resources fails"',
      pod: newResourcePod({ milliCPU: 1, memory: 1 }),
      existing: newResourcePod({ milliCPU: 10, memory: 20 }),
      want: insufficient('cpu', 'memory'),
    },
    {
      name: '"too many resources fails due to init container cpu"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 3, memory: 1 }),
      existing: newResourcePod({ milliCPU: 8, memory: 19 }),
      want: insufficient('cpu'),
    },
    {
      name: '"too many resources fails due to highest init container cpu"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 3, memory: 1 }, { milliCPU: 2, memory: 1 }),
      existing: newResourcePod({ milliCPU: 8, memory: 19 }),
      want: insufficient('cpu'),
    },
    {
      name: '"too many resources fails due to init container memory"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 1, memory: 3 }),
      existing: newResourcePod({ milliCPU: 9, memory: 19 }),
      want: insufficient('memory'),
    },
    {
      name: '"too many resources fails due to highest init container memory"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 1, memory: 3 }, { milliCPU: 1, memory: 2 }),
      existing: newResourcePod({ milliCPU: 9, memory: 19 }),
      want: insufficient('memory'),
    },
    {
      name: '"init container fits because it\'s the max, not sum, of containers and init containers"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 1, memory: 1 }),
      existing: newResourcePod({ milliCPU: 9, memory: 19 }),
      want: [],
    },
    {
      name: '"multiple init containers fit because it\'s the max, not sum, of containers and init containers"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 1, memory: 1 }), { milliCPU: 1, memory: 1 }, { milliCPU: 1, memory: 1 }),
      existing: newResourcePod({ milliCPU: 9, memory: 19 }),
      want: [],
    },
    { name: '"both resources fit"', pod: newResourcePod({ milliCPU: 1, memory: 1 }), existing: newResourcePod({ milliCPU: 5, memory: 5 }), want: [] },
    {
      name: '"one resource memory fits"',
      pod: newResourcePod({ milliCPU: 2, memory: 1 }),
      existing: newResourcePod({ milliCPU: 9, memory: 5 }),
      want: insufficient('cpu'),
    },
    {
      name: '"one resource cpu fits"',
      pod: newResourcePod({ milliCPU: 1, memory: 2 }),
      existing: newResourcePod({ milliCPU: 5, memory: 19 }),
      want: insufficient('memory'),
    },
    { name: '"equal edge case"', pod: newResourcePod({ milliCPU: 5, memory: 1 }), existing: newResourcePod({ milliCPU: 5, memory: 19 }), want: [] },
    {
      name: '"equal edge case for init container"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 4, memory: 1 }), { milliCPU: 5, memory: 1 }),
      existing: newResourcePod({ milliCPU: 5, memory: 19 }),
      want: [],
    },
    { name: '"extended resource fits"', pod: newResourcePod({ scalar: { [EXTENDED_A]: 1 } }), existing: newResourcePod({}), want: [] },
    {
      name: '"extended resource fits for init container"',
      pod: newResourceInitPod(newResourcePod({}), { scalar: { [EXTENDED_A]: 1 } }),
      existing: newResourcePod({}),
      want: [],
    },
    {
      name: '"extended resource capacity enforced"',
      pod: newResourcePod({ milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 10 } }),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 0 } }),
      want: insufficient(EXTENDED_A),
      unresolvable: true,
    },
    {
      name: '"extended resource capacity enforced for init container"',
      pod: newResourceInitPod(newResourcePod({}), { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 10 } }),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 0 } }),
      want: insufficient(EXTENDED_A),
      unresolvable: true,
    },
    {
      name: '"extended resource allocatable enforced"',
      pod: newResourcePod({ milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 1 } }),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 5 } }),
      want: insufficient(EXTENDED_A),
    },
    {
      name: '"extended resource allocatable enforced for init container"',
      pod: newResourceInitPod(newResourcePod({}), { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 1 } }),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 5 } }),
      want: insufficient(EXTENDED_A),
    },
    {
      name: '"extended resource allocatable enforced for multiple containers"',
      pod: newResourcePod({ milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 3 } }, { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 3 } }),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 2 } }),
      want: insufficient(EXTENDED_A),
      unresolvable: true,
    },
    {
      name: '"extended resource allocatable admits multiple init containers"',
      pod: newResourceInitPod(
        newResourcePod({}),
        { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 3 } },
        { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 3 } },
      ),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 2 } }),
      want: [],
    },
    {
      name: '"extended resource allocatable enforced for multiple init containers"',
      pod: newResourceInitPod(
        newResourcePod({}),
        { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 6 } },
        { milliCPU: 1, memory: 1, scalar: { [EXTENDED_A]: 3 } },
      ),
      existing: newResourcePod({ scalar: { [EXTENDED_A]: 2 } }),
      want: insufficient(EXTENDED_A),
      unresolvable: true,
    },
    {
      name: '"extended resource allocatable enforced for unknown resource"',
      pod: newResourcePod({ milliCPU: 1, memory: 1, scalar: { [EXTENDED_B]: 1 } }),
      existing: newResourcePod({}),
      want: insufficient(EXTENDED_B),
      unresolvable: true,
    },
    {
      name: '"extended resource allocatable enforced for unknown resource for init container"',
      pod: newResourceInitPod(newResourcePod({}), { milliCPU: 1, memory: 1, scalar: { [EXTENDED_B]: 1 } }),
      existing: newResourcePod({}),
      want: insufficient(EXTENDED_B),
      unresolvable: true,
    },
    {
      name: 'nvidia.com/gpu, which the node lacks (jobfleet)',
      pod: newResourcePod({ milliCPU: 1, scalar: { 'nvidia.com/gpu': 1 } }),
      existing: newResourcePod({}),
      want: insufficient('nvidia.com/gpu'),
      unresolvable: true,
    },
  ])('$name', ({ pod: spec, existing, want, unresolvable = false }) => {
    const view = nodeRunning(existing, allocatable(10, 20, 32, 5, 20));
    expect(filter(spec, view)).toStrictEqual({ reasons: want, unresolvable: want.length > 0 && unresolvable });
  });

  it.each<{ name: string; pod: PodSpec; existing: PodSpec }>([
    { name: '"even without specified resources, predicate fails when there\'s no space for additional pod"', pod: pod(), existing: newResourcePod({ milliCPU: 10, memory: 20 }) },
    {
      name: '"even if both resources fit, predicate fails when there\'s no space for additional pod"',
      pod: newResourcePod({ milliCPU: 1, memory: 1 }),
      existing: newResourcePod({ milliCPU: 5, memory: 5 }),
    },
    {
      name: '"even for equal edge case, predicate fails when there\'s no space for additional pod"',
      pod: newResourcePod({ milliCPU: 5, memory: 1 }),
      existing: newResourcePod({ milliCPU: 5, memory: 19 }),
    },
    {
      name: '"even for equal edge case, predicate fails when there\'s no space for additional pod due to init container"',
      pod: newResourceInitPod(newResourcePod({ milliCPU: 5, memory: 1 }), { milliCPU: 5, memory: 1 }),
      existing: newResourcePod({ milliCPU: 5, memory: 19 }),
    },
  ])('$name', ({ pod: spec, existing }) => {
    const view = nodeRunning(existing, allocatable(10, 20, 1, 0, 0));
    expect(filter(spec, view)).toStrictEqual({ reasons: ['Too many pods'], unresolvable: false });
  });

  it('"Too many pods" comes first, and a node that allows no pods can never take one', () => {
    const view = node({ allocatable: { cpu: 1, pods: 0 }, podCount: 0 });
    expect(filter(newResourcePod({ milliCPU: 2 }), view)).toStrictEqual({ reasons: ['Too many pods', 'Insufficient cpu'], unresolvable: true });
  });

  it('a request of 0 needs nothing, even on an overcommitted node', () => {
    const view = node({ allocatable: { cpu: 1000, memory: 100, pods: 10, [EXTENDED_A]: 0 }, requested: { cpu: 2000, memory: 200 } });
    expect(filter(newResourcePod({ scalar: { memory: 0, [EXTENDED_A]: 0 } }), view)).toStrictEqual({ reasons: [], unresolvable: false });
  });
});

describe('sidecars (TestRestartableInitContainers)', () => {
  /** newPodWithRestartableInitContainers(request, sidecarRequest) with cpu in millicores. */
  function withSidecar(request?: number, sidecarRequest?: number): PodSpec {
    const resources = (m?: number) => (m === undefined ? {} : { resources: { requests: { cpu: `${m}m` } } });
    return {
      containers: [{ name: 'regular', image: 'busybox', ...resources(request) }],
      initContainers: [{ name: 'restartable-init', image: 'busybox', restartPolicy: 'Always', ...resources(sidecarRequest) }],
    };
  }
  // makeAllocatableResources(2, 0, 1, 0, 0, 0) on an empty node.
  const view = node({ allocatable: allocatable(2, 0, 1, 0, 0), requested: {}, podCount: 0 });
  it.each<{ name: string; pod: PodSpec; want: string[] }>([
    { name: '"allow pod with restartable init containers if sidecar containers is enabled"', pod: withSidecar(), want: [] },
    { name: '"allow pod if the total requested resources do not exceed the node\'s allocatable resources"', pod: withSidecar(1, 1), want: [] },
    { name: '"not allow pod if the total requested resources do exceed the node\'s allocatable resources"', pod: withSidecar(1, 2), want: ['Insufficient cpu'] },
  ])('$name', ({ pod: spec, want }) => {
    expect(filter(spec, view).reasons).toStrictEqual(want);
  });
});

describe('podRequests (TestPodResourceRequests, TestPodRequestsAndLimitsWithoutOverhead)', () => {
  const c = (name: string, requests: Record<string, string>, extra: Partial<Container> = {}): Container => ({
    name,
    image: 'busybox',
    resources: { requests },
    ...extra,
  });
  const sidecar = (name: string, cpu: string) => c(name, { cpu }, { restartPolicy: 'Always' });
  it.each<{ name: string; pod: PodSpec; want: ResourceList }>([
    {
      name: '"nil options, larger init container"',
      pod: { initContainers: [c('i', { cpu: '4' })], containers: [c('c', { cpu: '1' })] },
      want: { cpu: 4000 },
    },
    {
      name: '"nil options, larger containers"',
      pod: { initContainers: [c('i', { cpu: '2' })], containers: [c('c1', { cpu: '2' }), c('c2', { cpu: '3' })] },
      want: { cpu: 5000 },
    },
    {
      name: '"restartable init container"',
      pod: { initContainers: [sidecar('restartable-init-1', '1')], containers: [c('container-1', { cpu: '1' })] },
      want: { cpu: 2000 },
    },
    {
      name: '"multiple restartable init containers"',
      pod: {
        initContainers: [c('init-1', { cpu: '5' }), sidecar('restartable-init-1', '1'), sidecar('restartable-init-2', '2'), sidecar('restartable-init-3', '3')],
        containers: [c('container-1', { cpu: '1' })],
      },
      want: { cpu: 7000 },
    },
    {
      name: '"multiple restartable and regular init containers"',
      pod: {
        initContainers: [
          c('init-1', { cpu: '5' }),
          sidecar('restartable-init-1', '1'),
          sidecar('restartable-init-2', '2'),
          c('init-2', { cpu: '5' }),
          sidecar('restartable-init-3', '3'),
        ],
        containers: [c('container-1', { cpu: '1' })],
      },
      want: { cpu: 8000 },
    },
    {
      name: '"restartable-init, init and regular"',
      pod: { initContainers: [sidecar('restartable-init-1', '10'), c('init-1', { cpu: '200' })], containers: [c('container-1', { cpu: '100' })] },
      want: { cpu: 210_000 },
    },
    {
      name: '"two container no overhead - should just be sum of containers"',
      pod: { containers: [c('foobar', { cpu: '1', memory: '5' }), c('foobar2', { cpu: '4', memory: '12' })] },
      want: { cpu: 5000, memory: 17 },
    },
    {
      // Upstream has an overhead too, which PodResourcesOptions{ExcludeOverhead: true} leaves out; jobfleet has none.
      name: '"two container with overhead, massive init - should just be the largest init"',
      pod: {
        containers: [c('foobar', { cpu: '1', memory: '5' }), c('foobar2', { cpu: '4', memory: '12' })],
        initContainers: [c('small-init', { cpu: '1', memory: '5' }), c('big-init', { cpu: '40', memory: '120' })],
      },
      want: { cpu: 40_000, memory: 120 },
    },
    // jobfleet's: the API server's defaulting, which the requests of a stored pod already have.
    {
      name: 'a limit without a request counts as the request',
      pod: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '2', 'nvidia.com/gpu': 1 }, requests: { memory: '1Gi' } } }] },
      want: { cpu: 2000, memory: 2 ** 30, 'nvidia.com/gpu': 1 },
    },
    {
      name: 'a request below its limit is the request',
      pod: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '2' }, requests: { cpu: '250m' } } }] },
      want: { cpu: 250 },
    },
    { name: 'no requests at all', pod: { containers: [{ name: 'c', image: 'busybox' }] }, want: {} },
  ])('$name', ({ pod: spec, want }) => {
    expect(podRequests(spec)).toStrictEqual(want);
  });
});

describe('toResourceList', () => {
  it('converts to millicores, bytes and counts, rounding up as Kubernetes does', () => {
    expect(toResourceList({ cpu: '1.1', memory: '1.5Gi', 'ephemeral-storage': '1k', 'nvidia.com/gpu': 2, pods: '110' })).toStrictEqual({
      cpu: 1100,
      memory: 1.5 * 2 ** 30,
      'ephemeral-storage': 1000,
      'nvidia.com/gpu': 2,
      pods: 110,
    });
    expect(toResourceList({ cpu: '0.0001', memory: '0.5' })).toStrictEqual({ cpu: 1, memory: 1 });
    expect(toResourceList({ cpu: 0.7, memory: '100m' })).toStrictEqual({ cpu: 700, memory: 1 });
    expect(toResourceList(undefined)).toStrictEqual({});
  });

  it('throws on a malformed quantity', () => {
    expect(() => toResourceList({ cpu: 'lots' })).toThrow(/quantities must match/);
  });
});

describe('FitError.Error() (TestFitError_Error)', () => {
  const three = (...reasons: string[]) => reasons.map((r) => [r]);
  it.each<{ name: string; numAllNodes: number; reasons: string[][]; diagnosis?: FitDiagnosis; want: string }>([
    {
      name: '"nodes failed Prefilter plugin"',
      numAllNodes: 3,
      reasons: three('Node(s) failed PreFilter plugin FalsePreFilter', 'Node(s) failed PreFilter plugin FalsePreFilter', 'Node(s) failed PreFilter plugin FalsePreFilter'),
      diagnosis: { preFilterMsg: 'Node(s) failed PreFilter plugin FalsePreFilter' },
      want: '0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter.',
    },
    {
      name: '"nodes failed Prefilter plugin and the preemption also failed"',
      numAllNodes: 3,
      reasons: three('Node(s) failed PreFilter plugin FalsePreFilter', 'Node(s) failed PreFilter plugin FalsePreFilter', 'Node(s) failed PreFilter plugin FalsePreFilter'),
      diagnosis: { preFilterMsg: 'Node(s) failed PreFilter plugin FalsePreFilter', postFilterMsg: 'Error running PostFilter plugin FailedPostFilter' },
      want: '0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter. Error running PostFilter plugin FailedPostFilter',
    },
    {
      name: '"nodes failed one Filter plugin with an empty PostFilterMsg"',
      numAllNodes: 3,
      reasons: three('Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1'),
      want: '0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1.',
    },
    {
      name: '"nodes failed one Filter plugin with a non-empty PostFilterMsg"',
      numAllNodes: 3,
      reasons: three('Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1'),
      diagnosis: { postFilterMsg: 'Error running PostFilter plugin FailedPostFilter' },
      want: '0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1. Error running PostFilter plugin FailedPostFilter',
    },
    {
      name: '"nodes failed two Filter plugins with an empty PostFilterMsg"',
      numAllNodes: 3,
      reasons: three('Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-2'),
      want: '0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) failed Filter plugin FalseFilter-1.',
    },
    {
      name: '"nodes failed two Filter plugins with a non-empty PostFilterMsg"',
      numAllNodes: 3,
      reasons: three('Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-1', 'Node(s) failed Filter plugin FalseFilter-2'),
      diagnosis: { postFilterMsg: 'Error running PostFilter plugin FailedPostFilter' },
      want: '0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) failed Filter plugin FalseFilter-1. Error running PostFilter plugin FailedPostFilter',
    },
    {
      name: '"failed to Permit on node"',
      numAllNodes: 1,
      reasons: three('Node failed Permit plugin Permit-1'),
      want: '0/1 nodes are available: 1 Node failed Permit plugin Permit-1.',
    },
    {
      name: '"failed to Reserve on node"',
      numAllNodes: 1,
      reasons: three('Node failed Reserve plugin Reserve-1'),
      want: '0/1 nodes are available: 1 Node failed Reserve plugin Reserve-1.',
    },
  ])('$name', ({ numAllNodes, reasons, diagnosis, want }) => {
    expect(fitErrorMessage(numAllNodes, reasons, diagnosis)).toBe(want);
  });
});

describe('unschedulableMessage: the default scheduler\'s message with its preemption part', () => {
  it.each<{ name: string; nodeCount: number; reasons: string[][]; want: string }>([
    { name: 'no nodes at all', nodeCount: 0, reasons: [], want: 'no nodes available to schedule pods' },
    {
      name: 'one node short of cpu',
      nodeCount: 1,
      reasons: [['Insufficient cpu']],
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    },
    {
      name: 'a taint and affinity: preemption cannot help',
      nodeCount: 3,
      reasons: [['node(s) had untolerated taint {node-role.kubernetes.io/master: }'], [AFFINITY], [AFFINITY]],
      want:
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    },
    {
      name: 'resources on some nodes, affinity on others',
      nodeCount: 3,
      reasons: [['Insufficient cpu', 'Insufficient memory'], ['Insufficient cpu'], [AFFINITY]],
      want:
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. " +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    },
    {
      name: 'counts sort as text, as Go sorts them: 10 before 2',
      nodeCount: 12,
      reasons: [...Array.from({ length: 10 }, () => ['Too many pods']), ['node(s) were unschedulable'], ['node(s) were unschedulable']],
      want:
        '0/12 nodes are available: 10 Too many pods, 2 node(s) were unschedulable. ' +
        'preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    },
    {
      name: 'nodes without reasons count in the total, and preemption cannot help on them',
      nodeCount: 3,
      reasons: [["node(s) didn't match the requested node name"]],
      want:
        "0/3 nodes are available: 1 node(s) didn't match the requested node name. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    },
    {
      name: 'an extended resource',
      nodeCount: 2,
      reasons: [['Insufficient nvidia.com/gpu'], ['Too many pods', 'Insufficient nvidia.com/gpu']],
      want:
        '0/2 nodes are available: 1 Too many pods, 2 Insufficient nvidia.com/gpu. ' +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    },
  ])('$name', ({ nodeCount, reasons, want }) => {
    expect(unschedulableMessage(nodeCount, reasons)).toBe(want);
  });

  it('composes with fitsNode', () => {
    const spec = pod({ containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': 1 } } }], tolerations: [{ key: 'gpu', operator: 'Exists' }] });
    const requests = podRequests(spec);
    const nodes: NodeView[] = [
      node({ name: 'a', allocatable: { pods: 10, 'nvidia.com/gpu': 1 }, requested: { 'nvidia.com/gpu': 1 }, podCount: 1, taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
      node({ name: 'b', allocatable: { pods: 10 }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      node({ name: 'c', unschedulable: true }),
    ];
    const fits = nodes.map((n) => fitsNode(spec, requests, n));
    expect(fits.map((f) => f.unresolvable)).toStrictEqual([false, true, true]);
    expect(unschedulableMessage(nodes.length, fits.map((f) => f.reasons))).toBe(
      '0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable. ' +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
  });
});
