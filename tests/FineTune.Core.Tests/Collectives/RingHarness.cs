using System.Diagnostics;
using System.Net;
using FineTune.Core.Collectives;

namespace FineTune.Core.Tests.Collectives;

/// <summary>Rings of N ranks inside the test process: one thread per rank, loopback sockets on free ports.</summary>
static class RingHarness
{
    /// <summary>Listening sockets on 127.0.0.1 with ports the kernel picked, and the endpoints they make.</summary>
    public static (RingListener[] Listeners, string[] Endpoints) Listen(int n)
    {
        var listeners = Enumerable.Range(0, n).Select(_ => RingCollective.Listen("127.0.0.1:0")).ToArray();
        return (listeners, listeners.Select(l => $"127.0.0.1:{((IPEndPoint)l.LocalEndPoint!).Port}").ToArray());
    }

    /// <summary>
    /// A token of its own for every ring: test classes run in parallel, and a rank still retrying a port that an
    /// earlier test closed could otherwise reach a new listener on the same port and pass its handshake.
    /// </summary>
    public static string NewJob() => $"job-{Guid.NewGuid():N}";

    public static RingOptions Options(int rank, string[] endpoints, string? token = null) => new()
    {
        Rank = rank,
        Endpoints = endpoints,
        Token = token ?? NewJob() + "/gen-1",
        Timeout = TimeSpan.FromSeconds(10),
        ChunkBytes = 64 << 10, // several chunks per segment even for modest buffers: exercises the pipelining
    };

    /// <summary>Forms a ring of <paramref name="n"/> ranks (each created on its own thread, as separate processes would).</summary>
    public static RingCollective[] Form(int n, Func<RingOptions, RingOptions>? tweak = null)
    {
        var (listeners, endpoints) = Listen(n);
        var token = NewJob() + "/gen-1";
        var rings = new RingCollective[n];
        var errors = OnRanks(n, r => rings[r] = RingCollective.Create(Tweaked(r), listeners[r]));
        if (errors.Any(e => e is not null))
        {
            foreach (var ring in rings) ring?.Dispose();
            throw new AggregateException(errors.Where(e => e is not null)!);
        }
        return rings;

        // Forming is not what these tests time: a loaded machine gets a minute for it, whatever short call timeout a test sets.
        RingOptions Tweaked(int r)
        {
            var o = (tweak ?? (o => o))(Options(r, endpoints, token));
            return o with { RendezvousTimeout = o.RendezvousTimeout ?? TimeSpan.FromSeconds(60) };
        }
    }

    /// <summary>Runs <paramref name="body"/> for every rank on its own thread; the exception each rank threw (or null). Fails the test if a rank hangs.</summary>
    public static Exception?[] OnRanks(int n, Action<int> body, double limitSeconds = 60)
    {
        var errors = new Exception?[n];
        var threads = Enumerable.Range(0, n).Select(r => new Thread(() =>
        {
            try { body(r); }
            catch (Exception e) { errors[r] = e; }
        })
        { IsBackground = true, Name = $"test rank {r}" }).ToArray();
        foreach (var t in threads) t.Start();
        var clock = Stopwatch.StartNew();
        foreach (var t in threads)
        {
            var left = TimeSpan.FromSeconds(limitSeconds) - clock.Elapsed;
            Assert.True(t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero), $"{t.Name} still running after {limitSeconds} s: a collective hung");
        }
        return errors;
    }

    public static void ThrowAny(Exception?[] errors)
    {
        var thrown = errors.Where(e => e is not null).ToList();
        if (thrown.Count > 0) throw new AggregateException(thrown!);
    }

    public static float[] Random(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
