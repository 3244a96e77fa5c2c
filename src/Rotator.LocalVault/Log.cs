using Microsoft.Extensions.Logging;

namespace Rotator.LocalVault;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Local vault listening on {Uri}, data in {DataDirectory}")]
    public static partial void Started(ILogger logger, Uri uri, string dataDirectory);

    [LoggerMessage(2, LogLevel.Information, "Local vault on {Uri} stopped")]
    public static partial void Stopped(ILogger logger, Uri uri);

    [LoggerMessage(3, LogLevel.Debug, "{Method} {Path} answered 401: no valid bearer token")]
    public static partial void Unauthenticated(ILogger logger, string method, string path);

    [LoggerMessage(4, LogLevel.Information, "{Method} {Path} by token '{Token}' denied: it lacks the {Permission} permission")]
    public static partial void Forbidden(ILogger logger, string method, string path, string token, LocalVaultPermission permission);

    [LoggerMessage(5, LogLevel.Information, "Injected fault {Kind} into {Method} {Path}")]
    public static partial void FaultInjected(ILogger logger, LocalVaultFaultKind kind, string method, string path);

    [LoggerMessage(6, LogLevel.Debug, "Committed {Operation} of secret {Name} version {Version}")]
    public static partial void Committed(ILogger logger, LocalVaultWriteOperation operation, string name, string version);
}
