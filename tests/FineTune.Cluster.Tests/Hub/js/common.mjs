// Shared by the scripts: the client's own progress lines go to stderr so stdout holds only the result.
console.debug = console.info = console.log = (...args) => console.error(...args);

export function result(text) {
  process.stdout.write(text + "\n");
}

export async function run(main) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${error?.message ?? error}\n`);
    process.exit(1);
  }
}

// Args: endpoint, repo type (model|dataset), repo id, revision, cache dir[, file path]; the token from HF_TOKEN.
export function downloadArgs(count) {
  const args = process.argv.slice(2);
  if (args.length !== count) throw new Error(`expected ${count} arguments, got ${args.length}`);
  const [hubUrl, type, name, revision, cacheDir, path] = args;
  return { hubUrl, repo: { type, name }, revision, cacheDir, path, accessToken: process.env.HF_TOKEN || undefined };
}
