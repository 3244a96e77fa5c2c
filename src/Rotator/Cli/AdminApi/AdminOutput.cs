using System.Text;
using Rotator.Admin;
using Rotator.Rotation;

namespace Rotator.Cli.AdminApi;

/// <summary>What the admin commands print for people. Pure: text in, text out; <c>--json</c> bypasses it.</summary>
internal static class AdminOutput
{
    private static readonly string[] StatusHeaders =
        ["KEY", "PHASE", "FINGERPRINT", "AGE / MAX AGE", "NEXT ROTATION", "PAUSED", "ROTATION", "LAST ERROR"];

    private static readonly string[] ProbeHeaders = ["ROLE", "TARGET", "ADDRESS", "SWITCHED", "FINGERPRINTS", "ERROR"];

    private static readonly string[] HistoryHeaders =
        ["ROTATION", "TRIGGER", "ACTOR", "STARTED", "ENDED", "OUTCOME", "FINGERPRINT (OLD → NEW)", "STEPS"];

    public static string Status(IReadOnlyList<KeyStatus> keys) =>
        keys.Count == 0 ? "No managed keys.\n" : TextTable.Render(StatusHeaders, keys.Select(StatusRow));

    /// <summary>One key: its row, what the rotation in flight is, and what each probe address last reported.</summary>
    public static string Status(KeyStatus key)
    {
        var text = new StringBuilder(TextTable.Render(StatusHeaders, [StatusRow(key)]));
        text.Append('\n');
        Line(text, "secret", key.Secret);
        Line(text, "issuer", key.Issuer);
        if (key.Trigger is { } trigger)
        {
            Line(text, "trigger", key.Actor is null ? trigger.ToString() : $"{trigger} by {key.Actor}");
        }

        Line(text, "phase since", key.PhaseSince is null ? null : TextTable.Time(key.PhaseSince));
        Line(text, "fingerprints", key.OldFingerprint is null && key.NewFingerprint is null ? null : $"{key.OldFingerprint ?? "-"} → {key.NewFingerprint ?? "-"}");
        Line(text, "last completed", key.LastCompleted is null ? null : TextTable.Time(key.LastCompleted));
        Line(text, "note", key.Note);
        Line(text, "observed", key.ObservedAt is null ? null : TextTable.Time(key.ObservedAt));
        text.Append('\n');
        text.Append(key.Probes.Count == 0
            ? "No probe observations (none while no rotation is in flight).\n"
            : TextTable.Render(ProbeHeaders, key.Probes.Select(p => (IReadOnlyList<string?>)
                [p.Role, p.Target, p.Address, p.Switched ? "yes" : "no", string.Join(",", p.Fingerprints), p.Error])));
        return text.ToString();
    }

    public static string History(string key, IReadOnlyList<RotationHistoryEntry> entries) =>
        entries.Count == 0
            ? $"No rotations recorded for {key}.\n"
            : TextTable.Render(HistoryHeaders, entries.Select(e => (IReadOnlyList<string?>)
            [
                e.RotationId,
                e.Trigger.ToString(),
                e.Actor,
                TextTable.Time(e.Started),
                TextTable.Time(e.Ended),
                e.Outcome,
                e.OldFingerprint is null && e.NewFingerprint is null ? null : $"{e.OldFingerprint ?? "-"} → {e.NewFingerprint ?? "-"}",
                e.Steps.Count == 0 ? null : string.Join(" > ", e.Steps.Select(s => s.Phase)),
            ]));

    /// <summary>An accepted action: what was done, the rotation it concerns and the phase it left the key in.</summary>
    public static string Action(ActionAccepted accepted)
    {
        var target = string.IsNullOrEmpty(accepted.Key) ? "" : " " + accepted.Key;
        var text = $"{accepted.Action}{target}: accepted (actor {accepted.Actor})\nrotation: {accepted.RotationId ?? "-"}\nphase:    {accepted.Phase}\n";
        return string.IsNullOrWhiteSpace(accepted.Message) ? text : text + accepted.Message.ReplaceLineEndings(" ") + "\n";
    }

    /// <summary>A global pause or resume: each key acted on, and each left alone with why.</summary>
    public static string Bulk(BulkActionAccepted answer)
    {
        var text = new StringBuilder($"{answer.Action}: accepted (actor {answer.Actor}) for {answer.Accepted.Count} key(s)\n");
        if (answer.Accepted.Count > 0)
        {
            text.Append(TextTable.Render(["KEY", "PHASE", "ROTATION"], answer.Accepted.Select(a => (IReadOnlyList<string?>)[a.Key, a.Phase.ToString(), a.RotationId])));
        }

        foreach (var skipped in answer.Skipped)
        {
            text.Append($"skipped {skipped.Key} ({skipped.Phase}): {(skipped.Why ?? "").ReplaceLineEndings(" ")}\n");
        }

        return text.ToString();
    }

    /// <summary>An error answer for stderr: title and detail, the running rotation on a conflict, and what to do for auth failures.</summary>
    public static string Problem(int status, AdminProblem? problem)
    {
        var text = new StringBuilder();
        text.Append("error: ").Append(problem?.Title ?? $"the worker answered {status}").Append($" ({status})\n");
        if (!string.IsNullOrWhiteSpace(problem?.Detail))
        {
            text.Append("  ").Append(problem.Detail.ReplaceLineEndings(" ")).Append('\n');
        }

        if (problem?.RotationId is { } running)
        {
            text.Append("  rotation in flight: ").Append(running).Append('\n');
        }

        var hint = status switch
        {
            401 => $"  The worker did not accept the API key: check --api-key or {AdminConnection.ApiKeyVariable}.",
            403 => "  The API key's role may not do this: actions need an Operator key.",
            _ => null,
        };
        if (hint is not null)
        {
            text.Append(hint).Append('\n');
        }

        return text.ToString();
    }

    private static IReadOnlyList<string?> StatusRow(KeyStatus key) =>
    [
        key.Name,
        key.Phase.ToString(),
        key.CurrentFingerprint,
        $"{TextTable.Duration(key.Age)} / {TextTable.Duration(key.MaxAge)}",
        TextTable.Time(key.NextRotation),
        key.Paused ? "yes" : "no",
        key.RotationId,
        key.LastError,
    ];

    private static void Line(StringBuilder text, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            text.Append($"{label + ":",-16}").Append(value.ReplaceLineEndings(" ")).Append('\n');
        }
    }
}
