using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace FineTune.Core.Collectives;

/// <summary>
/// The first bytes on every ring connection. The connecting rank (rank-1, the sender) says who it is and which group
/// it belongs to; the accepting rank (the receiver) answers yes, or no with the reason, so a stale or misconfigured
/// process learns why it was refused and the new group is not disturbed by it.
/// Hello: magic u32, version u16, reserved u16, world i32, from i32, to i32, chunk bytes i32, token length i32, token UTF-8.
/// Answer: status i32 (0 accepted), reason length i32, reason UTF-8. Little-endian throughout.
/// </summary>
static class RingHandshake
{
    public const int MaxTokenBytes = 1024;
    const uint Magic = 0x474E5246; // "FRNG"
    const ushort Version = 1;
    const int HelloFixedBytes = 28;
    const int MaxReasonBytes = 4096;

    public sealed record Hello(int WorldSize, int From, int To, int ChunkBytes, string Token);

    public static async Task SendHelloAsync(Socket socket, Hello hello, CancellationToken cancel)
    {
        var token = Encoding.UTF8.GetBytes(hello.Token);
        var buffer = new byte[HelloFixedBytes + token.Length];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], hello.WorldSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], hello.From);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], hello.To);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], hello.ChunkBytes);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], token.Length);
        token.CopyTo(span[HelloFixedBytes..]);
        await SendAllAsync(socket, buffer, cancel);
    }

    /// <summary>Reads a hello; a connection that is not a ring peer of this protocol version gets an IOException.</summary>
    public static async Task<Hello> ReceiveHelloAsync(Socket socket, CancellationToken cancel)
    {
        var head = new byte[HelloFixedBytes];
        await ReceiveAllAsync(socket, head, cancel);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) != Magic) throw new IOException("not a ring peer (bad magic)");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(4));
        if (version != Version) throw new IOException($"ring protocol version {version}, this process speaks {Version}");
        int tokenLength = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(24));
        if (tokenLength is < 0 or > MaxTokenBytes) throw new IOException($"token length {tokenLength} out of range");
        var token = new byte[tokenLength];
        await ReceiveAllAsync(socket, token, cancel);
        return new Hello(
            BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(8)),
            BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(12)),
            BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(16)),
            BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(20)),
            Encoding.UTF8.GetString(token));
    }

    /// <summary>Why the receiving side refuses <paramref name="hello"/>, or null when it is the expected predecessor.</summary>
    public static string? Check(Hello hello, Hello expected)
    {
        // First, and in constant time; the answer never echoes either token, so a stranger learns nothing from it.
        if (!SameToken(hello.Token, expected.Token))
            return "wrong group token (a process of another job or an older generation, or not a member of this group)";
        if (hello.WorldSize != expected.WorldSize) return $"world size {hello.WorldSize}, this group has {expected.WorldSize}";
        if (hello.To != expected.To) return $"addressed to rank {hello.To}, this is rank {expected.To}";
        if (hello.From != expected.From) return $"sent by rank {hello.From}, rank {expected.To} accepts only its predecessor, rank {expected.From}";
        if (hello.ChunkBytes != expected.ChunkBytes) return $"chunk size {hello.ChunkBytes} bytes, this rank uses {expected.ChunkBytes}: every rank needs the same RingOptions.ChunkBytes";
        return null;
    }

    static bool SameToken(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));

    public static async Task SendAnswerAsync(Socket socket, string? refusal, CancellationToken cancel)
    {
        var reason = Encoding.UTF8.GetBytes(refusal ?? "");
        if (reason.Length > MaxReasonBytes) reason = reason[..MaxReasonBytes];
        var buffer = new byte[8 + reason.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, refusal is null ? 0 : 1);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), reason.Length);
        reason.CopyTo(buffer.AsSpan(8));
        await SendAllAsync(socket, buffer, cancel);
    }

    /// <summary>Null when accepted, else the peer's reason for refusing.</summary>
    public static async Task<string?> ReceiveAnswerAsync(Socket socket, CancellationToken cancel)
    {
        var head = new byte[8];
        await ReceiveAllAsync(socket, head, cancel);
        int status = BinaryPrimitives.ReadInt32LittleEndian(head);
        int length = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
        if (length is < 0 or > MaxReasonBytes) throw new IOException($"handshake answer length {length} out of range");
        var reason = new byte[length];
        await ReceiveAllAsync(socket, reason, cancel);
        return status == 0 ? null : Encoding.UTF8.GetString(reason);
    }

    static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty) data = data[await socket.SendAsync(data, SocketFlags.None, cancel)..];
    }

    static async Task ReceiveAllAsync(Socket socket, Memory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            int n = await socket.ReceiveAsync(data, SocketFlags.None, cancel);
            if (n == 0) throw new IOException("the connection closed during the handshake");
            data = data[n..];
        }
    }
}
