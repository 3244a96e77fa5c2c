using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.IntegrationTests.Rotation;

namespace Rotator.IntegrationTests.Telemetry;

/// <summary>A real worker's metrics, health and webhook over real HTTP on 127.0.0.1, after real rotations.</summary>
public sealed class TelemetryEndToEndTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    /// <summary>Every metric the README documents, as Prometheus names it (histograms by their series).</summary>
    public static readonly string[] DocumentedMetrics =
    [
        "rotator_rotations_total",
        "rotator_rotation_duration_seconds_bucket",
        "rotator_rotation_duration_seconds_sum",
        "rotator_rotation_duration_seconds_count",
        "rotator_key_age_seconds",
        "rotator_key_max_age_seconds",
        "rotator_key_last_completed_timestamp_seconds",
        "rotator_consumers_not_switched",
        "rotator_keys",
        "rotator_vault_reachable",
        "rotator_vault_last_success_timestamp_seconds",
        "rotator_vault_operations_total",
        "rotator_issuer_requests_total",
        "rotator_webhook_deliveries_total",
    ];

    [Fact]
    public async Task AfterRotations_MetricsHealthAndAWebhookThatFailedTwiceTellWhatHappened_WithoutTheRotationWaiting()
    {
        var rotated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = new Receiver(rotated.Task);
        var (app, address) = await LoopbackServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), receiver.HandleAsync, CancellationToken.None);
        try
        {
            await using var world = await RotationWorld.StartAsync(new WorldOptions
            {
                Configure = c =>
                {
                    c["Rotator:Keys:0:Schedule:MaxAge"] = "01:00:00";
                    c["Rotator:Webhook:Url"] = new Uri(address, "hook?token=not-to-be-logged").ToString();
                    c["Rotator:Webhook:Events:0"] = "completed";
                    c["Rotator:Webhook:BaseDelay"] = "00:00:00.050";
                    c["Rotator:Webhook:MaxDelay"] = "00:00:00.200";
                    c["Rotator:Webhook:Timeout"] = "00:01:30";
                },
            });
            var worker = WorkerHost.Addresses(world.Worker)[0];
            using var http = new HttpClient { BaseAddress = worker };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);
            await WaitForAsync(async () => (await http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK, "/healthz/ready to answer 200");

            // The receiver holds the first notification (the bootstrap's) unanswered until a later rotation completed:
            // had the rotation waited on the webhook, it could not have completed.
            await world.WaitForRotationsAsync(1, Limit);
            rotated.SetResult();
            await receiver.Delivered.Task.WaitAsync(Limit);
            await WaitForAsync(() => Task.FromResult(receiver.Bodies.Any(b => Json(b).GetProperty("trigger").GetString() == "Schedule")), "a scheduled rotation's notification");

            var first = receiver.Bodies.First();
            Assert.Equal(3, receiver.Bodies.Count(b => b == first));
            Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], receiver.Answers.Take(3));
            var body = Json(first);
            Assert.Equal("completed", body.GetProperty("event").GetString());
            Assert.Equal("demo", body.GetProperty("key").GetString());
            Assert.StartsWith("r", body.GetProperty("rotationId").GetString(), StringComparison.Ordinal);
            Assert.Equal("Completed", body.GetProperty("phase").GetString());
            Assert.Equal("Bootstrap", body.GetProperty("trigger").GetString());
            Assert.Equal("schedule", body.GetProperty("actor").GetString());
            Assert.Matches("^[0-9a-f]{16}$", body.GetProperty("fingerprint").GetString());
            var later = Json(receiver.Bodies.First(b => Json(b).GetProperty("trigger").GetString() == "Schedule"));
            Assert.Matches("^[0-9a-f]{16}$", later.GetProperty("oldFingerprint").GetString());
            Assert.NotEqual(later.GetProperty("fingerprint").GetString(), later.GetProperty("oldFingerprint").GetString());

            var scrape = await http.GetStringAsync("/metrics");
            var samples = Samples(scrape);
            foreach (var name in DocumentedMetrics)
            {
                Assert.True(samples.Any(s => s.Name == name), $"{name} is missing from /metrics:\n{scrape}");
            }

            Assert.True(Value(samples, "rotator_rotations_total", "key=\"demo\"", "outcome=\"completed\"") >= 2);
            Assert.True(Value(samples, "rotator_rotation_duration_seconds_count", "key=\"demo\"") >= 2);
            Assert.InRange(Value(samples, "rotator_key_age_seconds", "key=\"demo\""), 0, 600);
            Assert.Equal(3600, Value(samples, "rotator_key_max_age_seconds", "key=\"demo\""));
            Assert.InRange(Value(samples, "rotator_consumers_not_switched", "key=\"demo\""), 0, 3);
            foreach (var phase in Enum.GetNames<Rotator.Rotation.Phase>())
            {
                Assert.Contains(samples, s => s.Name == "rotator_keys" && s.Labels.Contains($"phase=\"{phase}\"", StringComparison.Ordinal));
            }

            Assert.Equal(1, samples.Where(s => s.Name == "rotator_keys").Sum(s => s.Value));
            Assert.Equal(1, Value(samples, "rotator_vault_reachable"));
            Assert.True(Value(samples, "rotator_vault_last_success_timestamp_seconds") > 1.7e9);
            Assert.True(Value(samples, "rotator_vault_operations_total", "operation=\"set\"") >= 2);
            Assert.True(Value(samples, "rotator_issuer_requests_total", "method=\"POST\"") >= 2);
            Assert.True(Value(samples, "rotator_webhook_deliveries_total", "event=\"completed\"", "outcome=\"delivered\"") >= 1);

            var everything = string.Join('\n', [scrape, .. receiver.Bodies, world.Logs.Text]);
            Secrets.AssertAbsent(world.KeysInVault, everything);
            Assert.DoesNotContain("not-to-be-logged", world.Logs.Text, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackServer.StopAsync(app, CancellationToken.None);
        }
    }

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (!await condition())
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Waited {Limit} for {what}.");
            }
        }
    }

    private sealed record Sample(string Name, string Labels, double Value);

    /// <summary>The samples of a Prometheus text exposition: name, labels as written, value.</summary>
    private static List<Sample> Samples(string scrape) =>
        [.. scrape.Split('\n')
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l =>
            {
                var brace = l.IndexOf('{', StringComparison.Ordinal);
                var close = l.LastIndexOf('}');
                var name = brace < 0 ? l[..l.IndexOf(' ', StringComparison.Ordinal)] : l[..brace];
                var labels = brace < 0 ? "" : l[(brace + 1)..close];
                var rest = (brace < 0 ? l[name.Length..] : l[(close + 1)..]).Trim().Split(' ')[0];
                return new Sample(name, labels, double.Parse(rest, CultureInfo.InvariantCulture));
            })];

    private static double Value(List<Sample> samples, string name, params string[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).Sum(s => s.Value);

    /// <summary>Answers the first notification 503 twice (the first only once <paramref name="hold"/> is done), then 200.</summary>
    private sealed class Receiver(Task hold)
    {
        private readonly ConcurrentQueue<string> bodies = new();
        private readonly ConcurrentQueue<HttpStatusCode> answers = new();
        private int calls;

        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Bodies => [.. bodies];

        public IReadOnlyList<HttpStatusCode> Answers => [.. answers];

        public async Task HandleAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            bodies.Enqueue(body);
            var call = Interlocked.Increment(ref calls);
            if (call == 1)
            {
                await hold.WaitAsync(Limit, context.RequestAborted);
            }

            var status = call <= 2 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK;
            answers.Enqueue(status);
            context.Response.StatusCode = (int)status;
            if (status == HttpStatusCode.OK)
            {
                Delivered.TrySetResult();
            }
        }
    }
}
