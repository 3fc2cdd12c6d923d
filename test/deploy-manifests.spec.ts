import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/*
 * The Kubernetes manifests (sample/k8s, deploy/kubernetes), checked against the parts of the API
 * schemas they use: kubeconform cannot be installed from npm or Debian here, so this is the check.
 * Unknown keys fail, as kubeconform's strict mode does: a misspelt field is silently ignored by the
 * API server otherwise.
 */

type Json = Record<string, unknown>;

/** An API version and the keys each object of a kind may have (nested objects by their path). */
const KINDS: Record<string, { apiVersion: string; keys: Record<string, readonly string[]> }> = {
  Deployment: { apiVersion: 'apps/v1', keys: { '': ['apiVersion', 'kind', 'metadata', 'spec'] } },
  Service: { apiVersion: 'v1', keys: { '': ['apiVersion', 'kind', 'metadata', 'spec'] } },
  ConfigMap: { apiVersion: 'v1', keys: { '': ['apiVersion', 'kind', 'metadata', 'data'] } },
  PrometheusRule: {
    apiVersion: 'monitoring.coreos.com/v1',
    keys: { '': ['apiVersion', 'kind', 'metadata', 'spec'], spec: ['groups'] },
  },
};
const METADATA_KEYS = ['name', 'namespace', 'labels', 'annotations'];
const GROUP_KEYS = ['name', 'interval', 'rules'];
const RULE_KEYS = ['record', 'alert', 'expr', 'for', 'labels', 'annotations'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Every problem of one manifest, as `file: path: what` lines (empty when it is valid). */
function problems(file: string, doc: Json): string[] {
  const found: string[] = [];
  const fail = (path: string, what: string) => found.push(`${file}: ${path}: ${what}`);
  const only = (path: string, value: unknown, keys: readonly string[]) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return fail(path, 'not an object');
    for (const key of Object.keys(value)) if (!keys.includes(key)) fail(path, `unknown key ${key}`);
  };
  const strings = (path: string, value: unknown, key?: RegExp, text?: RegExp) => {
    if (value === undefined) return;
    only(path, value, Object.keys(value as Json));
    for (const [name, item] of Object.entries(value as Json)) {
      if (typeof item !== 'string') fail(`${path}.${name}`, 'not a string');
      else if (text && !text.test(item)) fail(`${path}.${name}`, `bad value ${item}`);
      if (key && !key.test(name)) fail(`${path}.${name}`, 'bad key');
    }
  };
  const kind = KINDS[doc.kind as string];
  if (!kind) return [`${file}: kind ${String(doc.kind)} is not one this test knows`];
  if (doc.apiVersion !== kind.apiVersion) fail('apiVersion', `${String(doc.apiVersion)}, not ${kind.apiVersion}`);
  for (const [path, keys] of Object.entries(kind.keys)) only(path || '(root)', path ? doc[path] : doc, keys);
  const metadata = doc.metadata as Json;
  only('metadata', metadata, METADATA_KEYS);
  if (typeof metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(metadata.name)) fail('metadata.name', 'not a DNS name');
  strings('metadata.labels', metadata?.labels, LABEL_KEY, LABEL_VALUE);
  strings('metadata.annotations', metadata?.annotations, LABEL_KEY);
  if (doc.kind === 'Deployment') deploymentProblems(doc, fail);
  if (doc.kind === 'ConfigMap') {
    strings('data', doc.data, /^[-._a-zA-Z0-9]+$/);
    const size = Object.values(doc.data as Json).reduce<number>((sum, text) => sum + String(text).length, 0);
    if (size > 1024 * 1024) fail('data', 'over the 1 MiB of a ConfigMap');
  }
  if (doc.kind === 'PrometheusRule') {
    const groups = (doc.spec as Json)?.groups;
    if (!Array.isArray(groups) || !groups.length) fail('spec.groups', 'not a non-empty array');
    for (const [g, group] of (groups as Json[]).entries()) {
      only(`spec.groups[${g}]`, group, GROUP_KEYS);
      if (typeof group.name !== 'string' || !group.name) fail(`spec.groups[${g}].name`, 'missing');
      for (const [r, rule] of (group.rules as Json[]).entries()) {
        const path = `spec.groups[${g}].rules[${r}]`;
        only(path, rule, RULE_KEYS);
        if ((rule.record === undefined) === (rule.alert === undefined))
          fail(path, 'needs exactly one of record, alert');
        if (typeof rule.expr !== 'string' || !rule.expr) fail(`${path}.expr`, 'not a string');
        if (rule.for !== undefined && !DURATION.test(String(rule.for))) fail(`${path}.for`, 'not a duration');
        strings(`${path}.labels`, rule.labels);
        strings(`${path}.annotations`, rule.annotations);
      }
    }
  }
  return found;
}

/** A Deployment's selector matches its pods, and each container's probes name ports it declares. */
function deploymentProblems(doc: Json, fail: (path: string, what: string) => void): void {
  const spec = doc.spec as {
    selector?: { matchLabels?: Json };
    template?: { metadata?: { labels?: Json }; spec?: Json };
  };
  const podLabels = spec.template?.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.selector?.matchLabels ?? {})) {
    if (podLabels[key] !== value) fail(`spec.selector.matchLabels.${key}`, 'not a label of the pod template');
  }
  const containers = (spec.template?.spec?.containers ?? []) as Json[];
  if (!containers.length) fail('spec.template.spec.containers', 'none');
  for (const [c, container] of containers.entries()) {
    const path = `spec.template.spec.containers[${c}]`;
    if (typeof container.name !== 'string' || typeof container.image !== 'string') fail(path, 'needs name and image');
    const ports = new Set(
      ((container.ports ?? []) as Json[]).flatMap(({ name, containerPort }) => [name, containerPort]),
    );
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const port = ((container[probe] as Json | undefined)?.httpGet as Json | undefined)?.port;
      if (port !== undefined && !ports.has(port))
        fail(`${path}.${probe}.httpGet.port`, `${String(port)} is not a declared port`);
    }
  }
}

const manifests = ['sample/k8s', 'deploy/kubernetes'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((name) =>
      parseAllDocuments(readFileSync(join(dir, name), 'utf8')).map((doc) => {
        if (doc.errors.length) throw new Error(`${dir}/${name}: ${doc.errors[0].message}`);
        return [`${dir}/${name}`, doc.toJS() as Json] as const;
      }),
    ),
);

describe('the Kubernetes manifests', () => {
  it('include the sample’s and the fleet-alerting ones', () => {
    const kinds = manifests.map(([file, doc]) => `${file} ${String(doc.kind)}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'sample/k8s/deployment.yaml Deployment',
        'sample/k8s/service.yaml Service',
        'deploy/kubernetes/heartbeat-prometheusrule.yaml PrometheusRule',
        'deploy/kubernetes/heartbeat-dashboard-configmap.yaml ConfigMap',
      ]),
    );
  });

  it.each(manifests)('%s is valid for its kind', (file, doc) => {
    expect(problems(file, doc)).toEqual([]);
  });

  it('find the mistakes they look for (the check can fail)', () => {
    const rule = manifests.find(([, doc]) => doc.kind === 'PrometheusRule')![1];
    const broken = structuredClone(rule) as { metadata: Json; spec: { groups: { rules: Json[] }[] } };
    broken.metadata.name = 'Not_A_Name';
    broken.spec.groups[1].rules[0].fro = '5m';
    broken.spec.groups[1].rules[1].for = 'five minutes';
    delete broken.spec.groups[0].rules[0].record;
    expect(problems('x', broken as unknown as Json)).toEqual([
      'x: metadata.name: not a DNS name',
      'x: spec.groups[0].rules[0]: needs exactly one of record, alert',
      'x: spec.groups[1].rules[0]: unknown key fro',
      'x: spec.groups[1].rules[1].for: not a duration',
    ]);
  });

  it('find a Deployment whose probe names a port it does not declare', () => {
    const deployment = structuredClone(manifests.find(([file]) => file === 'sample/k8s/deployment.yaml')![1]) as Json;
    const container = ((deployment.spec as Json).template as { spec: { containers: Json[] } }).spec.containers[0];
    (container.readinessProbe as { httpGet: Json }).httpGet.port = 'management';
    expect(problems('x', deployment)).toEqual([
      'x: spec.template.spec.containers[0].readinessProbe.httpGet.port: management is not a declared port',
    ]);
  });

  it('carry in the ConfigMap exactly the dashboard of deploy/grafana', () => {
    const map = manifests.find(([, doc]) => doc.kind === 'ConfigMap')![1] as { data: Record<string, string> };
    expect(JSON.parse(map.data['heartbeat-dashboard.json'])).toEqual(
      JSON.parse(readFileSync('deploy/grafana/heartbeat-dashboard.json', 'utf8')),
    );
  });
});
