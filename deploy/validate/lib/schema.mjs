// Schema checks for one object: kubernetes-models' JSON schemas (types, required fields, enums), plus unknown fields,
// which those schemas accept: every key is looked up in the field lists of @kubernetes/client-node's generated models.
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';

/** Problems as { field, message }. */
export async function schemaProblems(obj) {
  const { apiVersion, kind } = obj ?? {};
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [{ field: 'apiVersion', message: 'apiVersion and kind must be set' }];
  const problems = [];
  const Model = await loadModel(apiVersion, kind);
  if (!Model) return [{ field: 'kind', message: `no schema for ${apiVersion} ${kind}` }];
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: '', message: e.message }]) {
      const extra = err.params?.missingProperty ? ` (${err.params.missingProperty})` : err.params?.allowedValues ? ` (${err.params.allowedValues.join(', ')})` : '';
      problems.push({ field: pointerToPath(err.instancePath, obj) || '.', message: `${err.message}${extra}` });
    }
  }
  const type = modelName(apiVersion, kind);
  if (models[type]?.getAttributeTypeMap) unknownFields(obj, type, '', problems);
  return problems;
}

const cache = new Map();
async function loadModel(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!cache.has(key)) {
    const group = apiVersion.includes('/') ? apiVersion : `v1`;
    try {
      const mod = await import(`kubernetes-models/${group}/${kind}`);
      cache.set(key, mod[kind] ?? null);
    } catch {
      cache.set(key, null);
    }
  }
  return cache.get(key);
}

/** apps/v1 Deployment → V1Deployment; networking.k8s.io/v1beta1 Ingress → V1beta1Ingress. */
function modelName(apiVersion, kind) {
  const version = apiVersion.split('/').pop();
  return version[0].toUpperCase() + version.slice(1) + kind;
}

function unknownFields(value, type, path, out) {
  if (value === null || value === undefined) return;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], `${path}[${label(v, i)}]`, out));
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) unknownFields(v, m[1], `${path}.${k}`, out);
    return;
  }
  const model = models[type];
  if (!model?.getAttributeTypeMap || typeof value !== 'object' || Array.isArray(value)) return; // a primitive; types are the schema's job
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const field = path ? `${path}.${k}` : k;
    if (!fields.has(k)) out.push({ field, message: `unknown field "${k}"` });
    else unknownFields(v, fields.get(k), field, out);
  }
}

/** Array items are named by their name (containers[worker]), else their index. */
export function label(item, index) {
  return item && typeof item === 'object' && typeof item.name === 'string' ? item.name : String(index);
}

function pointerToPath(pointer, obj) {
  let path = '';
  let node = obj;
  for (const part of pointer.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))) {
    if (Array.isArray(node)) path += `[${label(node[Number(part)], part)}]`;
    else path += path ? `.${part}` : part;
    node = node?.[part];
  }
  return path;
}
