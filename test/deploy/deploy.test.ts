import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { listEnvironmentKeys, loadConfig } from '../../src/config/load.js';
import { ROOT } from '../cli/run-cli.js';

/**
 * deploy/ cannot run here (no container runtime, no cluster), so it is validated statically:
 * YAML that parses, services and workloads that reference each other correctly, every
 * SWITCHBOARD_* setting a real key with a value the configuration loader accepts, probes on
 * /health and /ready, distinct Snowflake worker ids, and Grafana queries over metrics the code
 * registers. `docker compose config` runs too where Docker Compose is installed.
 */
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');
const KNOWN_ENV = new Set(listEnvironmentKeys().flatMap((k) => [k.env, ...k.aliases]));

/** Every SWITCHBOARD_* name is a configuration key, and the loader accepts the values. */
function checkSwitchboardEnv(env: Record<string, string>, where: string): void {
  for (const name of Object.keys(env).filter((n) => n.startsWith('SWITCHBOARD_'))) {
    expect(KNOWN_ENV.has(name), `${where}: ${name} is not a configuration key`).toBe(true);
  }
  expect(() => loadConfig({ path: undefined, env }), where).not.toThrow();
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;

  it('has the stores, Prometheus, Grafana and Switchboard serve and consume', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'consume',
        'grafana',
        'postgres',
        'prometheus',
        'redis',
        'redpanda',
        'schema',
        'scylla',
        'serve',
      ].sort(),
    );
    expect(services.serve!.command).toEqual(['serve']);
    expect(services.consume!.command).toEqual(['consume']);
    expect(services.schema!.command).toEqual(['schema', 'apply']);
    for (const name of ['scylla', 'redpanda', 'postgres', 'redis', 'serve', 'consume']) {
      expect(services[name]!.healthcheck?.test.length, `${name} has a healthcheck`).toBeGreaterThan(0);
    }
  });

  it('references only services, volumes and files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, `${name} has an image`).toBeDefined();
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(join(DEPLOY, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes[source], `${name}: volume ${source}`).toBeDefined();
      }
      if (s.build) expect(existsSync(join(DEPLOY, s.build.context, s.build.dockerfile)), name).toBe(true);
    }
  });

  it('configures Switchboard with keys the loader accepts, on the scale-out stores', () => {
    for (const name of ['schema', 'serve', 'consume']) {
      const env = services[name]!.environment!;
      checkSwitchboardEnv(env, `compose ${name}`);
      const config = loadConfig({ path: undefined, env });
      expect(config.store).toMatchObject({
        wide_column: 'scylladb',
        relational: 'postgres',
        hot_state: 'redis',
        event_log: 'kafka',
      });
      // The store hosts are compose services.
      expect(services[config.scylla.contact_points[0]!]).toBeDefined();
      expect(services[new URL(config.redis.url!).hostname]).toBeDefined();
      expect(services[new URL(config.postgres.url!).hostname]).toBeDefined();
      expect(services[config.kafka.brokers[0]!.split(':')[0]!]).toBeDefined();
    }
    const ids = ['serve', 'consume'].map((n) => services[n]!.environment!.SWITCHBOARD_MESSAGING_WORKER_ID);
    expect(new Set(ids).size, 'distinct Snowflake worker ids').toBe(2);
    expect(services.serve!.environment!.SWITCHBOARD_INTERACTIONS_CONSUMER_ENABLED).toBe('false');
  });

  const compose2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  it.skipIf(compose2.status !== 0)(
    `passes \`docker compose config\`${compose2.status !== 0 ? ' (skipped: Docker Compose is not installed here)' : ''}`,
    () => {
      execFileSync('docker', ['compose', '-f', join(DEPLOY, 'docker-compose.yml'), 'config', '--quiet']);
    },
  );
});

describe('deploy/grafana', () => {
  it('scrapes /metrics of serve and consume on the port they listen on', () => {
    const prometheus = parse(read('grafana/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const targets = prometheus.scrape_configs.flatMap((c) => {
      expect(c.metrics_path).toBe('/metrics');
      return c.static_configs.flatMap((s) => s.targets);
    });
    expect(targets.sort()).toEqual(['consume:8080', 'serve:8080']);
    for (const target of targets) {
      const [host, port] = target.split(':');
      const env = compose.services[host!]!.environment!;
      expect(loadConfig({ path: undefined, env }).server.port).toBe(Number(port));
    }
  });

  it('queries only metrics that Switchboard or the Node process registers', () => {
    const dashboard = JSON.parse(read('grafana/switchboard.json')) as {
      uid: string;
      panels: { id: number; type: string; targets?: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('switchboard');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The metrics the code declares (name and type), from the source: scale-out adapters'
    // metrics exist only where that adapter runs, so a live registry would miss them.
    const declared = new Map<string, string>();
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    for (const file of walk(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name: '([a-z_]+)'/g,
      )) {
        declared.set(m[2]!, m[1]!);
      }
    }
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const metric of registry.getMetricsAsArray()) declared.set(metric.name, 'default');

    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(queries.length).toBeGreaterThan(20);
    for (const expr of queries) {
      const names = expr.match(/\b(switchboard|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const type = declared.get(name) ?? declared.get(base);
        expect(type, `${name} in ${expr}`).toBeDefined();
        if (name !== base && !declared.has(name)) expect(type, `${name}: a histogram`).toBe('Histogram');
        if (/rate\(/.test(expr) && type === 'Gauge') expect.fail(`${name} is a gauge inside rate(): ${expr}`);
      }
    }
  });
});

interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    serviceName?: string;
    replicas?: number;
    clusterIP?: string;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { containers: K8sContainer[]; initContainers?: K8sContainer[] };
    };
  };
}
interface K8sContainer {
  name: string;
  args?: string[];
  command?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
}

describe('deploy/k8s', () => {
  const docs = readdirSync(join(DEPLOY, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(read(join('k8s', f))).map((d) => {
        expect(d.errors, f).toEqual([]);
        return d.toJS() as K8sDoc;
      }),
    );
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  const config = find('ConfigMap', 'switchboard');
  const baseEnv = { ...config.data!, SWITCHBOARD_POSTGRES_URL: 'postgres://u:p@postgres:5432/switchboard' };

  it('has a Deployment for serve and a StatefulSet for the consumers, with Services that select them', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/switchboard',
        'Deployment/switchboard-serve',
        'Service/switchboard',
        'Service/switchboard-consumer',
        'StatefulSet/switchboard-consumer',
      ].sort(),
    );
    for (const d of docs)
      expect(d.apiVersion, d.kind).toBe(d.kind === 'ConfigMap' || d.kind === 'Service' ? 'v1' : 'apps/v1');
    const sts = find('StatefulSet', 'switchboard-consumer');
    expect(find('Service', sts.spec.serviceName!).spec.clusterIP).toBe('None');
    for (const workload of [find('Deployment', 'switchboard-serve'), sts]) {
      expect(workload.spec.template!.metadata.labels).toMatchObject(workload.spec.selector!.matchLabels!);
    }
    for (const service of docs.filter((d) => d.kind === 'Service')) {
      const selector = service.spec.selector as Record<string, string>;
      expect(
        [find('Deployment', 'switchboard-serve'), sts].some((w) =>
          Object.entries(selector).every(([k, v]) => w.spec.template!.metadata.labels[k] === v),
        ),
        service.metadata.name,
      ).toBe(true);
    }
  });

  it('probes /health for liveness and /ready for readiness on the container port', () => {
    for (const workload of [
      find('Deployment', 'switchboard-serve'),
      find('StatefulSet', 'switchboard-consumer'),
    ]) {
      const [container] = workload.spec.template!.spec.containers;
      expect(container!.livenessProbe!.httpGet.path).toBe('/health');
      expect(container!.readinessProbe!.httpGet.path).toBe('/ready');
      const port = container!.ports!.find((p) => p.name === container!.readinessProbe!.httpGet.port);
      expect(port?.containerPort).toBe(loadConfig({ path: undefined, env: baseEnv }).server.port);
    }
    const serve = find('Deployment', 'switchboard-serve').spec.template!.spec;
    expect(serve.containers[0]!.args).toEqual(['serve']);
    expect(serve.initContainers![0]!.args).toEqual(['schema', 'apply']);
  });

  it('configures every pod with keys the loader accepts', () => {
    checkSwitchboardEnv(baseEnv, 'ConfigMap');
    const serve = find('Deployment', 'switchboard-serve').spec.template!.spec.containers[0]!;
    checkSwitchboardEnv(
      { ...baseEnv, ...Object.fromEntries((serve.env ?? []).map((e) => [e.name, e.value ?? ''])) },
      'serve',
    );
  });

  it('gives each consumer pod a distinct Snowflake worker id from its ordinal, apart from serve', () => {
    const sts = find('StatefulSet', 'switchboard-consumer');
    const container = sts.spec.template!.spec.containers[0]!;
    expect(container.command).toEqual(['/bin/sh', '-c']);
    // Runs the container's own start line, with `exec` swapped for printing what it exported.
    const script = container.args![0]!.replace(
      /&& exec .*$/,
      '&& echo "$SWITCHBOARD_MESSAGING_WORKER_ID $SWITCHBOARD_INTERACTIONS_INSTANCE"',
    );
    expect(script).not.toBe(container.args![0]);
    const serveId = Number(
      find('Deployment', 'switchboard-serve').spec.template!.spec.containers[0]!.env!.find(
        (e) => e.name === 'SWITCHBOARD_MESSAGING_WORKER_ID',
      )!.value,
    );
    const ids = new Set<number>([serveId]);
    for (let ordinal = 0; ordinal < sts.spec.replicas!; ordinal += 1) {
      const pod = `${sts.metadata.name}-${ordinal}`;
      const [id, instance] = execFileSync('/bin/sh', ['-c', script], {
        env: { POD_NAME: pod },
        encoding: 'utf8',
      })
        .trim()
        .split(' ');
      expect(instance).toBe(pod);
      ids.add(Number(id));
      checkSwitchboardEnv(
        { ...baseEnv, SWITCHBOARD_MESSAGING_WORKER_ID: id!, SWITCHBOARD_INTERACTIONS_INSTANCE: pod },
        pod,
      );
    }
    expect(ids.size, 'serve and every consumer pod have their own worker id').toBe(sts.spec.replicas! + 1);
  });
});
