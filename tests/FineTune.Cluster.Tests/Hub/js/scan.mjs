// scanCacheDir of a cache dir, printed as JSON (repos with id, type, revisions with commitOid, refs and files).
import { scanCacheDir } from "@huggingface/hub";
import { result, run } from "./common.mjs";

await run(async () => {
  const scan = await scanCacheDir(process.argv[2]);
  result(JSON.stringify({
    repos: scan.repos.map((repo) => ({
      id: repo.id.name,
      type: repo.id.type,
      path: repo.path,
      filesCount: repo.filesCount,
      size: repo.size,
      revisions: repo.revisions.map((r) => ({
        commitOid: r.commitOid,
        refs: r.refs,
        size: r.size,
        files: r.files.map((f) => ({ path: f.path, blob: f.blob.path, size: f.blob.size })),
      })),
    })),
    size: scan.size,
    warnings: scan.warnings.map((w) => `${w?.message ?? w}`),
  }));
});
