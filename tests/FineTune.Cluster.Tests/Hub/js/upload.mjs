// Creates the repo when it does not exist, then uploads a folder's files (at the repo's root) in one commit with the
// client's upload API; prints the commit oid. Args: endpoint, repo type (model|dataset), repo id, folder; the token
// from HF_TOKEN.
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { createRepo, repoExists, uploadFiles } from "@huggingface/hub";
import { result, run } from "./common.mjs";

await run(async () => {
  const args = process.argv.slice(2);
  if (args.length !== 4) throw new Error(`expected 4 arguments, got ${args.length}`);
  const [hubUrl, type, name, folder] = args;
  const repo = { type, name };
  const accessToken = process.env.HF_TOKEN || undefined;
  if (!(await repoExists({ repo, hubUrl, accessToken }))) await createRepo({ repo, hubUrl, accessToken });
  // One operation per file, named by its path under the folder: a folder URL would put the folder's own name in front.
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => {
    const full = join(e.parentPath, e.name);
    return { path: relative(folder, full).split(sep).join("/"), content: pathToFileURL(full) };
  });
  const { commit } = await uploadFiles({ repo, hubUrl, accessToken, files, commitTitle: `Upload ${files.length} files` });
  result(commit.oid);
});
