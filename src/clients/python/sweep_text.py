"""A sweep file as SubmitSweep takes it (protos/finetune/v1/sweeps.proto): the coordinator reads no client file, so the
base job's options go inline (a base spec file is read here) and the local files its model, dataset and eval_dataset
name are uploaded first, replaced by their coordinator:/uploads/... paths. The result is sent as JSON, every value as
the text it was written as, as the C# client (finetune sweep submit) sends it.

JSON needs nothing more; a YAML file is read with PyYAML (Debian: python3-yaml). Without PyYAML a YAML sweep file is
sent as it is written: the coordinator then refuses a base given as a file name, or a path it does not have.
"""
import json
import os

PATH_KEYS = ("model", "dataset", "eval_dataset")  # the options that name files (jobs.proto: uploaded, then coordinator:/...)
DATA_FILES = (".csv", ".jsonl", ".json", ".parquet")  # a name ending so is a path, never a hub id
NULLS = ("null", "Null", "NULL", "~")


def _load(text, name):
    """The file's root (dicts, lists and text), or None for YAML where PyYAML is missing."""
    if name.lower().endswith(".json"):
        return json.loads(text, parse_float=str, parse_int=str)  # numbers kept as written
    try:
        import yaml
    except ImportError:
        return None
    return yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as its text, as the coordinator's reader keeps it


def _text(value):
    """A scalar as the coordinator reads it: text, or None for null."""
    if value is None or (isinstance(value, str) and value in NULLS):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _json(node):
    if isinstance(node, dict):
        return {str(k): _json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json(v) for v in node]
    return _text(node)


def _base_file(path):
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".json", ".yaml", ".yml"):
        raise ValueError(f"base: {path}: unsupported spec file type '{ext}' (use .json, .yaml or .yml)")
    if not os.path.isfile(path):
        raise ValueError(f"base: {path}: file not found")
    with open(path, encoding="utf-8") as f:
        options = _load(f.read(), path)
    if options is None:
        raise RuntimeError(f"base: {path}: reading a YAML spec file needs PyYAML (python3-yaml); or write the base inline")
    if not isinstance(options, dict):
        raise ValueError(f"base: {path}: expected a mapping of options")
    return options


def _upload_paths(options, canonical, upload):
    for key, value in list(options.items()):
        if canonical(key) not in PATH_KEYS or not isinstance(value, str) or value == "default" or value.startswith("coordinator:/"):
            continue
        if os.path.exists(value):
            options[key] = upload(os.path.abspath(value))
        elif value.lower().endswith(DATA_FILES) or value.startswith(("/", ".", "~")):
            raise ValueError(f"base: {key} {value}: no such file or folder on this machine (a path already on the coordinator is written coordinator:/...)")
        # else a hub id: sent as it is, the coordinator downloads it


def prepare(sweep, name=None, upload=None, canonical=lambda key: key):
    """(name, text) for SubmitSweepRequest. sweep: a sweep file's path, or its text (name then gives its format:
    .yaml, .yml or .json; by default JSON when the text starts with '{', else YAML). A base spec file's path is
    relative to the sweep file's folder (the current folder for text); model, dataset and eval_dataset paths are
    relative to the current folder, as for `finetune sweep submit`. upload(path) -> coordinator path; canonical(key)
    -> the option's table key (aliases resolved)."""
    if os.path.isfile(sweep):
        with open(sweep, encoding="utf-8") as f:
            text = f.read()
        name, folder = name or os.path.basename(sweep), os.path.dirname(os.path.abspath(sweep))
    else:
        text, folder = sweep, os.getcwd()
        name = name or ("sweep.json" if sweep.lstrip().startswith("{") else "sweep.yaml")
    root = _load(text, name)
    if not isinstance(root, dict):
        return name, text  # YAML without PyYAML, or not a mapping: sent as written, the coordinator says what is wrong
    base = root.get("base")
    if isinstance(base, str) and _text(base) is not None:
        base = _base_file(os.path.join(folder, base))
    if isinstance(base, dict):
        options = {str(k): v if isinstance(v, (dict, list)) else _text(v) for k, v in base.items()}  # a nested value: the coordinator refuses it
        if upload is not None:
            _upload_paths(options, canonical, upload)
        root = dict(root, base=options)
    return os.path.splitext(name)[0] + ".json", json.dumps(_json(root))
