namespace Rotator.Rotation;

public enum OperatorAction
{
    /// <summary>Start a rotation now; refused (with the running id) while one is in flight.</summary>
    Rotate,

    /// <summary>A suspected compromise: never refused because a rotation is running.</summary>
    Emergency,

    /// <summary>Undo the rotation in flight and pause the key's schedule.</summary>
    Abort,

    /// <summary>Revoke although some consumers have not switched; needs an explicit confirmation and a reason.</summary>
    ForceComplete,

    /// <summary>No scheduled rotations until resumed; a rotation in flight goes on.</summary>
    Pause,

    /// <summary>Undo a pause, or let a key in NeedsAttention go on from where it stopped.</summary>
    Resume,
}

/// <summary>What a person asked of one managed key, and who asked.</summary>
public sealed record OperatorRequest(OperatorAction Action, string Actor, string? Reason = null, Suspect Suspect = Suspect.Old, bool Confirmed = false)
{
    /// <summary>The request as the record notes it: action, actor and reason, never more than a tag holds.</summary>
    public string Describe() => ControlRecord.Truncate(
        $"{Action}{(Action == OperatorAction.Emergency ? " " + Suspect.ToString().ToLowerInvariant() : "")} by {Actor}{(string.IsNullOrWhiteSpace(Reason) ? "" : ": " + Reason)}");
}
