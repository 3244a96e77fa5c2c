using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Quartz;
using Rotator.Notifications;

namespace Rotator.Telemetry;

/// <summary>Metrics on a Prometheus endpoint, liveness and readiness, and webhooks: everything an operator watches.</summary>
internal static class TelemetryExtensions
{
    public const string MetricsPath = "/metrics";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    private const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddRotatorTelemetry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<RotationOutcomes>();
        services.AddSingleton<WebhookQueue>();
        services.AddHostedService<OutcomeSubscribers>();
        services.AddHostedService<WebhookSender>();
        services.AddHttpClient(WebhookSender.HttpClientName);

        services.AddOpenTelemetry().ConfigureResource(r => r.AddService("rotator")).WithMetrics(metrics => metrics
            .AddMeter(RotatorMetrics.MeterName)
            .AddPrometheusExporter(o =>
            {
                // Gauges are read at scrape time; a cached answer would show a scrape-old state.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));

        services.ConfigureOpenTelemetryMeterProvider((sp, b) =>
        {
            // Meters are matched by name across the whole process: where several workers share one (tests, the demo),
            // each exports only the instruments its own meter factory made.
            var mine = sp.GetRequiredService<IMeterFactory>();
            b.AddView(i => i.Meter.Name == RotatorMetrics.MeterName && !ReferenceEquals(i.Meter.Scope, mine) ? MetricStreamConfiguration.Drop : null);
        });
        services.AddHealthChecks().AddCheck<SchedulerReadyCheck>("scheduler", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// <c>GET /metrics</c>, <c>GET /healthz/live</c> and <c>GET /healthz/ready</c>, all anonymous: Prometheus and the
    /// kubelet carry no admin key, and none of them shows a key.
    /// </summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) }).AllowAnonymous();
        return app;
    }
}

/// <summary>
/// Ready when the Quartz scheduler runs (started, not shut down, not in standby). The vault is left out on purpose:
/// a vault outage is a metric and an alert, and the admin API must stay reachable through it.
/// </summary>
internal sealed class SchedulerReadyCheck(ISchedulerFactory schedulers) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var status = await scheduler.GetStatus(cancellationToken);
        return Ready(status)
            ? HealthCheckResult.Healthy("The scheduler is running.")
            : HealthCheckResult.Unhealthy($"The scheduler is {status}, not running.");
    }

    /// <summary>Only a running scheduler fires triggers: created (not yet started), standby and shutting down are not ready.</summary>
    public static bool Ready(SchedulerStatus status) => status == SchedulerStatus.Running;
}

/// <summary>
/// Wires rotation outcomes to the metrics and the webhook queue. Hosted so that it is built with the host, before any
/// job runs (every hosted service is constructed before the first one starts).
/// </summary>
internal sealed class OutcomeSubscribers : IHostedService
{
    private readonly WebhookQueue queue;

    public OutcomeSubscribers(RotationOutcomes outcomes, RotatorMetrics metrics, WebhookQueue queue)
    {
        this.queue = queue;
        outcomes.Happened += o => Record(metrics, outcomes, o);
        outcomes.Happened += queue.Offer;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        return Task.CompletedTask;
    }

    public static void Record(RotatorMetrics metrics, RotationOutcomes outcomes, RotationOutcome outcome)
    {
        var key = new KeyValuePair<string, object?>("key", outcome.Key);
        metrics.Rotations.Add(1, key, new KeyValuePair<string, object?>("outcome", outcome.Kind.WireName()));
        if (outcome.Kind == OutcomeKind.Completed && outcomes.StartOf(outcome.Key, outcome.RotationId) is { } start)
        {
            metrics.RotationDuration.Record(Math.Max(0, (outcome.At - start).TotalSeconds), key);
        }
    }
}
