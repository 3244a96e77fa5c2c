namespace Rotator.Scheduling;

/// <summary>What the configuration reloader logs: every accepted change, every rejected problem.</summary>
internal static partial class ReloadLog
{
    [LoggerMessage(EventId = 160, Level = LogLevel.Error, Message = "Configuration change rejected: {Problem} The previous configuration stays in force.")]
    public static partial void Rejected(ILogger logger, string problem);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "Configuration reloaded: key {Key} added and scheduled")]
    public static partial void Added(ILogger logger, string key);

    [LoggerMessage(EventId = 162, Level = LogLevel.Information, Message = "Configuration reloaded: key {Key} removed; its schedule is deleted")]
    public static partial void Removed(ILogger logger, string key);

    [LoggerMessage(EventId = 163, Level = LogLevel.Information, Message = "Configuration reloaded: key {Key} rescheduled")]
    public static partial void Rescheduled(ILogger logger, string key);

    [LoggerMessage(EventId = 164, Level = LogLevel.Information, Message = "Configuration reloaded: key {Key} now uses its new secret, issuer or account")]
    public static partial void Redefined(ILogger logger, string key);

    [LoggerMessage(EventId = 165, Level = LogLevel.Information, Message = "Configuration reloaded: key {Key} updated")]
    public static partial void Updated(ILogger logger, string key);

    [LoggerMessage(EventId = 166, Level = LogLevel.Warning, Message = "Configuration reloaded: the change to key {Key} ({Change}) waits because {Reason}; until then its previous definition stays in force")]
    public static partial void Deferred(ILogger logger, string key, KeyChange change, string reason);

    [LoggerMessage(EventId = 167, Level = LogLevel.Warning, Message = "Configuration reloaded: {Setting} changed, which takes effect only after a restart; the running value stays in force")]
    public static partial void RestartNeeded(ILogger logger, string setting);

    [LoggerMessage(EventId = 168, Level = LogLevel.Error, Message = "Applying the configuration change failed ({Exception}); the next change or rotation at rest tries again\n{StackTrace}")]
    public static partial void ApplyFailed(ILogger logger, string exception, string stackTrace);

    [LoggerMessage(EventId = 169, Level = LogLevel.Debug, Message = "Configuration reloaded: nothing that matters to the schedules changed")]
    public static partial void Unchanged(ILogger logger);
}
