using System.Text.Json;
using FineTune.Core.Collectives;
using FineTune.Core.Telemetry;
using FineTune.Core.Torch;

// gpucheck nccl --rank R --world N --port P | nvml [--index N]: one probe each, for tests/gpu/check.sh.
// Each prints its result on stdout (JSON for nccl, a line for nvml) and exits 1 when the probe fails.
// libtorch first, as the finetune command does: a -p:TorchBackend=external publish loads FINETUNE_LIBTORCH here.
var libtorch = LibTorchStartup.Prepare();
if (libtorch.Refused && args.FirstOrDefault() == "nccl")
{
    Console.WriteLine(JsonSerializer.Serialize(new { ok = false, summary = libtorch.Refusal }));
    return 1;
}

return args.FirstOrDefault() switch
{
    "nvml" => Nvml(int.Parse(Option("--index") ?? "0")),
    "nccl" => Nccl(int.Parse(Option("--rank") ?? "0"), int.Parse(Option("--world") ?? "2"), int.Parse(Option("--port") ?? "29611")),
    _ => Usage(),
};

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

static int Nvml(int index)
{
    var reading = GpuReadings.Read(index, out var reason);
    Console.WriteLine(reading?.Describe() ?? $"NVML: {reason}");
    return reading is null ? 1 : 0;
}

// Ranks on one machine, rank r listening on port+r; the token only has to match between the two processes.
static int Nccl(int rank, int world, int port)
{
    var endpoints = Enumerable.Range(0, world).Select(r => $"127.0.0.1:{port + r}").ToList();
    var result = NcclSelfCheck.Run(rank, world, endpoints, token: $"gpu-check-{port}");
    var summary = $"NCCL {result.NcclVersion}: sum, average, broadcast, barrier {(result.Passed ? "right" : "WRONG")}; " +
        $"all-reduce of 16 MiB {result.AllReduceMilliseconds:F1} ms; a stalled call failed after {result.StallFailedAfterSeconds?.ToString("F1") ?? "n/a"} s";
    Console.WriteLine(JsonSerializer.Serialize(new { ok = result.Passed, summary = result.Passed ? summary : result.Detail, result }));
    return result.Passed ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: GpuCheck nccl --rank R --world N --port P | nvml [--index N]");
    return 2;
}
