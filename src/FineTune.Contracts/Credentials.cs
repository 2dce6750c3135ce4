using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FineTune.Contracts;

/// <summary>
/// The one way a client sends a shared secret (<see cref="Secrets"/>): an interceptor that puts it in every call's
/// metadata, whatever the call's kind, so no command builds its own headers.
/// </summary>
public static class Credentials
{
    /// <summary>The invoker with <paramref name="secret"/> under <paramref name="header"/> on every call; unchanged when there is no secret.</summary>
    public static CallInvoker Attach(CallInvoker invoker, string header, string? secret) =>
        secret is null ? invoker : invoker.Intercept(new SecretHeaderInterceptor(header, secret));
}

/// <summary>Adds one header to every client call (unary and streaming, blocking and async).</summary>
public sealed class SecretHeaderInterceptor(string header, string secret) : Interceptor
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        BlockingUnaryCallContinuation<TRequest, TResponse> continuation) => continuation(request, With(context));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation) => continuation(request, With(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) => continuation(request, With(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
        AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) => continuation(With(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
        AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) => continuation(With(context));

    ClientInterceptorContext<TRequest, TResponse> With<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        var headers = new Metadata(); // a copy: a caller's Metadata may be shared by several calls
        foreach (var entry in context.Options.Headers ?? []) headers.Add(entry);
        headers.Add(header, secret);
        return new(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}
