using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Rotator.Configuration;
using Rotator.Telemetry;

namespace Rotator.Notifications;

/// <summary>
/// The outcomes waiting to be POSTed: a bounded channel between the rotation (which must never wait) and the sender.
/// When it is full, a new outcome is dropped and counted rather than waited for.
/// </summary>
internal sealed partial class WebhookQueue
{
    private readonly Channel<RotationOutcome> channel;
    private readonly IOptionsMonitor<RotatorOptions> options;
    private readonly RotatorMetrics metrics;
    private readonly ILogger<WebhookQueue> logger;

    public WebhookQueue(IOptionsMonitor<RotatorOptions> options, RotatorMetrics metrics, ILogger<WebhookQueue> logger)
    {
        this.options = options;
        this.metrics = metrics;
        this.logger = logger;
        // The capacity is read once: a channel cannot be resized, and a restart applies a new one.
        channel = Channel.CreateBounded<RotationOutcome>(new BoundedChannelOptions(Math.Max(1, options.CurrentValue.Webhook?.QueueCapacity ?? 100))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public ChannelReader<RotationOutcome> Reader => channel.Reader;

    /// <summary>Whether the configuration asks for this outcome to be sent at all.</summary>
    public static bool Wanted(WebhookOptions? webhook, OutcomeKind kind) =>
        webhook?.Url is not null && (webhook.Events is not { Count: > 0 } events || events.Any(e => Outcomes.Parse(e) == kind));

    /// <summary>Never blocks: a full queue drops the outcome and counts it.</summary>
    public void Offer(RotationOutcome outcome)
    {
        if (!Wanted(options.CurrentValue.Webhook, outcome.Kind))
        {
            return;
        }

        if (!channel.Writer.TryWrite(outcome))
        {
            metrics.WebhookDropped.Add(1, new KeyValuePair<string, object?>("event", outcome.Kind.WireName()));
            LogDropped(logger, outcome.Key, outcome.Kind.WireName(), outcome.RotationId);
        }
    }

    public void Complete() => channel.Writer.TryComplete();

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Webhook queue full: dropped the {Event} notification of key {Key} rotation {RotationId}")]
    private static partial void LogDropped(ILogger logger, string key, string @event, string? rotationId);
}
