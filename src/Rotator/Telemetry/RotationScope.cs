using Rotator.Rotation;

namespace Rotator.Telemetry;

/// <summary>
/// The logging scope of one execution of a key's job: every event logged inside it (minted, stored, revoked, an
/// issuer's or a probe's) carries the key and the actor, besides the rotation id and step the events name themselves.
/// </summary>
internal static class RotationScope
{
    /// <summary>
    /// The actor of what this execution does: the operator who asked, else whoever started the rotation in flight,
    /// else the schedule.
    /// </summary>
    public static string Actor(ControlRecord record, OperatorRequest? request) =>
        request?.Actor ?? (record.Phase.IsInFlight() || record.Phase == Phase.NeedsAttention ? record.Actor : null) ?? "schedule";

    public static IDisposable? Begin(ILogger logger, string key, ControlRecord record, OperatorRequest? request) =>
        logger.BeginScope(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Key"] = key,
            ["Actor"] = Actor(record, request),
        });
}
