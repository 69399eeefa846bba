/** The last second formatted: most calls in a busy second ask for that one (a Job's creation makes ~30). */
let lastSecond = Number.NaN;
let lastText = '';

/** Kubernetes timestamps: RFC 3339 in UTC with whole seconds, as metav1.Time marshals them. */
export function k8sTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

export function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
