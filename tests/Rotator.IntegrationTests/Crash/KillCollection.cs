namespace Rotator.IntegrationTests.Crash;

/// <summary>
/// The kill tests run one at a time, after the parallel ones: each starts and kills worker processes against timed
/// gates, and two of them at once on two cores would mostly measure each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KillCollection
{
    public const string Name = "Kill";
}
