using FineTune.Contracts;
using Grpc.Core;

namespace FineTune.Coordinator.Security;

/// <summary>The Jobs API's gate: with an API key configured, every call carries it (x-api-key or authorization: Bearer), else UNAUTHENTICATED.</summary>
public sealed class ApiKeyInterceptor(SecurityOptions security) : SharedSecretInterceptor
{
    protected override void Check(ServerCallContext context)
    {
        if (security.ApiKey is not { } expected) return;
        var headers = context.RequestHeaders;
        var presented = headers.GetValue(Secrets.ApiKeyHeader);
        if (presented is null && headers.GetValue("authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            presented = auth["Bearer ".Length..].Trim();
        if (presented is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"this coordinator requires an API key: send it as '{Secrets.ApiKeyHeader}' or 'authorization: Bearer' metadata (finetune: --api-key or FINETUNE_API_KEY)"));
        if (!Secrets.Matches(presented, expected))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key is not valid for this coordinator"));
    }
}
