using Rotator.Telemetry;

namespace Rotator.Configuration;

/// <summary>The webhook's options. The URL is never quoted: it often holds a token.</summary>
internal sealed partial class RotatorOptionsValidator
{
    private static readonly string WebhookFormats = string.Join(", ", Enum.GetNames<WebhookFormat>());

    private static void CheckWebhook(WebhookOptions? webhook, List<string> failures)
    {
        if (webhook is null)
        {
            return;
        }

        const string Section = "Rotator:Webhook";
        if (webhook.Url is { } url && !IsAbsolute(url, Uri.UriSchemeHttp, Uri.UriSchemeHttps))
        {
            failures.Add($"{Section}:Url: not an absolute http(s) URL; write the full address the notifications are POSTed to, e.g. \"https://hooks.example.com/rotator\" (from a Secret, through Rotator__Webhook__Url).");
        }

        if (webhook.Kind is null)
        {
            failures.Add($"{Section}:Format: \"{webhook.Format}\" is not a format; use one of {WebhookFormats}.");
        }

        foreach (var name in webhook.Events ?? [])
        {
            if (Outcomes.Parse(name) is null)
            {
                failures.Add($"{Section}:Events: \"{name}\" is not an event; use any of {string.Join(", ", Outcomes.WireNames)}, or leave Events empty for all of them.");
            }
        }

        Positive($"{Section}:Timeout", webhook.Timeout, "00:00:10", failures);

        if (webhook.MaxAttempts < 1)
        {
            failures.Add($"{Section}:MaxAttempts: {webhook.MaxAttempts} must be at least 1 (1 sends once, without retries).");
        }

        if (webhook.BaseDelay <= TimeSpan.Zero || webhook.MaxDelay < webhook.BaseDelay)
        {
            failures.Add($"{Section}:BaseDelay/MaxDelay: {Format(webhook.BaseDelay)}/{Format(webhook.MaxDelay)}: the base delay must be positive and no longer than the maximum, e.g. \"00:00:02\" and \"00:01:00\".");
        }

        if (webhook.QueueCapacity < 1)
        {
            failures.Add($"{Section}:QueueCapacity: {webhook.QueueCapacity} must be at least 1, e.g. 100.");
        }
    }
}
