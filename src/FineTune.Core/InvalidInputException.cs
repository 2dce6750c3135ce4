namespace FineTune.Core;

/// <summary>
/// Input the user can fix (a file, a field, an option): the message names it and the problem.
/// Front ends map it to "invalid input" (CLI exit code 2, gRPC INVALID_ARGUMENT), never a stack trace.
/// </summary>
public class InvalidInputException(string message, Exception? inner = null) : Exception(message, inner);
