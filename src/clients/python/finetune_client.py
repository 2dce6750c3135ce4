"""A small Python client for FineTune.Distributed's Jobs API (protos/finetune/v1/jobs.proto).

Stubs are generated from the repository's protos on first use (grpc_tools.protoc), into a cache folder keyed by
the protos' hash, so they always match the coordinator built from the same checkout. Needs grpcio and grpcio-tools
(Debian 12: apt-get install python3-grpcio python3-grpc-tools).
"""
import hashlib
import importlib
import os
import sys
import time
import uuid

import grpc

import sweep_text

PROTOS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "protos"))
CHUNK = 1 << 20  # jobs.proto: chunks of at most 1 MiB
FINAL_STATES = ("succeeded", "failed", "cancelled", "stopped")  # jobs.proto's JobState: stopped is an early end, not a failure
SWEEP_FINAL_STATES = ("succeeded", "failed", "cancelled")  # sweeps.proto's Sweep.state, after preparing, running, scoring


def load_stubs(protos=PROTOS):
    """Generates (once) and imports the Jobs API stubs: returns (jobs_pb2, jobs_pb2_grpc). Only jobs.proto and its
    import sweeps.proto: the cluster API is the workers' business (and uses proto3 `optional`, which Debian 12's
    older protoc refuses)."""
    files = [os.path.join(protos, "finetune", "v1", name) for name in ("jobs.proto", "sweeps.proto")]
    key = hashlib.sha256(b"".join(open(f, "rb").read() for f in files)).hexdigest()[:16]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    out = os.environ.get("FINETUNE_PYTHON_STUBS") or os.path.join(cache, "finetune", "python-stubs", key)
    if not os.path.exists(os.path.join(out, "finetune", "v1", "jobs_pb2_grpc.py")):
        from grpc_tools import protoc
        os.makedirs(out, exist_ok=True)
        args = ["protoc", f"-I{protos}", f"--python_out={out}", f"--grpc_python_out={out}"] + files
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed on {protos}")
    if out not in sys.path:
        sys.path.insert(0, out)
    return importlib.import_module("finetune.v1.jobs_pb2"), importlib.import_module("finetune.v1.jobs_pb2_grpc")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


class Client:
    """One coordinator: upload, submit, watch, download, describe options; sweeps: submit_sweep, get_sweep, list_sweeps,
    watch_sweep, cancel_sweep (download takes a sweep id too: the best trial's output)."""

    def __init__(self, address, api_key=None):
        self.pb, grpc_stubs = load_stubs()
        self.sweeps_pb = importlib.import_module("finetune.v1.sweeps_pb2")  # generated with jobs.proto, which imports it
        target = address.split("://", 1)[-1].rstrip("/")
        options = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20)]
        self.channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(), options) if address.startswith("https://") \
            else grpc.insecure_channel(target, options)
        self.jobs = grpc_stubs.JobsStub(self.channel)
        self.metadata = [("x-api-key", api_key)] if api_key else []

    def describe_options(self):
        """{key: OptionDescription} of every job option the coordinator accepts (aliases included)."""
        described = self.jobs.DescribeOptions(self.pb.DescribeOptionsRequest(), metadata=self.metadata, timeout=60)
        table = {}
        for o in described.options:
            table[o.key] = o
            for alias in o.aliases:
                table[alias] = o
        return table

    def upload(self, path):
        """Sends a file or a folder; returns the coordinator:/uploads/... path that names it in a job."""
        if os.path.isfile(path):
            return self._upload_file(path, f"{sha256_file(path)}/{os.path.basename(path)}")
        files = []
        for d, dirs, names in os.walk(path):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            files += [os.path.relpath(os.path.join(d, n), path).replace(os.sep, "/") for n in names if not n.startswith(".")]
        files.sort(key=lambda p: p.encode("utf-8"))  # ordinal order, as jobs.proto says
        listing = "\n".join(f"{rel} {sha256_file(os.path.join(path, rel))}" for rel in files)
        upload_id = hashlib.sha256(listing.encode("utf-8")).hexdigest()
        for rel in files:
            self._upload_file(os.path.join(path, rel), f"{upload_id}/{rel}")
        return f"coordinator:/uploads/{upload_id}"

    def _upload_file(self, path, name):
        def chunks():
            h, offset = hashlib.sha256(), 0
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                while True:
                    data = f.read(CHUNK)
                    h.update(data)
                    last = offset + len(data) >= size
                    yield self.pb.FileChunk(name=name, data=data, offset=offset, last=last, sha256=h.hexdigest() if last else "")
                    offset += len(data)
                    if last:
                        return
        return self.jobs.Upload(chunks(), metadata=self.metadata, timeout=3600).path

    def submit(self, options, request_id=None):
        """Queues a job; retried safely with the same request id while the coordinator is UNAVAILABLE."""
        request = self.pb.SubmitJobRequest(options={k: str(v) for k, v in options.items()}, request_id=request_id or uuid.uuid4().hex,
                                           protocol_version=self.pb.PROTOCOL_VERSION_CURRENT, product_version="python-client")
        return self._retried(lambda: self.jobs.Submit(request, metadata=self.metadata, timeout=300))

    @staticmethod
    def _retried(call):
        for attempt in range(5):
            try:
                return call()
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == 4:
                    raise
                time.sleep(0.5 * 2 ** attempt)

    def watch(self, job_id):
        """The job's events until it ends (JobEvent messages); the first is its current state."""
        return self.jobs.WatchJob(self.pb.WatchJobRequest(job_id=job_id), metadata=self.metadata)

    def get(self, job_id):
        return self.jobs.GetJob(self.pb.GetJobRequest(job_id=job_id), metadata=self.metadata, timeout=60)

    def download(self, job_id, folder):
        """A succeeded job's output files into folder (offsets and SHA-256 checked; each file written aside, then renamed)."""
        os.makedirs(folder, exist_ok=True)
        names, out, h, expected, part = [], None, None, 0, None
        try:
            for c in self.jobs.Download(self.pb.DownloadRequest(job_id=job_id), metadata=self.metadata, timeout=3600):
                if out is None:
                    if c.name != os.path.basename(c.name) or c.name.startswith(".") or not c.name:
                        raise ValueError(f"download: refusing file name {c.name!r}")
                    part = os.path.join(folder, f".{c.name}.part")
                    out, h, expected = open(part, "wb"), hashlib.sha256(), 0
                if c.offset != expected:
                    raise ValueError(f"{c.name}: chunk at offset {c.offset}, expected {expected}")
                out.write(c.data)
                h.update(c.data)
                expected += len(c.data)
                if c.last:
                    out.close()
                    out = None
                    if h.hexdigest() != c.sha256:
                        raise ValueError(f"{c.name}: checksum mismatch (sent {c.sha256}, received {h.hexdigest()})")
                    os.replace(part, os.path.join(folder, c.name))
                    names.append(c.name)
            if out is not None:
                raise ValueError("download ended in the middle of a file")
        finally:
            if out is not None:
                out.close()
                os.remove(part)
        return names

    def submit_sweep(self, sweep, name=None, request_id=None):
        """Submits a sweep file (its path, or its text: name then gives the format, .yaml, .yml or .json) and returns the
        Sweep at once (state preparing). A base spec file is inlined and the local files the base's model, dataset and
        eval_dataset name are uploaded first, as `finetune sweep submit` does (sweep_text.py). Retried safely with the
        same request id while the coordinator is UNAVAILABLE; INVALID_ARGUMENT names the key at fault."""
        described = {}

        def canonical(key):  # aliases (e.g. an older spelling) resolved by the coordinator's own table
            if not described:
                described.update(self.describe_options())
            return described[key].key if key in described else key
        name, text = sweep_text.prepare(sweep, name, self.upload, canonical)
        request = self.sweeps_pb.SubmitSweepRequest(text=text, name=name, request_id=request_id or uuid.uuid4().hex,
                                                    protocol_version=self.pb.PROTOCOL_VERSION_CURRENT, product_version="python-client")
        return self._retried(lambda: self.jobs.SubmitSweep(request, metadata=self.metadata, timeout=300))

    def get_sweep(self, sweep_id):
        return self.jobs.GetSweep(self.sweeps_pb.GetSweepRequest(sweep_id=sweep_id), metadata=self.metadata, timeout=60)

    def list_sweeps(self):
        """The coordinator's sweeps (Sweep messages), oldest first."""
        return list(self.jobs.ListSweeps(self.sweeps_pb.ListSweepsRequest(), metadata=self.metadata, timeout=60).sweeps)

    def cancel_sweep(self, sweep_id):
        """Cancels the sweep's live trials and ends it as cancelled; FAILED_PRECONDITION when it already ended."""
        return self.jobs.CancelSweep(self.sweeps_pb.CancelSweepRequest(sweep_id=sweep_id), metadata=self.metadata, timeout=60)

    def watch_sweep(self, sweep_id):
        """Yields the Sweep as it is, then after every change; the last one yielded is in a final state. A stream that
        ends early (the coordinator restarting) is opened again; NOT_FOUND and other errors are raised."""
        failures = 0
        while True:
            try:
                for sweep in self.jobs.WatchSweep(self.sweeps_pb.WatchSweepRequest(sweep_id=sweep_id), metadata=self.metadata):
                    failures = 0
                    yield sweep
                    if sweep.state in SWEEP_FINAL_STATES:
                        return
                sweep = self.get_sweep(sweep_id)  # the stream ended without a final state
                if sweep.state in SWEEP_FINAL_STATES:
                    yield sweep
                    return
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or failures == 5:
                    raise
            failures += 1
            time.sleep(0.5 * 2 ** min(failures, 5))
