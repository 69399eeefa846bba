/** A kubeconfig pointing kubectl at a jobfleet server: `KUBECONFIG=<(jobfleet kubeconfig) kubectl get jobs`. */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  namespace: string;
  token?: string;
}

const NAME = 'jobfleet';

export function buildKubeconfig({ server, namespace, token }: KubeconfigInput): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server } }],
    users: [{ name: NAME, user: token ? { token } : {} }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
    preferences: {},
  };
}

export function kubeconfigYaml(input: KubeconfigInput): string {
  return stringify(buildKubeconfig(input));
}
