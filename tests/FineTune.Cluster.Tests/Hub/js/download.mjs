// snapshotDownload of a whole repo into a cache dir; prints the snapshot folder.
import { snapshotDownload } from "@huggingface/hub";
import { downloadArgs, result, run } from "./common.mjs";

await run(async () => result(await snapshotDownload(downloadArgs(5))));
