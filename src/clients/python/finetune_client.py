"""A small Python client for FineTune.Distributed's Jobs API (protos/finetune/v1/jobs.proto).

Stubs are generated from the repository's protos on first use (grpc_tools.protoc), into a cache folder keyed by
the protos' hash, so they always match the coordinator built from the same checkout. Needs grpcio and grpcio-tools
(Debian 12: apt-get install python3-grpcio python3-grpc-tools).
"""
import hashlib
import importlib
import os
import sys
import uuid

import grpc

PROTOS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "protos"))
CHUNK = 1 << 20  # jobs.proto: chunks of at most 1 MiB
FINAL_STATES = ("succeeded", "failed", "cancelled", "stopped")  # jobs.proto's JobState: stopped is an early end, not a failure


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
    """One coordinator: upload, submit, watch, download, describe options."""

    def __init__(self, address, api_key=None):
        self.pb, grpc_stubs = load_stubs()
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
        for attempt in range(5):
            try:
                return self.jobs.Submit(request, metadata=self.metadata, timeout=300)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == 4:
                    raise
                import time
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
