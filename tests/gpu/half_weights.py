"""Rewrites a safetensors file's F32 tensors as F16, in place: the GPU check carries the default model this way so it
fits the device tool's 64 MiB per call (all-MiniLM-L6-v2 in F32 is 87 MiB; F16 keeps 11 bits of each weight)."""
import array, json, struct, sys

path = sys.argv[1]
with open(path, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    data = f.read()
out, offset, new_header = bytearray(), 0, {}
for name, t in header.items():
    if name == "__metadata__":
        new_header[name] = t
        continue
    begin, end = t["data_offsets"]
    raw = data[begin:end]
    if t["dtype"] == "F32":
        floats = array.array("f"); floats.frombytes(raw)
        raw = b"".join(struct.pack(f"<{len(floats[i:i + 65536])}e", *floats[i:i + 65536]) for i in range(0, len(floats), 65536))
        t = dict(t, dtype="F16")
    new_header[name] = dict(t, data_offsets=[offset, offset + len(raw)])
    out += raw; offset += len(raw)
blob = json.dumps(new_header, separators=(",", ":")).encode()
blob += b" " * (-len(blob) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(blob))); f.write(blob); f.write(out)
