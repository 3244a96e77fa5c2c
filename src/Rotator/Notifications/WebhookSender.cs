using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Rotator.Configuration;
using Rotator.Telemetry;

namespace Rotator.Notifications;

/// <summary>
/// Drains the <see cref="WebhookQueue"/>: POSTs each outcome, retrying with exponential backoff and jitter, each attempt
/// bounded by the configured timeout. Runs beside the rotations and never holds one up. The URL is never logged: it
/// often holds a token.
/// </summary>
internal sealed partial class WebhookSender(
    WebhookQueue queue,
    IHttpClientFactory clients,
    IOptionsMonitor<RotatorOptions> options,
    RotatorMetrics metrics,
    TimeProvider time,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string HttpClientName = "webhook";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var outcome in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await DeliverAsync(outcome, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A notification must never stop the worker; its message is left out, as it may quote the URL.
                    Count(outcome.Kind.WireName(), "failed");
                    LogUnexpected(logger, outcome.Kind.WireName(), outcome.Key, e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is lost, as a restart would lose it; the vault records every outcome.
        }
    }

    /// <summary>Sends one notification with its retries; true when the receiver took it.</summary>
    public async Task<bool> DeliverAsync(RotationOutcome outcome, CancellationToken cancellationToken)
    {
        var webhook = options.CurrentValue.Webhook;
        if (webhook?.Url is not { } url)
        {
            return false;
        }

        var @event = outcome.Kind.WireName();
        var body = WebhookPayload.Format(outcome, webhook.Kind ?? WebhookFormat.Json);
        var client = clients.CreateClient(HttpClientName);
        var attempts = 0;
        string lastProblem;
        try
        {
            using var response = await Pipeline(webhook, (attempt, problem) => LogRetry(logger, @event, outcome.Key, attempt, problem)).ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    return await client.SendAsync(request, ct);
                },
                cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                Count(@event, "delivered");
                LogDelivered(logger, @event, outcome.Key, outcome.RotationId, attempts);
                return true;
            }

            lastProblem = $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            // The exception's message is left out: it can quote the URL, which may hold a token.
            lastProblem = e is TimeoutRejectedException ? $"no answer within {webhook.Timeout}" : e.GetType().Name;
        }

        Count(@event, "failed");
        LogGaveUp(logger, @event, outcome.Key, outcome.RotationId, attempts, lastProblem);
        return false;
    }

    /// <summary>Worth another try: no answer, a timeout, throttling or a server error. Other client errors will not get better.</summary>
    public static bool Retryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private ResiliencePipeline<HttpResponseMessage> Pipeline(WebhookOptions webhook, Action<int, string> onRetry)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (webhook.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => Retryable(r.StatusCode)),
                MaxRetryAttempts = webhook.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = webhook.BaseDelay,
                MaxDelay = webhook.MaxDelay,
                OnRetry = args =>
                {
                    onRetry(args.AttemptNumber + 1, args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : args.Outcome.Exception?.GetType().Name ?? "unknown");
                    return default;
                },
            });
        }

        return builder.AddTimeout(webhook.Timeout).Build();
    }

    private void Count(string @event, string outcome) =>
        metrics.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("event", @event), new KeyValuePair<string, object?>("outcome", outcome));

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Webhook: the {Event} notification of key {Key} failed unexpectedly ({Exception})")]
    private static partial void LogUnexpected(ILogger logger, string @event, string key, string exception);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Webhook: sent the {Event} notification of key {Key} rotation {RotationId} (attempt {Attempts})")]
    private static partial void LogDelivered(ILogger logger, string @event, string key, string? rotationId, int attempts);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Webhook: attempt {Attempt} to send the {Event} notification of key {Key} failed ({Problem}); retrying")]
    private static partial void LogRetry(ILogger logger, string @event, string key, int attempt, string problem);

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "Webhook: gave up on the {Event} notification of key {Key} rotation {RotationId} after {Attempts} attempt(s): {Problem}")]
    private static partial void LogGaveUp(ILogger logger, string @event, string key, string? rotationId, int attempts, string problem);
}
