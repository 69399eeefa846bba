/** A kubeconfig pointing kubectl at a jobfleet server: `jobfleet kubeconfig > ~/.kube/jobfleet && kubectl --kubeconfig ~/.kube/jobfleet get jobs`. */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  /** Written as given: http:// or https://. */
  server: string;
  namespace: string;
  token?: string;
  /** PEM of the CA that signed an https server's certificate, embedded as certificate-authority-data. */
  certificateAuthority?: string | Buffer;
  insecureSkipTlsVerify?: boolean;
}

const NAME = 'jobfleet';

export function buildKubeconfig({ server, namespace, token, certificateAuthority, insecureSkipTlsVerify }: KubeconfigInput): Record<string, unknown> {
  const cluster = {
    server,
    ...(certificateAuthority === undefined ? {} : { 'certificate-authority-data': Buffer.from(certificateAuthority).toString('base64') }),
    // An http:// server has no TLS to verify; saying so is what @kubernetes/client-node requires
    // before it talks to one (kubectl and the Python client ignore it there).
    ...(insecureSkipTlsVerify || server.startsWith('http://') ? { 'insecure-skip-tls-verify': true } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster }],
    users: [{ name: NAME, user: token ? { token } : {} }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
    preferences: {},
  };
}

export function kubeconfigYaml(input: KubeconfigInput): string {
  return stringify(buildKubeconfig(input));
}
