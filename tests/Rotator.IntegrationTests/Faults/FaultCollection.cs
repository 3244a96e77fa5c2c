namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// The fault tests run one at a time and alone: each one waits on timeouts and backoffs that a busy machine would
/// stretch, and a 20% fault rate already keeps two cores busy.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "Faults";
}
