import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const RULES = 'deploy/prometheus/heartbeat.rules.yml';
const OPERATOR_RULE = 'deploy/kubernetes/heartbeat-prometheusrule.yaml';
const TESTS = 'deploy/prometheus/tests';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}
interface AlertTest {
  alertname: string;
  exp_alerts: unknown[];
}

/** promtool's output and exit code (it is Debian's `prometheus` package; .ci/run installs it). */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const rulesOf = (file: string) => (parse(readFileSync(file, 'utf8')) as { groups: Group[] }).groups;
const alerts = (groups: Group[]) => groups.flatMap(({ rules }) => rules.filter((rule) => rule.alert));

/**
 * The shipped rules, checked by a real promtool: both files (the plain rules file and the rule groups
 * of the PrometheusRule) are valid, are what scripts/deploy-rules.mjs generates, and every alert is
 * unit-tested firing and not firing (deploy/prometheus/tests/*.yml).
 */
describe('the Prometheus rules (promtool)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are what scripts/deploy-rules.mjs generates from their one source', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/deploy-rules.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('pass promtool check rules, as a rules file and as the PrometheusRule’s groups', () => {
    const plain = promtool('check', 'rules', RULES);
    expect(plain).toEqual({ status: 0, output: expect.stringContaining('SUCCESS: 9 rules found') });
    const resource = parse(readFileSync(OPERATOR_RULE, 'utf8')) as { kind: string; spec: { groups: Group[] } };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec.groups).toEqual(rulesOf(RULES));
    const extracted = join(dir, 'operator.rules.yml');
    writeFileSync(extracted, JSON.stringify({ groups: resource.spec.groups }));
    expect(promtool('check', 'rules', extracted)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('promtool check rules fails on a broken rule (the check can fail)', () => {
    const broken = join(dir, 'broken.rules.yml');
    const groups = rulesOf(RULES);
    groups[1].rules[0].expr = 'heartbeat_check_status ==';
    writeFileSync(broken, JSON.stringify({ groups }));
    expect(promtool('check', 'rules', broken).status).not.toBe(0);
  });

  it('pass their promtool unit tests', () => {
    const files = readdirSync(TESTS).filter((name) => name.endsWith('.yml'));
    expect(files.length).toBeGreaterThan(0);
    const run = promtool('test', 'rules', ...files.map((name) => join(TESTS, name)));
    expect(run.output).not.toContain('FAILED');
    expect(run.status).toBe(0);
  });

  it('unit-test every alert both firing and not firing', () => {
    const tested = readdirSync(TESTS)
      .filter((name) => name.endsWith('.yml'))
      .flatMap(
        (name) =>
          (parse(readFileSync(join(TESTS, name), 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests,
      )
      .flatMap((test) => test.alert_rule_test ?? []);
    const names = alerts(rulesOf(RULES)).map((rule) => rule.alert);
    expect(names).toHaveLength(7);
    for (const name of names) {
      const cases = tested.filter((test) => test.alertname === name);
      expect([name, cases.some((test) => test.exp_alerts.length > 0)]).toEqual([name, true]);
      expect([name, cases.some((test) => test.exp_alerts.length === 0)]).toEqual([name, true]);
    }
  });

  it('give every alert a severity, a summary, a description and a runbook section of docs/fleet-alerting.md', () => {
    const docs = readFileSync('docs/fleet-alerting.md', 'utf8');
    for (const rule of alerts(rulesOf(RULES))) {
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.any(String));
      expect(rule.annotations?.description).toMatch(/pod|Pod/);
      expect(rule.annotations?.description).toContain('reason class');
      const anchor = rule.alert!.toLowerCase();
      expect(rule.annotations?.runbook_url).toMatch(new RegExp(`/docs/fleet-alerting\\.md#${anchor}$`));
      expect(docs).toMatch(new RegExp(`^### ${rule.alert}$`, 'm'));
    }
  });
});
