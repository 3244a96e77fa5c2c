namespace Rotator.Configuration;

public enum WebhookFormat
{
    /// <summary>A JSON object with one field per fact (event, key, rotationId, phase, trigger, actor, fingerprints, error, at).</summary>
    Json,

    /// <summary>A Slack incoming-webhook body: <c>{"text": "…"}</c> with the same facts in words.</summary>
    Slack,
}

/// <summary>
/// <c>Rotator:Webhook</c>: where rotation outcomes are POSTed. No URL, no webhook. The URL often holds a token (Slack's
/// do): give it from a Kubernetes Secret through the environment (<c>Rotator__Webhook__Url</c>); it is never logged.
/// </summary>
public sealed class WebhookOptions
{
    public Uri? Url { get; set; }

    /// <summary><c>Json</c> or <c>Slack</c>. A string, so that a misspelling is a validation message, not a binder exception.</summary>
    public string Format { get; set; } = nameof(WebhookFormat.Json);

    public WebhookFormat? Kind => Enum.TryParse<WebhookFormat>(Format, ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind : null;

    /// <summary>Which outcomes to send (completed, stalled, failed, needs_attention, aborted, emergency); empty: all of them.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>Each attempt's limit.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per notification, the first included; retried with exponential backoff and jitter.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each next one doubles, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Notifications waiting to be sent; beyond this new ones are dropped (and counted), so a rotation never waits on a webhook.</summary>
    public int QueueCapacity { get; set; } = 100;
}
