#!/usr/bin/env python3
"""Run a hyperparameter sweep on the cluster from Python: submit a sweep file, follow it, download the best model.

    python3 src/clients/python/sweep_example.py --coordinator http://127.0.0.1:5100 -f sweep.yaml --output ./best

Prints one line per change (the sweep's state, each trial's state and metric), then the final Sweep as JSON
(protobuf's JSON mapping, proto field names, zeros included: trial 0 and best_trial 0 are data) on the last line. Exit 0 if the sweep succeeded.
"""
import argparse
import json
import os
import sys

from google.protobuf import json_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import finetune_client  # noqa: E402


def describe(sweep):
    trials = [f"trial {t.index} {t.state}" + (f" {sweep.metric} {t.metric:.4f}" if t.has_metric else "") for t in sweep.trials]
    return f"{sweep.id}: {sweep.state}" + (f" [{', '.join(trials)}]" if trials else "")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--coordinator", default=os.environ.get("FINETUNE_COORDINATOR", "http://127.0.0.1:5100"))
    p.add_argument("--api-key", default=os.environ.get("FINETUNE_API_KEY"))
    p.add_argument("-f", "--file", required=True, help="the sweep file (.yaml, .yml or .json; docs/sweeps.md)")
    p.add_argument("--output", help="where the best trial's model goes (none: not downloaded)")
    a = p.parse_args()

    client = finetune_client.Client(a.coordinator, a.api_key)
    sweep = client.submit_sweep(a.file)
    print(f"submitted {sweep.id} ({sweep.state}, {sweep.planned_trials} trials)", flush=True)
    last = None
    for sweep in client.watch_sweep(sweep.id):
        line = describe(sweep)
        if line != last:
            print(line, flush=True)
            last = line
    final = client.get_sweep(sweep.id)
    if final.state == "succeeded" and a.output:
        files = client.download(final.id, a.output)  # Download takes a sweep id: the best trial's output folder
        print(f"downloaded {len(files)} files of trial {final.best_trial} into {os.path.abspath(a.output)}", flush=True)
    print(json.dumps(json_format.MessageToDict(final, preserving_proto_field_name=True, including_default_value_fields=True)))
    return 0 if final.state == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
