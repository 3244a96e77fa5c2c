using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rotator.Configuration;
using Rotator.Issuers;
using Rotator.Rotation;
using Rotator.Telemetry;
using Rotator.Tests.Fakes;
using Rotator.Tests.Rotation;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace Rotator.Tests.Telemetry;

/// <summary>Every step of a rotation is one structured event with the key, the rotation id and the actor, as production's compact JSON writes it.</summary>
public sealed class RotationLoggingTests
{
    [Theory]
    [InlineData(true, "tester")]
    [InlineData(false, "schedule")]
    public async Task EveryStepEvent_InCompactJson_CarriesKeyRotationIdAndActor(bool manual, string actor)
    {
        var f = new ExecutorFixture();
        var old = f.SeedCurrentKey();
        f.ConsumersFollowTheVault();
        var sink = new CompactJsonSink();
        using var serilog = new LoggerConfiguration().MinimumLevel.Verbose().Enrich.FromLogContext().WriteTo.Sink(sink).CreateLogger();
        using var factory = new SerilogLoggerFactory(serilog);
        var executor = new RotationExecutor(
            f.Vault, new OneIssuer(f.Issuer), f.Probe, new GateMemory(), f.Time, new TestOptionsMonitor<RotatorOptions>(f.Options),
            new WorkerIdentity(), new RotationObserver(), factory.CreateLogger<RotationExecutor>());

        var result = await executor.RunAsync(f.Key, manual ? RunReason.Manual : RunReason.Scheduled, manual ? new OperatorRequest(OperatorAction.Rotate, "tester") : null, default);
        for (var i = 0; i < 100 && result.RunAgainAs == RunReason.FollowUp && result.RunAgainAt is { } at; i++)
        {
            f.Time.SetUtcNow(at > f.Time.GetUtcNow() ? at : f.Time.GetUtcNow());
            result = await executor.RunAsync(f.Key, RunReason.FollowUp, null, default);
        }

        Assert.Equal(Phase.Completed, result.Phase);
        var events = sink.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var steps = events.Where(e => e.TryGetProperty("EventId", out var id) && id.GetProperty("Id").GetInt32() is 100 or 101 or 102 or 105 or 106).ToList();
        Assert.Equal([100, 101, 102, 105, 106], steps.Select(e => e.GetProperty("EventId").GetProperty("Id").GetInt32()).Distinct().Order());
        Assert.All(steps, e =>
        {
            Assert.Equal("billing", e.GetProperty("Key").GetString());
            Assert.StartsWith("r", e.GetProperty("RotationId").GetString(), StringComparison.Ordinal);
            Assert.Equal(actor, e.GetProperty("Actor").GetString());
        });
        var text = string.Join('\n', sink.Lines);
        Assert.DoesNotContain(old, text, StringComparison.Ordinal);
        Assert.DoesNotContain(f.LatestValue!, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Phase.Idle, null, null, "schedule")]
    [InlineData(Phase.Completed, "alice", null, "schedule")]
    [InlineData(Phase.RollingOut, "alice", null, "alice")]
    [InlineData(Phase.NeedsAttention, "alice", null, "alice")]
    [InlineData(Phase.RollingOut, "alice", "bob", "bob")]
    [InlineData(Phase.Idle, null, "bob", "bob")]
    public void Actor_IsWhoAskedElseWhoStartedTheRotationInFlightElseTheSchedule(Phase phase, string? recorded, string? asking, string expected) =>
        Assert.Equal(expected, RotationScope.Actor(new ControlRecord { Phase = phase, Actor = recorded }, asking is null ? null : new OperatorRequest(OperatorAction.Rotate, asking)));

    /// <summary>What production's console writes, one JSON object a line.</summary>
    private sealed class CompactJsonSink : ILogEventSink
    {
        private readonly RenderedCompactJsonFormatter formatter = new();
        private readonly List<string> lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (lines)
                {
                    return [.. lines];
                }
            }
        }

        public void Emit(LogEvent logEvent)
        {
            using var writer = new StringWriter();
            formatter.Format(logEvent, writer);
            lock (lines)
            {
                lines.Add(writer.ToString().Trim());
            }
        }
    }

    private sealed class OneIssuer(IKeyIssuer issuer) : IIssuerFactory
    {
        public IKeyIssuer Create(ManagedKeyOptions key) => issuer;
    }
}
