using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

/// <summary>
/// All-reduce bus bandwidth of the ring (over TCP and over Unix sockets) with one process per rank on loopback, beside
/// the raw loopback TCP bandwidth of one process pair streaming the same sizes, measured in the same run.
/// busbw = bytes / time x 2(N-1)/N (nccl-tests' definition: what each rank's link carries, comparable across N);
/// each figure is the median of the timed iterations after warm-up, timed on rank 0 from a barrier to the end of the call.
/// The parent re-launches this program once per rank ("allreduce --rank r ..."): each child binds port 0, prints it,
/// reads every rank's endpoint from stdin (the coordinator's role), forms the ring and runs the sizes.
/// </summary>
static class AllReduceBenchmark
{
    const int MiB = 1 << 20;

    public static void Run(string[] args)
    {
        var o = new BenchmarkOptions(args);
        if (o.Has("--rank")) RunRank(o);
        else if (o.Has("--raw")) RunRaw(o);
        else Orchestrate(o);
    }

    static void Orchestrate(BenchmarkOptions o)
    {
        var sizes = o.Ints("--sizes", [4, 16, 64, 256]);
        var ranks = o.Ints("--ranks", [2, 4]);
        var transports = (o.Has("--transports") ? o.String("--transports") : "tcp,unix").Split(",");
        if (transports.Except(["tcp", "unix"]).FirstOrDefault() is { } unknown) throw new ArgumentException($"--transports: unknown transport '{unknown}' (tcp, unix)");
        int iters = o.Int("--iters", 9), warmup = o.Int("--warmup", 2), rounds = o.Int("--rounds", 3);
        var defaults = new RingOptions { Rank = 0, Endpoints = ["a:1"], Token = "t" };
        int chunkKb = o.Int("--chunk-kb", defaults.ChunkBytes / 1024);
        int bufferKb = o.Int("--socket-buffer-kb", defaults.SocketBufferBytes / 1024);
        var common = $"--sizes {string.Join(',', sizes)} --iters {iters} --warmup {warmup} --chunk-kb {chunkKb} --socket-buffer-kb {bufferKb}";
        Console.WriteLine($"all-reduce on loopback, {Environment.ProcessorCount} cores, one process per rank; chunk {chunkKb} KiB, socket buffers {bufferKb} KiB; " +
            $"median over {rounds} rounds (raw and rings interleaved, against drift on a shared machine) of per-round medians of {iters} iterations after {warmup} warm-up");

        // Rings on TCP loopback and through the ranks' Unix sockets (RingOptions.LocalSockets), one configuration per
        // (transport, ranks), every configuration once per round.
        var configs = transports.SelectMany(t => ranks.Select(n => (Transport: t, Ranks: n))).ToList();
        var rawRounds = new List<Dictionary<int, double>>();
        var duplexRounds = new List<Dictionary<int, double>>(); // both directions at once: the traffic a 2-rank ring puts on its link
        var ringRounds = configs.ToDictionary(c => c, _ => new List<Dictionary<int, double>>());
        for (int round = 0; round < rounds; round++)
        {
            rawRounds.Add(Parse(Launch(["--raw", "recv", common], ["--raw", "send", common])));
            duplexRounds.Add(Parse(Launch(["--raw", "duplex-accept", common], ["--raw", "duplex-connect", common])));
            foreach (var c in configs)
            {
                var token = $"bench-{Guid.NewGuid():N}";
                ringRounds[c].Add(Parse(Launch(Enumerable.Range(0, c.Ranks).Select(r => new[] { "--rank", $"{r}", "--world", $"{c.Ranks}", "--token", token, "--transport", c.Transport, common }).ToArray())));
            }
        }
        var raw = sizes.ToDictionary(s => s, s => BenchmarkSupport.Median(rawRounds.Select(d => d[s])));
        var duplex = sizes.ToDictionary(s => s, s => BenchmarkSupport.Median(duplexRounds.Select(d => d[s])));
        var ring = configs.ToDictionary(c => c, c => sizes.ToDictionary(s => s, s => BenchmarkSupport.Median(ringRounds[c].Select(d => d[s]))));

        Console.WriteLine();
        Console.WriteLine($"{"size",8} {"raw TCP GB/s",13} {"duplex GB/s",12}" + string.Concat(configs.Select(c => $" {$"{c.Ranks} ranks {c.Transport} busbw GB/s",24} {"vs raw",7} {"time ms",8}")));
        foreach (var size in sizes)
        {
            double bytes = (double)size * MiB;
            double rawBw = bytes / raw[size] / 1e9;
            var line = $"{size + " MiB",8} {rawBw,13:F2} {bytes / duplex[size] / 1e9,12:F2}";
            foreach (var c in configs)
            {
                double busbw = bytes / ring[c][size] * 2 * (c.Ranks - 1) / c.Ranks / 1e9;
                line += $" {busbw,24:F2} {busbw / rawBw,7:P0} {ring[c][size] * 1e3,8:F1}";
            }
            Console.WriteLine(line);
        }
        if (!sizes.Contains(64) || !ranks.Contains(2)) return;
        foreach (var transport in transports)
        {
            var two = (transport, 2);
            Console.WriteLine($"ratio at 64 MiB, 2 ranks, {transport} ring: busbw / raw TCP = {raw[64] / ring[two][64]:P0} (target >= 70%)");
            // Each round's raw and ring ran back to back: their ratio is the least exposed to a neighbour's load drifting.
            var perRound = rawRounds.Zip(ringRounds[two], (a, b) => a[64] / b[64]).ToList();
            Console.WriteLine($"  per-round ratios: {string.Join(", ", perRound.Select(x => x.ToString("P0", CultureInfo.InvariantCulture)))}; median {BenchmarkSupport.Median(perRound):P0}");
            // A 2-rank ring sends and receives the whole buffer on each rank at once; loopback bytes are CPU copies, so
            // the same traffic as raw TCP (both directions at once) is TCP's ceiling for it.
            var perRoundDuplex = duplexRounds.Zip(ringRounds[two], (a, b) => a[64] / b[64]).ToList();
            Console.WriteLine($"  against raw TCP both ways at once: {string.Join(", ", perRoundDuplex.Select(x => x.ToString("P0", CultureInfo.InvariantCulture)))}; median {BenchmarkSupport.Median(perRoundDuplex):P0}");
        }
    }

    /// <summary>Starts one child per argument list, hands them each other's ports, returns rank 0's (first child's) RESULT lines.</summary>
    static List<string> Launch(params string[][] children)
    {
        var processes = children.Select(a =>
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            // Under `dotnet FineTune.Benchmarks.dll` the process is the host: name the assembly again.
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(AllReduceBenchmark).Assembly.Location);
            start.ArgumentList.Add("allreduce");
            foreach (var part in string.Join(' ', a).Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(part);
            return Process.Start(start)!;
        }).ToList();
        try
        {
            var endpoints = processes.Select(p => "127.0.0.1:" + (p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("a child exited before listening")).Split(' ')[1]).ToList();
            foreach (var p in processes)
            {
                p.StandardInput.WriteLine(string.Join(',', endpoints));
                p.StandardInput.Flush();
            }
            var results = new List<string>();
            string? line;
            while ((line = processes[0].StandardOutput.ReadLine()) is not null) if (line.StartsWith("RESULT ", StringComparison.Ordinal)) results.Add(line);
            foreach (var p in processes)
            {
                p.WaitForExit();
                if (p.ExitCode != 0) throw new InvalidOperationException($"a benchmark child exited with code {p.ExitCode}");
            }
            return results;
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    static Dictionary<int, double> Parse(List<string> lines) =>
        lines.Select(l => l.Split(' ')).ToDictionary(p => int.Parse(p[1], CultureInfo.InvariantCulture), p => double.Parse(p[2], CultureInfo.InvariantCulture));

    /// <summary>One rank: listen, learn the endpoints, form the ring, time AllReduceSum for each size.</summary>
    static void RunRank(BenchmarkOptions o)
    {
        set_num_threads(1);
        int rank = o.Int("--rank", 0), world = o.Int("--world", 2);
        using var listener = RingCollective.Listen("127.0.0.1:0", o.Int("--socket-buffer-kb", 4096) * 1024);
        Console.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        var endpoints = Console.ReadLine()!.Split(',');
        var options = new RingOptions
        {
            Rank = rank,
            Endpoints = endpoints,
            Token = o.String("--token"),
            Timeout = TimeSpan.FromMinutes(2),
            ChunkBytes = o.Int("--chunk-kb", 1024) * 1024,
            SocketBufferBytes = o.Int("--socket-buffer-kb", 4096) * 1024,
            LocalSockets = o.String("--transport") == "unix",
        };
        using var ring = RingCollective.Create(options, listener);
        var expected = options.LocalSockets ? "unix" : "tcp";
        if (ring.Links.Split(", ").Any(l => !l.EndsWith(": " + expected, StringComparison.Ordinal)))
            throw new InvalidOperationException($"rank {rank} asked for {expected} links and got: {ring.Links}");
        foreach (var size in o.Ints("--sizes", [4]))
        {
            using var buffer = ones(size * (MiB / sizeof(float)));
            var times = new List<double>();
            for (int i = 0; i < o.Int("--warmup", 2) + o.Int("--iters", 9); i++)
            {
                buffer.fill_(1f);
                ring.Barrier();
                var clock = Stopwatch.StartNew();
                ring.AllReduceSum(buffer);
                times.Add(clock.Elapsed.TotalSeconds);
            }
            if (buffer[0].item<float>() != world) throw new InvalidOperationException($"wrong sum {buffer[0].item<float>()}");
            if (rank == 0) Console.WriteLine(FormattableString.Invariant($"RESULT {size} {BenchmarkSupport.Median(times.Skip(o.Int("--warmup", 2)))}"));
        }
    }

    /// <summary>
    /// The raw loopback references: one sender streams each size to one receiver, which acknowledges with one byte
    /// (send/recv); or both stream each size to the other at once, a thread sending while the main thread receives
    /// (duplex-connect/duplex-accept): the pattern of a 2-rank ring's link, without the reduction.
    /// </summary>
    static unsafe void RunRaw(BenchmarkOptions o)
    {
        string mode = o.String("--raw");
        bool duplexMode = mode.StartsWith("duplex", StringComparison.Ordinal);
        bool sender = mode is "send" or "duplex-connect";
        int bufferBytes = o.Int("--socket-buffer-kb", 4096) * 1024;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (bufferBytes > 0) (listener.SendBufferSize, listener.ReceiveBufferSize) = (bufferBytes, bufferBytes);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Console.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        var endpoints = Console.ReadLine()!.Split(',');
        Socket socket;
        if (sender)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            if (bufferBytes > 0) (socket.SendBufferSize, socket.ReceiveBufferSize) = (bufferBytes, bufferBytes);
            socket.Connect(IPEndPoint.Parse(endpoints[0]));
        }
        else
        {
            socket = listener.Accept();
            socket.NoDelay = true;
        }
        using (socket)
        {
            var ack = new byte[1];
            foreach (var size in o.Ints("--sizes", [4]))
            {
                long bytes = (long)size * MiB;
                var memory = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                var incoming = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                try
                {
                    new Span<byte>(memory, (int)Math.Min(bytes, int.MaxValue)).Fill(1);
                    var times = new List<double>();
                    for (int i = 0; i < o.Int("--warmup", 2) + o.Int("--iters", 9); i++)
                    {
                        var clock = Stopwatch.StartNew();
                        if (duplexMode)
                        {
                            var outgoing = (nint)memory;
                            var sending = new Thread(() => Stream(socket, (byte*)outgoing, bytes, send: true));
                            sending.Start();
                            Stream(socket, incoming, bytes, send: false);
                            sending.Join();
                            times.Add(clock.Elapsed.TotalSeconds);
                            continue;
                        }
                        Stream(socket, memory, bytes, send: sender);
                        if (sender)
                        {
                            if (socket.Receive(ack) != 1) throw new EndOfStreamException();
                        }
                        else socket.Send(ack);
                        times.Add(clock.Elapsed.TotalSeconds);
                    }
                    // The receiver is the first child, whose lines the parent reads; its time includes the sender's.
                    if (!sender) Console.WriteLine(FormattableString.Invariant($"RESULT {size} {BenchmarkSupport.Median(times.Skip(o.Int("--warmup", 2)))}"));
                }
                finally
                {
                    NativeMemory.AlignedFree(memory);
                    NativeMemory.AlignedFree(incoming);
                }
            }
        }
    }

    static unsafe void Stream(Socket socket, byte* memory, long bytes, bool send)
    {
        for (long done = 0; done < bytes;)
        {
            var span = new Span<byte>(memory + done, (int)Math.Min(bytes - done, 1 << 30));
            int n = send ? socket.Send(span) : socket.Receive(span);
            if (n == 0) throw new EndOfStreamException();
            done += n;
        }
    }
}
