/**
 * Names every test that passed only on its retry, with the failure of the attempt before, at the end of the
 * run: `retry: 1` (vitest.config.ts) keeps a noisy shared machine from failing CI on one slow moment, and this
 * keeps that from hiding a flake. A test that fails twice fails the run as before.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class FlakyReporter implements Reporter {
  private readonly flaky: string[] = [];

  onTestCaseResult(test: TestCase): void {
    const diagnostic = test.diagnostic();
    if (!diagnostic?.flaky) return;
    const errors = (test.result().errors ?? []).map((e) => (e.message ?? String(e)).split('\n')[0]);
    this.flaky.push(`${test.module.moduleId.replace(/^.*\/src\//, 'src/')} > ${test.fullName}\n    first attempt: ${errors.join(' | ') || '(no error kept)'}`);
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>): void {
    if (this.flaky.length === 0) return;
    console.log(`\nFLAKY: ${this.flaky.length} test(s) passed only on their retry:\n${this.flaky.map((f) => `  ${f}`).join('\n')}\n`);
  }
}
