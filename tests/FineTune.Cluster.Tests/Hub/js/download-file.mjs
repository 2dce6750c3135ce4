// downloadFileToCacheDir of one file; prints the path of its snapshot link.
import { downloadFileToCacheDir } from "@huggingface/hub";
import { downloadArgs, result, run } from "./common.mjs";

await run(async () => result(await downloadFileToCacheDir(downloadArgs(6))));
