using Rotator.Configuration;
using Rotator.Consumers;

namespace Rotator.Tests.Fakes;

/// <summary>Consumers whose reports a test sets directly.</summary>
internal sealed class FakeProbe : IConsumerProbe
{
    public Func<ProbeRole, IReadOnlyList<ProbeObservation>> Answer { get; set; } = _ => [];

    public int Polls { get; private set; }

    public Task<IReadOnlyList<ProbeObservation>> PollAsync(IReadOnlyList<ProbeOptions> probes, ProbeRole role, CancellationToken cancellationToken)
    {
        Polls++;
        return Task.FromResult(Answer(role));
    }

    public static IReadOnlyList<ProbeObservation> All(int replicas, params string[] fingerprints) =>
        [.. Enumerable.Range(1, replicas).Select(i => new ProbeObservation("svc", $"10.0.0.{i}", fingerprints, null))];
}
