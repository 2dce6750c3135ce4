// Our own rules across the objects of one render, beyond the schema: images set, every Secret and ConfigMap a pod
// refers to present, GPUs in limits only, $(VAR) references defined, and the ports that must agree between the
// services' args, containerPorts, probes, Services and NetworkPolicies.
import { containers, describe, flags, hostPort, podTemplates, resolvePort, selects, urlPort } from './workloads.mjs';

/** Problems as { object, field, message }. */
export function ruleProblems(objects) {
  const out = [];
  const report = (obj, field, message) => out.push({ object: describe(obj), field, message });
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const pods = podTemplates(objects);
  for (const pod of pods) {
    references(pod, objects, report);
    for (const { c, at } of containers(pod)) {
      if (typeof c.image !== 'string' || c.image.trim() === '') report(pod.obj, `${at}.image`, 'no image');
      for (const key of Object.keys(c.resources?.requests ?? {}))
        if (/gpu/i.test(key)) report(pod.obj, `${at}.resources.requests.${key}`, `${key} in requests: GPUs go in limits only (requests default to the limits)`);
      variables(pod, c, at, report);
      ports(pod, c, at, objects, report);
    }
  }
  for (const svc of byKind('Service')) services(svc, pods, report);
  for (const np of byKind('NetworkPolicy')) policies(np, pods, byKind('Service'), report);
  return out;
}

function references(pod, objects, report) {
  const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const check = (kind, name, key, optional, field) => {
    if (optional) return;
    const target = named(kind, name);
    if (!target) return report(pod.obj, field, `${kind} "${name}" not found in the render`);
    const keys = { ...target.data, ...target.stringData, ...target.binaryData };
    if (key !== undefined && !(key in keys)) report(pod.obj, field, `${kind} "${name}" has no key "${key}"`);
  };
  for (const { c, at } of containers(pod)) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef, m = e.valueFrom?.configMapKeyRef;
      if (s) check('Secret', s.name, s.key, s.optional, `${at}.env[${e.name}].valueFrom.secretKeyRef.name`);
      if (m) check('ConfigMap', m.name, m.key, m.optional, `${at}.env[${e.name}].valueFrom.configMapKeyRef.name`);
    }
    (c.envFrom ?? []).forEach((e, i) => {
      if (e.secretRef) check('Secret', e.secretRef.name, undefined, e.secretRef.optional, `${at}.envFrom[${i}].secretRef.name`);
      if (e.configMapRef) check('ConfigMap', e.configMapRef.name, undefined, e.configMapRef.optional, `${at}.envFrom[${i}].configMapRef.name`);
    });
  }
  for (const v of pod.spec.volumes ?? []) {
    if (v.secret) check('Secret', v.secret.secretName, undefined, v.secret.optional, `${pod.at}.volumes[${v.name}].secret.secretName`);
    if (v.configMap) check('ConfigMap', v.configMap.name, undefined, v.configMap.optional, `${pod.at}.volumes[${v.name}].configMap.name`);
  }
}

// Kubernetes expands $(VAR) in command, args and env values only from variables defined before; an undefined one
// stays literal text (a worker would advertise "$(POD_NAME).finetune-worker").
function variables(pod, c, at, report) {
  const defined = (c.env ?? []).map((e) => e.name);
  const used = (text, field, known) => {
    for (const [, name] of String(text).matchAll(/(?<!\$)\$\(([A-Za-z_][\w.-]*)\)/g))
      if (!known.includes(name)) report(pod.obj, field, `$(${name}) is not defined in the container's env (it would stay literal)`);
  };
  (c.command ?? []).forEach((w, i) => used(w, `${at}.command[${i}]`, defined));
  (c.args ?? []).forEach((w, i) => used(w, `${at}.args[${i}]`, defined));
  (c.env ?? []).forEach((e, i) => e.value !== undefined && used(e.value, `${at}.env[${e.name}].value`, defined.slice(0, i)));
}

/** The ports the process listens on, from --urls and --ring-port; null when it has neither flag (not one of ours). */
export function listenPorts(c) {
  const f = flags(c);
  if (!f.has('urls') && !f.has('ring-port')) return null;
  const ports = new Map();
  for (const url of (f.get('urls')?.value ?? '').split(';').filter(Boolean)) {
    const port = urlPort(url.replace(/\/\/(\*|\+)(?=[:/]|$)/, '//0.0.0.0'));
    if (port !== null) ports.set(port, '--urls');
  }
  const ring = Number(f.get('ring-port')?.value);
  if (Number.isInteger(ring)) ports.set(ring, '--ring-port');
  return ports;
}

function ports(pod, c, at, objects, report) {
  const f = flags(c);
  const listen = listenPorts(c);
  const declared = new Set((c.ports ?? []).map((p) => p.containerPort));
  for (const [port, flag] of listen ?? [])
    if (!declared.has(port)) report(pod.obj, `${at}.${f.get(flag.slice(2)).where}`, `${flag} listens on ${port}, but no containerPort is ${port}`);
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    for (const how of ['grpc', 'httpGet', 'tcpSocket']) {
      const p = c[probe]?.[how];
      if (!p) continue;
      const field = `${at}.${probe}.${how}.port`;
      const port = resolvePort(p.port, c);
      if (port === null) report(pod.obj, field, `port "${p.port}" is not a containerPort name`);
      else if (listen && ![...listen].some(([n, flag]) => n === port && flag === '--urls'))
        report(pod.obj, field, `probes port ${port}, but the process serves --urls on ${[...listen].filter(([, fl]) => fl === '--urls').map(([n]) => n).join(', ') || 'no port'}`);
    }
  }
  const ring = Number(f.get('ring-port')?.value);
  if (f.has('ring-advertise')) {
    const field = `${at}.${f.get('ring-advertise').where}`;
    const { host, port } = hostPort(f.get('ring-advertise').value);
    if (f.has('ring-port') && port !== ring) report(pod.obj, field, `--ring-advertise port ${port} differs from --ring-port ${ring}`);
    const sub = /^\$\([\w.-]+\)\.([a-z0-9-]+)$/.exec(host);
    if (sub && pod.obj.kind === 'StatefulSet' && pod.obj.spec.serviceName !== sub[1])
      report(pod.obj, field, `--ring-advertise names the Service "${sub[1]}", but the StatefulSet's serviceName is "${pod.obj.spec.serviceName}"`);
    if (sub) {
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata?.name === sub[1]);
      if (!svc) report(pod.obj, field, `--ring-advertise names the Service "${sub[1]}", which is not in the render`);
      else {
        if (svc.spec?.clusterIP !== 'None') report(svc, 'spec.clusterIP', 'must be None: pods advertise their own DNS names under this Service');
        if (svc.spec?.publishNotReadyAddresses !== true) report(svc, 'spec.publishNotReadyAddresses', 'must be true: the ring forms before the workers are ready');
        if (!(svc.spec?.ports ?? []).some((sp) => sp.port === port)) report(svc, 'spec.ports', `no port ${port} (the advertised ring port)`);
      }
    }
  }
  if (f.has('coordinator')) {
    const field = `${at}.${f.get('coordinator').where}`;
    let url;
    try { url = new URL(f.get('coordinator').value); } catch { return report(pod.obj, field, `--coordinator ${f.get('coordinator').value}: not a URL`); }
    const name = url.hostname.split('.')[0];
    const isAddress = /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[') || url.hostname === 'localhost';
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata?.name === name);
    if (!isAddress && !svc) report(pod.obj, field, `--coordinator names the Service "${name}", which is not in the render`);
    else if (svc && !(svc.spec?.ports ?? []).some((sp) => sp.port === urlPort(url.href)))
      report(pod.obj, field, `--coordinator port ${urlPort(url.href)}, but Service/${name} serves ${(svc.spec?.ports ?? []).map((sp) => sp.port).join(', ')}`);
  }
}

/** Each Service port reaches a declared containerPort that the process listens on, in every pod it selects. */
function services(svc, pods, report) {
  const selected = pods.filter((p) => selects(svc.spec?.selector, p.labels, true));
  if (svc.spec?.selector && selected.length === 0) return report(svc, 'spec.selector', 'selects no pod template in the render');
  (svc.spec?.ports ?? []).forEach((sp, i) => {
    const field = `spec.ports[${sp.name ?? i}].targetPort`;
    for (const pod of selected) {
      const reached = containers(pod).map(({ c }) => ({ c, port: resolvePort(sp.targetPort ?? sp.port, c) })).filter((x) => x.port !== null && (x.c.ports ?? []).some((p) => p.containerPort === x.port));
      if (reached.length === 0) { report(svc, field, `${sp.targetPort ?? sp.port} is not a containerPort of ${describe(pod.obj)}`); continue; }
      for (const { c, port } of reached) {
        const listen = listenPorts(c);
        if (listen && !listen.has(port)) report(svc, field, `reaches port ${port} of ${describe(pod.obj)}, where the process listens on ${[...listen.keys()].join(', ')}`);
      }
    }
  });
}

/** Every port a Service exposes on a pod is admitted by each NetworkPolicy that selects that pod. */
function policies(np, pods, services, report) {
  const types = np.spec?.policyTypes ?? ['Ingress'];
  if (!types.includes('Ingress')) return;
  for (const pod of pods.filter((p) => selects(np.spec?.podSelector, p.labels))) {
    for (const svc of services.filter((s) => selects(s.spec?.selector, pod.labels, true))) {
      for (const sp of svc.spec?.ports ?? []) {
        const c = containers(pod).find(({ c: x }) => resolvePort(sp.targetPort ?? sp.port, x) !== null)?.c;
        const port = c ? resolvePort(sp.targetPort ?? sp.port, c) : null;
        if (port === null) continue; // the Service rule reports it
        const name = (c.ports ?? []).find((p) => p.containerPort === port)?.name;
        const rules = (np.spec?.ingress ?? []).filter((r) => !r.ports || r.ports.some((p) =>
          p.port === undefined || p.port === port || (name && p.port === name) || (typeof p.port === 'number' && p.endPort && p.port <= port && port <= p.endPort)));
        if (rules.length === 0) report(np, 'spec.ingress', `does not admit port ${port} (${describe(svc)}) of ${describe(pod.obj)}`);
        const isRing = c && listenPorts(c)?.get(port) === '--ring-port';
        if (isRing && rules.some((r) => !r.from || r.from.length === 0)) report(np, 'spec.ingress', `admits the ring port ${port} from anywhere: only from the workers`);
      }
    }
  }
}
