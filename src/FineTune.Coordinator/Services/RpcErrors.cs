using FineTune.Contracts.Transfers;
using FineTune.Core;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>
/// The one mapping from what a request got wrong to the status both services answer with: bad input of any kind (a
/// wrong value, a missing or unreadable file, bytes that are not UTF-8: <see cref="Faults.IsBadRequest"/>) is
/// INVALID_ARGUMENT with its message; a refused file (<see cref="FileTransferException"/>) its problem's status
/// (<see cref="TransferProblems.StatusCode"/>). Anything else is a fault of the coordinator: not mapped here.
/// </summary>
public static class RpcErrors
{
    /// <summary>A refused file: its problem's status, with <paramref name="message"/> (a service's own words) or the receiver's.</summary>
    public static RpcException Refused(FileTransferException e, string? message = null) =>
        new(new Status(e.Problem.StatusCode(), message ?? e.Message));

    /// <summary>Runs a check of a request's input: bad input leaves as INVALID_ARGUMENT with its message.</summary>
    public static T Input<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (Exception e) when (Faults.IsBadRequest(e))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, Faults.Unwrap(e).Message));
        }
    }
}
