using FineTune.Contracts;
using Grpc.Core;

namespace FineTune.Coordinator.Security;

/// <summary>
/// The cluster API's gate: with a join token configured, every worker call (Register, Heartbeat, FetchBlob, Report,
/// UploadResult) carries it as x-join-token metadata: missing is UNAUTHENTICATED, wrong is PERMISSION_DENIED.
/// </summary>
public sealed class JoinTokenInterceptor(SecurityOptions security) : SharedSecretInterceptor
{
    protected override void Check(ServerCallContext context)
    {
        if (security.JoinToken is not { } expected) return;
        var presented = context.RequestHeaders.GetValue(Secrets.JoinTokenHeader);
        if (presented is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"this coordinator requires a join token: start the worker with --join-token or FINETUNE_JOIN_TOKEN"));
        if (!Secrets.Matches(presented, expected))
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the join token is not valid for this coordinator"));
    }
}
