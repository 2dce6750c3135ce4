#!/usr/bin/env node
// Offline validation of the Kubernetes manifests (deploy/k8s): renders every overlay (and the base with each
// component) with `kubectl kustomize`, or reads rendered YAML from files or stdin, and checks each render against the
// Kubernetes schemas, for unknown fields, and against our own rules (lib/rules.mjs).
//
//   node validate.mjs                       every target under deploy/k8s; one line "ok TARGET (N objects)" each
//   node validate.mjs --root DIR            the targets under another folder laid out like deploy/k8s
//   node validate.mjs FILE... | -           rendered YAML (multi-document) from files, or stdin
//   node validate.mjs --render TARGET       print one target's render (e.g. overlays/single-node) and exit
//
// Exit 0: no problem. 1: one line per problem, "TARGET: Kind/name: field: message". 2: bad usage, or a render failed.
// Install its packages first: npm ci (in this folder).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { RenderError, renderAll, renderOne } from './lib/render.mjs';
import { ruleProblems } from './lib/rules.mjs';
import { schemaProblems } from './lib/schema.mjs';
import { describe } from './lib/workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Every problem of one render as lines "SOURCE: Kind/name: field: message". */
export async function validateYaml(source, text) {
  const lines = [];
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) { lines.push(`${source}: YAML: ${doc.errors[0].message.split('\n')[0]}`); continue; }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object' || Array.isArray(obj)) { lines.push(`${source}: YAML: a document is not an object`); continue; }
    if (obj.kind === 'List' && Array.isArray(obj.items)) objects.push(...obj.items); else objects.push(obj);
  }
  for (const obj of objects)
    for (const p of await schemaProblems(obj)) lines.push(`${source}: ${describe(obj)}: ${p.field}: ${p.message}`);
  for (const p of ruleProblems(objects)) lines.push(`${source}: ${p.object}: ${p.field}: ${p.message}`);
  return { lines, count: objects.length };
}

async function main(argv) {
  let root = resolve(here, '..', 'k8s');
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')); return 0; }
    else if (a === '--root') root = resolve(argv[++i] ?? '');
    else if (a === '--render') { process.stdout.write(renderOne(root, argv[++i] ?? '')); return 0; }
    else if (a.startsWith('--')) { console.error(`error: unknown option ${a} (see --help)`); return 2; }
    else files.push(a);
  }
  const renders = files.length
    ? files.map((f) => ({ name: f === '-' ? 'stdin' : f, yaml: readFileSync(f === '-' ? 0 : f, 'utf8') }))
    : renderAll(root);
  let failed = false;
  for (const { name, yaml } of renders) {
    const { lines, count } = await validateYaml(name, yaml);
    if (lines.length) { failed = true; lines.forEach((l) => console.log(l)); }
    else console.log(`ok ${name} (${count} objects)`);
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`error: ${e instanceof RenderError ? e.message : e.stack ?? e}`);
    process.exitCode = 2;
  });
}
