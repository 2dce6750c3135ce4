using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Core.Tests.Transfers;

/// <summary>The transfer tests' bytes: random ones, and as the one sender chunks them.</summary>
static class TransferData
{
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static List<FileChunk> Chunks(byte[] bytes, string name) => FileChunks.Read(new MemoryStream(bytes), name).ToList();
}

/// <summary>A stream of messages as a gRPC call hands them out, from a list.</summary>
sealed class ListReader<T>(IEnumerable<T> items) : IAsyncStreamReader<T>
{
    readonly IEnumerator<T> items = items.GetEnumerator();

    public T Current => items.Current;

    public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(items.MoveNext());
}

/// <summary>A client stream that keeps what is written to it, and whether it was completed.</summary>
sealed class ListWriter<T> : IClientStreamWriter<T>
{
    public List<T> Written { get; } = [];
    public bool Completed { get; private set; }
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message)
    {
        if (Completed) throw new InvalidOperationException("written after completion");
        Written.Add(message);
        return Task.CompletedTask;
    }

    public Task CompleteAsync()
    {
        Completed = true;
        return Task.CompletedTask;
    }
}

/// <summary>A channel that answers every call with an empty message, keeping each call's headers.</summary>
sealed class RecordingInvoker : CallInvoker
{
    public List<Metadata?> Headers { get; } = [];

    TResponse Answer<TResponse>(CallOptions options) where TResponse : class
    {
        Headers.Add(options.Headers);
        return Activator.CreateInstance<TResponse>();
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        Answer<TResponse>(options);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        new(Task.FromResult(Answer<TResponse>(options)), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        Headers.Add(options.Headers);
        return new(new ListReader<TResponse>([]), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        new(new ListWriter<TRequest>(), Task.FromResult(Answer<TResponse>(options)), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        Headers.Add(options.Headers);
        return new(new ListWriter<TRequest>(), new ListReader<TResponse>([]), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }
}
