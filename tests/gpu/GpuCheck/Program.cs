using FineTune.Core.Telemetry;

// gpucheck libtorch | nccl --rank R --world N --port P | nvml [--index N]: one probe each, for tests/gpu/check.sh.
// Each prints its result on stdout (JSON for libtorch and nccl, a line for nvml) and exits 1 when the probe fails.
return args.FirstOrDefault() switch
{
    "nvml" => Nvml(int.Parse(Option("--index") ?? "0")),
    _ => Usage(),
};

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

static int Nvml(int index)
{
    var reading = GpuReadings.Read(index, out var reason);
    Console.WriteLine(reading?.Describe() ?? $"NVML: {reason}");
    return reading is null ? 1 : 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: GpuCheck libtorch | nccl --rank R --world N --port P | nvml [--index N]");
    return 2;
}
