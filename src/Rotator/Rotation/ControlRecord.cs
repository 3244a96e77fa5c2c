using System.Globalization;

namespace Rotator.Rotation;

/// <summary>How a rotation was started.</summary>
public enum RotationTrigger
{
    Schedule,
    Manual,
    Bootstrap,
    Emergency,
}

/// <summary>What an emergency rotation suspects of being compromised.</summary>
public enum Suspect
{
    /// <summary>The current (old) key: roll out a new one with a short grace instead of the gate, then revoke.</summary>
    Old,

    /// <summary>The key of the rotation in flight: revoke it first, then mint again.</summary>
    New,

    /// <summary>Every key: revoke them all first, accepting the downtime, then mint.</summary>
    All,
}

/// <summary>A key as the record names it: its fingerprint (safe to show) and the issuer's id for it.</summary>
public readonly record struct KeyRef(string Fingerprint, string? IssuerId)
{
    internal string Format() => IssuerId is null ? Fingerprint : $"{Fingerprint}:{IssuerId}";

    internal static KeyRef? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new KeyRef(text, null) : new KeyRef(text[..colon], text[(colon + 1)..]);
    }
}

/// <summary>
/// The write-ahead record of one managed key's rotation, kept in the tags of the control secret
/// <c>&lt;secret&gt;-rotator</c>. Every field is safe to show: fingerprints and ids, never a key.
/// </summary>
public sealed record ControlRecord
{
    public const int MaxTextLength = 256;

    public Phase Phase { get; init; } = Phase.Idle;

    public string? RotationId { get; init; }

    public RotationTrigger Trigger { get; init; } = RotationTrigger.Schedule;

    public string? Actor { get; init; }

    /// <summary>Failed attempts of the current step; reset when the phase changes.</summary>
    public int Attempts { get; init; }

    /// <summary>When the current phase began, on Rotator's own clock: the rollout timeout counts from here.</summary>
    public DateTimeOffset? PhaseSince { get; init; }

    public KeyRef? NewKey { get; init; }

    public KeyRef? OldKey { get; init; }

    public DateTimeOffset? LastCompleted { get; init; }

    /// <summary>The last error or the reason for NeedsAttention, truncated; never a key.</summary>
    public string? Error { get; init; }

    public bool Paused { get; init; }

    /// <summary>The worker that wrote the record last, and until when it holds the key.</summary>
    public Lease? Lease { get; init; }

    /// <summary>An emergency in force for this rotation, and since when.</summary>
    public Suspect? Emergency { get; init; }

    public DateTimeOffset? EmergencySince { get; init; }

    /// <summary>An operator confirmed completion although consumers had not switched (recorded with actor and reason in <see cref="Note"/>).</summary>
    public bool Forced { get; init; }

    /// <summary>Keys an emergency revokes before anything is minted.</summary>
    public IReadOnlyList<KeyRef> Suspects { get; init; } = [];

    /// <summary>The phase a key in NeedsAttention stopped in: an operator's resume returns there.</summary>
    public Phase? Held { get; init; }

    /// <summary>The last operator action with its actor and reason, truncated.</summary>
    public string? Note { get; init; }

    /// <summary>Each phase this rotation entered and when, to the second: the history the vault keeps.</summary>
    public IReadOnlyList<RotationStep> Steps { get; init; } = [];

    /// <summary>The record after entering <paramref name="phase"/> at <paramref name="at"/>; a new rotation starts a new list.</summary>
    public ControlRecord Step(Phase phase, DateTimeOffset at, bool newRotation = false) =>
        this with { Steps = newRotation ? [new RotationStep(phase, at)] : [.. Steps, new RotationStep(phase, at)] };

    public static class Tags
    {
        public const string Phase = "rotator-phase";
        public const string Rotation = "rotator-rotation";
        public const string Trigger = "rotator-trigger";
        public const string Attempts = "rotator-attempts";
        public const string Since = "rotator-since";
        public const string NewKey = "rotator-new";
        public const string OldKey = "rotator-old";
        public const string Completed = "rotator-completed";
        public const string Error = "rotator-error";
        public const string Paused = "rotator-paused";
        public const string Lease = "rotator-lease";
        public const string Flags = "rotator-flags";
        public const string Suspects = "rotator-suspects";
        public const string Steps = "rotator-steps";
        public const string Note = "rotator-note";
    }

    public IReadOnlyDictionary<string, string> ToTags()
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Tags.Phase] = Phase.ToString(),
            [Tags.Attempts] = Attempts.ToString(CultureInfo.InvariantCulture),
        };
        Put(tags, Tags.Rotation, RotationId);
        Put(tags, Tags.Trigger, Actor is null ? Trigger.ToString() : $"{Trigger}:{Actor}");
        Put(tags, Tags.Since, PhaseSince?.ToString("O", CultureInfo.InvariantCulture));
        Put(tags, Tags.NewKey, NewKey?.Format());
        Put(tags, Tags.OldKey, OldKey?.Format());
        Put(tags, Tags.Completed, LastCompleted?.ToString("O", CultureInfo.InvariantCulture));
        Put(tags, Tags.Error, Error);
        Put(tags, Tags.Paused, Paused ? "true" : null);
        Put(tags, Tags.Lease, Lease?.Format());
        Put(tags, Tags.Flags, FormatFlags());
        Put(tags, Tags.Suspects, Suspects.Count == 0 ? null : string.Join(',', Suspects.Select(k => k.Format())));
        Put(tags, Tags.Note, Note);
        Put(tags, Tags.Steps, StepsTag.Format(Steps));
        return tags;
    }

    public static ControlRecord FromTags(IReadOnlyDictionary<string, string> tags)
    {
        string? Get(string name) => tags.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
        var trigger = Get(Tags.Trigger);
        var flags = Get(Tags.Flags)?.Split(',') ?? [];
        var colon = trigger?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return new ControlRecord
        {
            Phase = Enum.TryParse<Phase>(Get(Tags.Phase), out var phase) ? phase : Phase.Idle,
            RotationId = Get(Tags.Rotation),
            Trigger = Enum.TryParse<RotationTrigger>(colon < 0 ? trigger : trigger![..colon], out var t) ? t : RotationTrigger.Schedule,
            Actor = colon < 0 ? null : trigger![(colon + 1)..],
            Attempts = int.TryParse(Get(Tags.Attempts), CultureInfo.InvariantCulture, out var attempts) ? attempts : 0,
            PhaseSince = Time(Get(Tags.Since)),
            NewKey = KeyRef.Parse(Get(Tags.NewKey)),
            OldKey = KeyRef.Parse(Get(Tags.OldKey)),
            LastCompleted = Time(Get(Tags.Completed)),
            Error = Get(Tags.Error),
            Paused = Get(Tags.Paused) == "true",
            Lease = Rotation.Lease.Parse(Get(Tags.Lease)),
            Emergency = ParseEmergency(Flag(flags, EmergencyFlag), out var since),
            EmergencySince = since,
            Forced = flags.Contains(ForcedFlag),
            Suspects = Get(Tags.Suspects)?.Split(',').Select(KeyRef.Parse).OfType<KeyRef>().ToList() ?? [],
            Held = Enum.TryParse<Phase>(Flag(flags, HeldFlag), out var held) ? held : null,
            Note = Get(Tags.Note),
            Steps = StepsTag.Parse(Get(Tags.Steps)),
        };
    }

    private string? FormatFlags()
    {
        var flags = new List<string>();
        if (Emergency is { } suspect)
        {
            flags.Add($"{EmergencyFlag}{suspect.ToString().ToLowerInvariant()}@{EmergencySince?.ToString("O", CultureInfo.InvariantCulture)}");
        }

        if (Forced)
        {
            flags.Add(ForcedFlag);
        }

        if (Held is { } held)
        {
            flags.Add(HeldFlag + held);
        }

        return flags.Count == 0 ? null : string.Join(',', flags);
    }

    private const string EmergencyFlag = "emergency-";
    private const string ForcedFlag = "forced";
    private const string HeldFlag = "held-";

    /// <summary>The rest of the first flag that starts with <paramref name="prefix"/>, or null.</summary>
    private static string? Flag(string[] flags, string prefix) =>
        flags.FirstOrDefault(f => f.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];

    /// <param name="flag">What follows "emergency-": the suspect, then "@" and since when.</param>
    private static Suspect? ParseEmergency(string? flag, out DateTimeOffset? since)
    {
        since = null;
        if (flag is null)
        {
            return null;
        }

        var at = flag.IndexOf('@', StringComparison.Ordinal);
        since = at < 0 ? null : Time(flag[(at + 1)..]);
        return Enum.TryParse<Suspect>(at < 0 ? flag : flag[..at], ignoreCase: true, out var suspect) ? suspect : null;
    }

    /// <summary>Key Vault allows 512 characters per tag value; reasons are cut to 256 so nothing else is crowded out.</summary>
    public static string Truncate(string text) => text.Length <= MaxTextLength ? text : text[..(MaxTextLength - 1)] + "…";

    private static void Put(Dictionary<string, string> tags, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            tags[name] = Truncate(value);
        }
    }

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;
}

/// <summary>
/// The steps of a rotation in one tag: <c>Intent@1764090000;Minted+3;Stored+4</c> — the first in Unix seconds, the
/// rest in seconds after it. Past <see cref="ControlRecord.MaxTextLength"/> the oldest steps after the first give way.
/// </summary>
internal static class StepsTag
{
    private const string Gap = "…";

    public static string? Format(IReadOnlyList<RotationStep> steps)
    {
        if (steps.Count == 0)
        {
            return null;
        }

        var start = steps[0].At;
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{steps[0].Phase}@{start.ToUnixTimeSeconds()}") };
        parts.AddRange(steps.Skip(1).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Phase}+{(long)(s.At - start).TotalSeconds}")));
        var dropped = false;
        while (string.Join(';', parts).Length > ControlRecord.MaxTextLength - Gap.Length - 1 && parts.Count > 2)
        {
            parts.RemoveAt(dropped ? 2 : 1);
            if (!dropped)
            {
                parts.Insert(1, Gap);
                dropped = true;
            }
        }

        return string.Join(';', parts);
    }

    public static IReadOnlyList<RotationStep> Parse(string? text)
    {
        var parts = text?.Split(';') ?? [];
        if (parts.Length == 0)
        {
            return [];
        }

        var at = parts[0].IndexOf('@', StringComparison.Ordinal);
        if (at < 0 || !Enum.TryParse<Phase>(parts[0][..at], out var first)
            || !long.TryParse(parts[0][(at + 1)..], CultureInfo.InvariantCulture, out var seconds))
        {
            return [];
        }

        var start = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var steps = new List<RotationStep> { new(first, start) };
        foreach (var part in parts.Skip(1))
        {
            var plus = part.IndexOf('+', StringComparison.Ordinal);
            if (plus > 0 && Enum.TryParse<Phase>(part[..plus], out var phase) && long.TryParse(part[(plus + 1)..], CultureInfo.InvariantCulture, out var offset))
            {
                steps.Add(new RotationStep(phase, start.AddSeconds(offset)));
            }
        }

        return steps;
    }
}

/// <summary>Which worker holds a key's rotation, and until when: how a second worker on the same vault is noticed.</summary>
public readonly record struct Lease(string Holder, DateTimeOffset Expires)
{
    public bool HeldByAnotherAt(string me, DateTimeOffset now) => Holder != me && Expires > now;

    internal string Format() => $"{Holder}|{Expires.ToString("O", CultureInfo.InvariantCulture)}";

    internal static Lease? Parse(string? text)
    {
        var bar = text?.LastIndexOf('|') ?? -1;
        return bar > 0 && DateTimeOffset.TryParse(text![(bar + 1)..], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires)
            ? new Lease(text[..bar], expires)
            : null;
    }
}

/// <summary>Tags Rotator puts on each version of a managed secret.</summary>
public static class VersionTags
{
    public const string Prefix = "rotator-";
    public const string KeyId = "rotator-key-id";
    public const string Fingerprint = "rotator-fingerprint";
    public const string Rotation = "rotator-rotation";
    public const string Sequence = "rotator-seq";
}
