// The pods a render will make (from each workload's template), label selection, and the services' flags read from
// a container's args: the facts the cross-object rules compare.

/** [{ obj, spec, labels, at }]: every pod template, `at` the field path of its pod spec. */
export function podTemplates(objects) {
  const found = [];
  for (const obj of objects) {
    const spec = obj.spec ?? {};
    if (obj.kind === 'Pod') found.push({ obj, spec, labels: obj.metadata?.labels ?? {}, at: 'spec' });
    else if (obj.kind === 'CronJob' && spec.jobTemplate?.spec?.template)
      found.push({ obj, spec: spec.jobTemplate.spec.template.spec ?? {}, labels: spec.jobTemplate.spec.template.metadata?.labels ?? {}, at: 'spec.jobTemplate.spec.template.spec' });
    else if (spec.template && ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'].includes(obj.kind))
      found.push({ obj, spec: spec.template.spec ?? {}, labels: spec.template.metadata?.labels ?? {}, at: 'spec.template.spec' });
  }
  return found;
}

/** [{ c, at }] for every container and init container of a pod spec. */
export function containers(pod) {
  return ['initContainers', 'containers'].flatMap((list) =>
    (pod.spec[list] ?? []).map((c, i) => ({ c, at: `${pod.at}.${list}[${c?.name ?? i}]` })));
}

/** Whether a label selector (a Service's plain map, or { matchLabels, matchExpressions }) selects these labels. */
export function selects(selector, labels, plainMap = false) {
  if (!selector) return false;
  const matchLabels = plainMap ? selector : selector.matchLabels ?? {};
  if (plainMap && Object.keys(matchLabels).length === 0) return false; // a Service without a selector selects nothing
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
  return (plainMap ? [] : selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return values.includes(labels[key]);
      case 'NotIn': return !values.includes(labels[key]);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: return false;
    }
  });
}

/** --name value and --name=value pairs from command and args, first one wins: Map name → { value, index }. */
export function flags(c) {
  const words = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  const found = new Map();
  words.forEach((w, i) => {
    const m = /^--([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(w);
    if (!m || found.has(m[1])) return;
    const value = m[2] ?? (i + 1 < words.length && !words[i + 1].startsWith('--') ? words[i + 1] : '');
    found.set(m[1], { value, where: `args[${c.args?.indexOf(w) ?? i}]` });
  });
  return found;
}

/** The port of an http(s) URL (80/443 by default), or null. "http://0.0.0.0:5100" → 5100. */
export function urlPort(text) {
  try {
    const url = new URL(text);
    if (!['http:', 'https:'].includes(url.protocol)) return null;
    return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    return null;
  }
}

/** "host:port" → { host, port } (port a number, or NaN). */
export function hostPort(text) {
  const colon = text.lastIndexOf(':');
  return colon < 0 ? { host: text, port: NaN } : { host: text.slice(0, colon), port: /^\d+$/.test(text.slice(colon + 1)) ? Number(text.slice(colon + 1)) : NaN };
}

/** A port (number or name) resolved against a container's ports: the number, or null when the name is unknown. */
export function resolvePort(port, c) {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return (c.ports ?? []).find((p) => p.name === port)?.containerPort ?? null;
}

export function describe(obj) {
  return `${obj.kind}/${obj.metadata?.name ?? '?'}`;
}
