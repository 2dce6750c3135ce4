using System.Net;
using System.Net.Sockets;
using FineTune.Core.Collectives;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// The ring admits only the members of its group: a stray socket without the group's secret token, or with it but
/// claiming the wrong rank, is refused at the handshake (and learns nothing), the real members still form the ring and
/// sum correctly, and once formed a ring accepts no connection at all, so nobody can inject gradients.
/// </summary>
public class RingAdmissionTests(ITestOutputHelper output)
{
    /// <summary>A raw TCP client that speaks the ring's hello, as a malicious or misconfigured process would.</summary>
    static async Task<string?> StrayHelloAsync(string endpoint, int world, int from, int to, string token)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var ep = (IPEndPoint)RingOptions.ParseEndpoint(endpoint, to);
        await socket.ConnectAsync(ep);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await RingHandshake.SendHelloAsync(socket, new RingHandshake.Hello(world, from, to, 64 << 10, token), limit.Token);
        return await RingHandshake.ReceiveAnswerAsync(socket, limit.Token);
    }

    [Fact]
    public async Task Strangers_are_refused_and_the_members_still_form_a_correct_ring()
    {
        var (listeners, endpoints) = RingHarness.Listen(3);
        var secret = RingHarness.NewJob() + "/gen-1";
        // Both strays are queued on rank 1's listener before any member starts: rank 1 must answer them first.
        var wrongToken = StrayHelloAsync(endpoints[1], 3, from: 0, to: 1, token: "guessed-token");
        var wrongRank = StrayHelloAsync(endpoints[1], 3, from: 2, to: 1, token: secret); // knows the secret, but rank 1 accepts only rank 0
        await Task.Delay(300);
        var rings = new RingCollective?[3];
        try
        {
            var errors = RingHarness.OnRanks(3, r =>
            {
                if (r == 0) Thread.Sleep(300); // the real predecessor of rank 1 comes after the strays
                rings[r] = RingCollective.Create(RingHarness.Options(r, endpoints, secret), listeners[r]);
            });
            RingHarness.ThrowAny(errors);

            var refusal = await wrongToken;
            output.WriteLine($"wrong token: {refusal}");
            Assert.NotNull(refusal);
            Assert.Contains("wrong group token", refusal);
            Assert.DoesNotContain(secret, refusal);
            Assert.DoesNotContain("world size", refusal); // nothing about the group is told before the token matches
            var rankRefusal = await wrongRank;
            output.WriteLine($"wrong rank: {rankRefusal}");
            Assert.NotNull(rankRefusal);
            Assert.Contains("accepts only its predecessor, rank 0", rankRefusal);

            // The members' sums are exact: nothing the strays sent was mixed in.
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                using var t = full(1000, (float)(r + 1));
                rings[r]!.AllReduceSum(t);
                Assert.All(t.data<float>().ToArray(), v => Assert.Equal(6f, v));
            }));

            // A formed ring listens no more: a stray with the right token and rank still cannot get in.
            foreach (var endpoint in endpoints)
            {
                var e = await Assert.ThrowsAnyAsync<SocketException>(() => StrayHelloAsync(endpoint, 3, 0, 1, secret));
                output.WriteLine($"{endpoint} after formation: {e.SocketErrorCode}");
            }
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                using var t = full(10, 1f);
                rings[r]!.AllReduceSum(t);
                Assert.All(t.data<float>().ToArray(), v => Assert.Equal(3f, v));
            }));
        }
        finally
        {
            foreach (var ring in rings) ring?.Dispose();
            foreach (var l in listeners) l.Dispose();
        }
    }
}
