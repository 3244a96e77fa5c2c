using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Rotator.Configuration;
using Rotator.Notifications;
using Rotator.Rotation;
using Rotator.Telemetry;
using Rotator.Tests.Telemetry;

namespace Rotator.Tests.Notifications;

public sealed class WebhookTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static RotationOutcome Outcome(OutcomeKind kind = OutcomeKind.Completed, string? error = null) => new(
        kind, "billing", "r20260301115500-0a1b2c3d", Phase.Completed, RotationTrigger.Manual, "alice", "1111111111111111", "2222222222222222", error, RotationEvent.StepSucceeded, At);

    [Fact]
    public void Format_Json_HasEveryFieldByItsName()
    {
        var body = JsonDocument.Parse(WebhookPayload.Format(Outcome(OutcomeKind.NeedsAttention, "the vendor lists a key nobody knows"), WebhookFormat.Json)).RootElement;

        Assert.Equal("needs_attention", body.GetProperty("event").GetString());
        Assert.Equal("billing", body.GetProperty("key").GetString());
        Assert.Equal("r20260301115500-0a1b2c3d", body.GetProperty("rotationId").GetString());
        Assert.Equal("Completed", body.GetProperty("phase").GetString());
        Assert.Equal("Manual", body.GetProperty("trigger").GetString());
        Assert.Equal("alice", body.GetProperty("actor").GetString());
        Assert.Equal("1111111111111111", body.GetProperty("fingerprint").GetString());
        Assert.Equal("2222222222222222", body.GetProperty("oldFingerprint").GetString());
        Assert.Equal("the vendor lists a key nobody knows", body.GetProperty("error").GetString());
        Assert.Equal(At, body.GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public void Format_JsonWithoutError_WritesNull()
    {
        var body = JsonDocument.Parse(WebhookPayload.Format(Outcome(), WebhookFormat.Json)).RootElement;

        Assert.Equal(JsonValueKind.Null, body.GetProperty("error").ValueKind);
    }

    [Theory]
    [InlineData(OutcomeKind.Completed, "completed")]
    [InlineData(OutcomeKind.Stalled, "stalled")]
    [InlineData(OutcomeKind.Failed, "failed")]
    [InlineData(OutcomeKind.NeedsAttention, "needs attention")]
    [InlineData(OutcomeKind.Aborted, "aborted")]
    [InlineData(OutcomeKind.Emergency, "emergency")]
    public void Format_Slack_IsOneTextWithTheSameFacts(OutcomeKind kind, string words)
    {
        var body = JsonDocument.Parse(WebhookPayload.Format(Outcome(kind, "boom"), WebhookFormat.Slack)).RootElement;

        var text = Assert.Single(body.EnumerateObject()).Value.GetString()!;
        Assert.Equal("text", body.EnumerateObject().Single().Name);
        foreach (var fact in new[] { words, "billing", "r20260301115500-0a1b2c3d", "Manual", "alice", "1111111111111111", "2222222222222222", "boom", "2026-03-01 12:00:00 UTC" })
        {
            Assert.Contains(fact, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(null, OutcomeKind.Completed, true)]
    [InlineData(new[] { "stalled", "needs_attention" }, OutcomeKind.Stalled, true)]
    [InlineData(new[] { "stalled", "needs_attention" }, OutcomeKind.Completed, false)]
    public void Wanted_EmptyEventsMeanAll_OtherwiseTheListed(string[]? events, OutcomeKind kind, bool wanted) =>
        Assert.Equal(wanted, WebhookQueue.Wanted(new WebhookOptions { Url = new Uri("https://hooks.example/x"), Events = [.. events ?? []] }, kind));

    [Fact]
    public void Wanted_NoUrl_IsNothing() => Assert.False(WebhookQueue.Wanted(new WebhookOptions(), OutcomeKind.Completed));

    [Fact]
    public void Offer_FullQueue_DropsAndCountsWithoutBlocking()
    {
        using var c = new MetricsCollector(new RotatorOptions { Webhook = new WebhookOptions { Url = new Uri("https://hooks.example/x"), QueueCapacity = 2 } });
        var queue = new WebhookQueue(c.Options, c.Metrics, NullLogger<WebhookQueue>.Instance);

        for (var i = 0; i < 5; i++)
        {
            queue.Offer(Outcome());
        }

        Assert.Equal(3, c.Sum("rotator.webhook.dropped", ("event", "completed")));
        Assert.Equal(2, queue.Reader.Count);
    }

    [Fact]
    public async Task Deliver_FailsTwiceThenSucceeds_RetriesOnTheInjectedClock()
    {
        using var c = new MetricsCollector(Options(maxAttempts: 5));
        var handler = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.InternalServerError, HttpStatusCode.OK);
        var sender = Sender(c, handler);

        var delivered = await RunOnFakeClockAsync(c, sender.DeliverAsync(Outcome(), CancellationToken.None));

        Assert.True(delivered);
        Assert.Equal(3, handler.Bodies.Count);
        Assert.Single(handler.Bodies.Distinct());
        Assert.All(handler.Uris, u => Assert.Equal("https://hooks.example/x?token=t", u.ToString()));
        Assert.Equal(1, c.Sum("rotator.webhook.deliveries", ("event", "completed"), ("outcome", "delivered")));
    }

    [Fact]
    public async Task Deliver_KeepsFailing_GivesUpAfterMaxAttemptsAndCounts()
    {
        using var c = new MetricsCollector(Options(maxAttempts: 3));
        var handler = new ScriptedHandler(HttpStatusCode.BadGateway);
        var sender = Sender(c, handler);

        var delivered = await RunOnFakeClockAsync(c, sender.DeliverAsync(Outcome(), CancellationToken.None));

        Assert.False(delivered);
        Assert.Equal(3, handler.Bodies.Count);
        Assert.Equal(1, c.Sum("rotator.webhook.deliveries", ("event", "completed"), ("outcome", "failed")));
    }

    [Fact]
    public async Task Deliver_ClientError_IsNotRetried()
    {
        using var c = new MetricsCollector(Options(maxAttempts: 5));
        var handler = new ScriptedHandler(HttpStatusCode.NotFound);

        var delivered = await RunOnFakeClockAsync(c, Sender(c, handler).DeliverAsync(Outcome(), CancellationToken.None));

        Assert.False(delivered);
        Assert.Single(handler.Bodies);
    }

    [Fact]
    public async Task Deliver_NoAnswerWithinTheTimeout_IsRetried()
    {
        using var c = new MetricsCollector(Options(maxAttempts: 2));
        var handler = new ScriptedHandler(HttpStatusCode.OK) { HangFirst = true };

        var delivered = await RunOnFakeClockAsync(c, Sender(c, handler).DeliverAsync(Outcome(), CancellationToken.None));

        Assert.True(delivered);
        Assert.Equal(2, handler.Bodies.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    public void Retryable_ServerErrorsAndThrottling(HttpStatusCode status, bool retry) => Assert.Equal(retry, WebhookSender.Retryable(status));

    private static RotatorOptions Options(int maxAttempts) => new()
    {
        Webhook = new WebhookOptions
        {
            Url = new Uri("https://hooks.example/x?token=t"),
            MaxAttempts = maxAttempts,
            BaseDelay = TimeSpan.FromSeconds(2),
            MaxDelay = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(10),
        },
    };

    private static WebhookSender Sender(MetricsCollector c, ScriptedHandler handler) =>
        new(new WebhookQueue(c.Options, c.Metrics, NullLogger<WebhookQueue>.Instance), new Clients(handler), c.Options, c.Metrics, c.Time, NullLogger<WebhookSender>.Instance);

    /// <summary>
    /// Moves the fake clock half a second at a time until the delivery is done. Between moves the sender gets a moment
    /// to reach its next timer; the delays themselves only pass on the fake clock.
    /// </summary>
    private static async Task<T> RunOnFakeClockAsync<T>(MetricsCollector c, Task<T> task)
    {
        for (var i = 0; i < 2_000 && !task.IsCompleted; i++)
        {
            await Task.WhenAny(task, Task.Delay(5));
            c.Time.Advance(TimeSpan.FromMilliseconds(500));
        }

        return await task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class Clients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>Answers with the scripted statuses in order, repeating the last; can leave the first request hanging.</summary>
    private sealed class ScriptedHandler(params HttpStatusCode[] statuses) : HttpMessageHandler
    {
        private int calls;

        public bool HangFirst { get; init; }

        public List<string> Bodies { get; } = [];

        public List<Uri> Uris { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Bodies)
            {
                Bodies.Add(request.Content!.ReadAsStringAsync(cancellationToken).GetAwaiter().GetResult());
                Uris.Add(request.RequestUri!);
            }

            var call = Interlocked.Increment(ref calls);
            if (HangFirst && call == 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return new HttpResponseMessage(statuses[Math.Min(call, statuses.Length) - 1]);
        }
    }
}
