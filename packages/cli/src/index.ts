/**
 * @jobfleet/cli — the `jobfleet` command (bin: dist/bin.js) and the pure pieces behind it: kubectl's
 * layout of the server's Tables, Go's tabwriter layout, kubectl durations, `describe job` text, the
 * apply patch, kubeconfig. The columns themselves come from the server (@jobfleet/kube's printers).
 */
export { main } from './main.js';
export { buildProgram } from './program.js';
export { printTable, cellText, type PrintTableOptions } from './table-printer.js';
export { alignTabs, formatTable, KUBECTL_DESCRIBE_TABWRITER, KUBECTL_GET_TABWRITER, type TabwriterOptions } from './tabwriter.js';
export { parseDuration, formatDuration } from './duration.js';
export { describeJob, formatRFC1123Z, podsStatuses } from './describe.js';
export { applyPatch, lastAppliedOf, LAST_APPLIED_ANNOTATION } from './apply-patch.js';
export { buildKubeconfig, kubeconfigYaml } from './kubeconfig.js';
export { roleOptionsFromEnv, roleSettings, workerSettingsFromEnv, type RoleSettings, type WorkerEnvSettings } from './settings.js';
