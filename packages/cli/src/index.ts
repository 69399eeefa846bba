/**
 * @jobfleet/cli — the `jobfleet` command (bin: dist/bin.js) and the pure pieces behind it:
 * kubectl's Job/Pod columns (printers), Go's tabwriter layout, kubectl durations, `describe job` text.
 */
export { main } from './main.js';
export { buildProgram } from './program.js';
export * from './printers.js';
export { alignTabs, formatTable, KUBECTL_DESCRIBE_TABWRITER, KUBECTL_GET_TABWRITER, type TabwriterOptions } from './tabwriter.js';
export { parseDuration, formatDuration } from './duration.js';
export { describeJob, formatRFC1123Z, podsStatuses } from './describe.js';
export { buildKubeconfig, kubeconfigYaml } from './kubeconfig.js';
