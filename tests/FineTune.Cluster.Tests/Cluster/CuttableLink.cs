using System.Net;
using System.Net.Sockets;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// A TCP link between two workers that a test can cut: it forwards every connection to the target until Cut(), then
/// silently drops whatever crosses it (no reset, no FIN: the peers see only silence, as with a pulled cable or a
/// firewall drop), until Heal() lets new connections through again.
/// </summary>
public sealed class CuttableLink : IDisposable
{
    readonly Socket listener = new(SocketType.Stream, ProtocolType.Tcp);
    readonly IPEndPoint target;
    readonly List<Pipe> pipes = [];
    volatile bool down;

    public CuttableLink(int targetPort)
    {
        target = new IPEndPoint(IPAddress.Loopback, targetPort);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    public void Cut()
    {
        down = true;
        lock (pipes) foreach (var p in pipes) p.Dead = true;
    }

    public void Heal() => down = false;

    async Task AcceptLoop()
    {
        while (true)
        {
            Socket client;
            try { client = await listener.AcceptAsync(); }
            catch (Exception) { return; } // disposed
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try { await server.ConnectAsync(target); }
            catch (SocketException) { client.Dispose(); server.Dispose(); continue; }
            var pipe = new Pipe(client, server) { Dead = down };
            lock (pipes) pipes.Add(pipe);
            _ = Pump(pipe, client, server);
            _ = Pump(pipe, server, client);
        }
    }

    static async Task Pump(Pipe pipe, Socket from, Socket to)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer);
                if (n == 0) break;
                if (pipe.Dead) continue; // dropped on the floor
                await to.SendAsync(buffer.AsMemory(0, n));
            }
            if (!pipe.Dead) to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) { pipe.Close(); }
    }

    sealed class Pipe(Socket a, Socket b)
    {
        public volatile bool Dead;

        public void Close()
        {
            a.Dispose();
            b.Dispose();
        }
    }

    public void Dispose()
    {
        listener.Dispose();
        lock (pipes) foreach (var p in pipes) p.Close();
    }
}
