using Rotator.Rotation;

namespace Rotator.Admin;

/// <summary>The admin API's routes and header, shared by the server and the CLI that calls it.</summary>
public static class AdminRoutes
{
    public const string ApiKeyHeader = "x-api-key";
    public const string Keys = "/keys";
    public const string PauseAll = "/pause";
    public const string ResumeAll = "/resume";
    public const string Live = "/healthz/live";
    public const string Ready = "/healthz/ready";
    public const string Metrics = "/metrics";

    public static string Key(string name) => $"/keys/{Uri.EscapeDataString(name)}";

    public static string History(string name) => $"{Key(name)}/history";

    /// <summary><c>POST</c>, with <c>?reason=</c>; <c>&amp;emergency=true&amp;suspect=old|new|all</c> for an emergency.</summary>
    public static string Rotate(string name) => $"{Key(name)}/rotate";

    public static string Abort(string name) => $"{Key(name)}/abort";

    /// <summary><c>POST</c>, with <c>?force=true&amp;reason=</c>.</summary>
    public static string Complete(string name) => $"{Key(name)}/complete";

    public static string Pause(string name) => $"{Key(name)}/pause";

    public static string Resume(string name) => $"{Key(name)}/resume";
}

/// <summary>One managed key as <c>GET /keys</c> shows it. Fingerprints, versions and times: never a key.</summary>
/// <param name="Age">How long the current version has been the latest.</param>
/// <param name="MaxAge">The oldest the key may get (from its schedule), or null.</param>
/// <param name="Probes">For a rotation in flight, what each consumer (or verifier) address last reported.</param>
public sealed record KeyStatus(
    string Name,
    string Secret,
    string Issuer,
    Phase Phase,
    string? RotationId,
    RotationTrigger? Trigger,
    string? Actor,
    DateTimeOffset? PhaseSince,
    string? CurrentVersion,
    string? CurrentFingerprint,
    TimeSpan? Age,
    TimeSpan? MaxAge,
    DateTimeOffset? NextRotation,
    bool Paused,
    DateTimeOffset? LastCompleted,
    string? LastError,
    string? Note,
    string? NewFingerprint,
    string? OldFingerprint,
    IReadOnlyList<ProbeStatus> Probes,
    DateTimeOffset? ObservedAt);

/// <param name="Role">consumer or verifier.</param>
/// <param name="Switched">Whether the address reports (or accepts) the key the gate waits for.</param>
public sealed record ProbeStatus(string Role, string Target, string Address, IReadOnlyList<string> Fingerprints, bool Switched, string? Error);

/// <summary>The answer to an accepted operator action (202).</summary>
/// <param name="RotationId">The rotation the action started or acted on, when known.</param>
public sealed record ActionAccepted(string Key, string Action, string Actor, string? RotationId, Phase Phase, string? Message);

/// <summary>The answer to <c>POST /pause</c> or <c>POST /resume</c> (202): the keys acted on, and those left alone with why.</summary>
public sealed record BulkActionAccepted(string Action, string Actor, IReadOnlyList<ActionAccepted> Accepted, IReadOnlyList<KeySkipped> Skipped);

/// <param name="Why">For example: the key needs attention, so only a resume by name (once checked) lets it go on.</param>
public sealed record KeySkipped(string Key, Phase Phase, string Why);

/// <summary>The optional JSON body of an action: <c>{"reason": "…"}</c> (the <c>reason</c> query parameter wins).</summary>
public sealed record ActionBody(string? Reason);

/// <summary>The authorization policies of the admin API: the two roles of <see cref="Configuration.AdminRole"/>.</summary>
public static class AdminPolicies
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
}
