using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rotator.Configuration;
using Rotator.Telemetry;

namespace Rotator.Notifications;

/// <summary>The JSON body of a webhook notification. Fingerprints, ids and names only: the records hold nothing else.</summary>
public sealed record WebhookBody(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("rotationId")] string? RotationId,
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("trigger")] string Trigger,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("fingerprint")] string? Fingerprint,
    [property: JsonPropertyName("oldFingerprint")] string? OldFingerprint,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("cause")] string? Cause,
    [property: JsonPropertyName("at")] DateTimeOffset At);

/// <summary>Formats a <see cref="RotationOutcome"/> as the configured webhook body.</summary>
public static class WebhookPayload
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public static WebhookBody Body(RotationOutcome outcome) => new(
        outcome.Kind.WireName(),
        outcome.Key,
        outcome.RotationId,
        outcome.Phase.ToString(),
        outcome.Trigger.ToString(),
        outcome.Actor,
        outcome.Fingerprint,
        outcome.OldFingerprint,
        outcome.Error,
        outcome.Cause?.ToString(),
        outcome.At.ToUniversalTime());

    public static string Format(RotationOutcome outcome, WebhookFormat format) => format switch
    {
        WebhookFormat.Slack => JsonSerializer.Serialize(new { text = SlackText(outcome) }, Json),
        _ => JsonSerializer.Serialize(Body(outcome), Json),
    };

    /// <summary>The same facts in words, for a chat channel.</summary>
    public static string SlackText(RotationOutcome o)
    {
        var what = o.Kind switch
        {
            OutcomeKind.Completed => $":white_check_mark: Key *{o.Key}*: rotation {o.RotationId} completed.",
            OutcomeKind.Stalled => $":hourglass: Key *{o.Key}*: rotation {o.RotationId} stalled: consumers have not switched to the new key; the old key stays active until they do and an operator completes it.",
            OutcomeKind.Failed => $":x: Key *{o.Key}*: the rotation job failed (rotation {o.RotationId ?? "none"}); it runs again later.",
            OutcomeKind.NeedsAttention => $":rotating_light: Key *{o.Key}*: rotation {o.RotationId} needs attention; Rotator changes nothing until a person has checked.",
            OutcomeKind.Aborted => $":leftwards_arrow_with_hook: Key *{o.Key}*: rotation {o.RotationId} was aborted; the key's schedule is paused.",
            OutcomeKind.Emergency => $":fire: Key *{o.Key}*: emergency rotation {o.RotationId} started.",
            _ => $"Key *{o.Key}*: {o.Kind.WireName()}.",
        };
        var text = new StringBuilder(what);
        text.Append(CultureInfo.InvariantCulture, $"\nPhase: {o.Phase}. Trigger: {o.Trigger}, by {o.Actor}.");
        if (o.Fingerprint is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nNew key fingerprint: {o.Fingerprint}.");
        }

        if (o.OldFingerprint is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nOld key fingerprint: {o.OldFingerprint}.");
        }

        if (o.Error is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nError: {o.Error}");
        }

        text.Append(CultureInfo.InvariantCulture, $"\nAt: {o.At.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC.");
        return text.ToString();
    }
}
