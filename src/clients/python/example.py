#!/usr/bin/env python3
"""Fine-tune from Python: upload a dataset (and a model folder), submit, follow the job, download the model.

    python3 src/clients/python/example.py --coordinator http://127.0.0.1:5100 --dataset reviews.csv \
        --option num_train_epochs=1 --output ./model

Prints one line per state change and logged step, then a JSON summary on the last line. Exit 0 if the job succeeded.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import finetune_client  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--coordinator", default=os.environ.get("FINETUNE_COORDINATOR", "http://127.0.0.1:5100"))
    p.add_argument("--api-key", default=os.environ.get("FINETUNE_API_KEY"))
    p.add_argument("--dataset", required=True, help="a local file or folder to upload, or 'default'")
    p.add_argument("--model", default="default", help="a local model folder to upload, or 'default'")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a job option (see DescribeOptions)")
    p.add_argument("--output", default="finetuned-model", help="where the trained model goes")
    a = p.parse_args()

    client = finetune_client.Client(a.coordinator, a.api_key)
    known = client.describe_options()
    options = {}
    for pair in a.option:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            p.error(f"--option {pair}: unknown option key {key!r} (the coordinator knows: {', '.join(sorted(known))})")
        options[key] = value
    options["dataset"] = a.dataset if a.dataset == "default" else client.upload(a.dataset)
    options["model"] = a.model if a.model == "default" else client.upload(a.model)

    job = client.submit(options)
    print(f"submitted {job.id} ({job.state})", flush=True)
    last = None
    for event in client.watch(job.id):
        kind = event.WhichOneof("event")
        if kind == "job" and event.job.state != last:
            last = event.job.state
            reason = event.job.error or event.job.stop_reason  # stop_reason: why a stopped job ended early
            print(f"{event.job.id}: {last}" + (f": {reason}" if reason else ""), flush=True)
        elif kind == "log" and "loss" in event.log.values:
            print(f"step {event.log.step}: loss {event.log.values['loss']:.4f}", flush=True)
        elif kind == "log" and "eval_accuracy" in event.log.values:
            print(f"step {event.log.step}: eval_accuracy {event.log.values['eval_accuracy']:.4f}", flush=True)
    final = client.get(job.id)  # a watch can end early (the coordinator restarting): the job's own state decides
    files = client.download(job.id, a.output) if final.state == "succeeded" else []
    summary = json.loads(final.json) if final.json else {"id": final.id, "state": final.state}
    summary["downloaded"] = {"folder": os.path.abspath(a.output), "files": files}
    print(json.dumps(summary))
    return 0 if final.state == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
