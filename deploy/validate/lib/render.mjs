// Renders the Kustomize targets under deploy/k8s with `kubectl kustomize`, offline, in a temporary copy: a missing
// git-ignored base/secrets.env is taken from secrets.env.example there (never in the user's tree), and each component
// is rendered on top of the base through a kustomization made in the copy.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const KUSTOMIZATION = 'kustomization.yaml';

/** Every folder under root holding a kustomization.yaml, as paths relative to root: [{ name, kind }]. */
export function findTargets(root) {
  const found = [];
  const walk = (dir) => {
    if (existsSync(join(dir, KUSTOMIZATION))) {
      const isComponent = /^kind:\s*Component\s*$/m.test(readFileSync(join(dir, KUSTOMIZATION), 'utf8'));
      found.push({ name: relative(root, dir) || '.', component: isComponent });
    }
    for (const entry of readdirSync(dir)) {
      const child = join(dir, entry);
      if (entry !== 'node_modules' && !entry.startsWith('.') && statSync(child).isDirectory()) walk(child);
    }
  };
  walk(root);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** A render for each Kustomization, and one for base + each Component: [{ name, yaml }] (throws RenderError). */
export function renderAll(root) {
  return withCopy(root, (copy) => findTargets(copy).map((t) => ({
    name: t.component ? `base+${t.name}` : t.name,
    yaml: t.component ? renderComponent(copy, t.name) : kustomize(join(copy, t.name)),
  })));
}

/** One target by its path under root (e.g. overlays/single-node), or base+components/X. */
export function renderOne(root, name) {
  return withCopy(root, (copy) => {
    const component = name.startsWith('base+') ? name.slice('base+'.length) : null;
    if (!existsSync(join(copy, component ?? name, KUSTOMIZATION))) throw new RenderError(`${name}: no ${KUSTOMIZATION} under ${root}`);
    return component ? renderComponent(copy, component) : kustomize(join(copy, name));
  });
}

export class RenderError extends Error {}

function renderComponent(copy, component) {
  const dir = join(copy, '.validate-' + component.replaceAll('/', '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, KUSTOMIZATION), `resources: [../base]\ncomponents: [../${component}]\n`);
  return kustomize(dir);
}

function kustomize(dir) {
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    if (e.code === 'ENOENT') throw new RenderError('kubectl not found on PATH: it renders the overlays (kubectl kustomize)');
    throw new RenderError(`kubectl kustomize ${dir} failed: ${(e.stderr || e.message).trim().split('\n').pop()}`);
  }
}

function withCopy(root, work) {
  if (!existsSync(join(root, 'base', KUSTOMIZATION))) throw new RenderError(`${root}: no base/${KUSTOMIZATION} (pass --root deploy/k8s)`);
  const copy = mkdtempSync(join(tmpdir(), 'finetune-k8s-'));
  try {
    cpSync(root, copy, { recursive: true });
    const secrets = join(copy, 'base', 'secrets.env');
    if (!existsSync(secrets) && existsSync(secrets + '.example')) copyFileSync(secrets + '.example', secrets);
    return work(copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
