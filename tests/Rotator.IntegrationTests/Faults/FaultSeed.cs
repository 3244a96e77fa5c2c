using System.Globalization;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Faults;

/// <summary>The seed of every random fault source in one test: printed, and fixed by <c>ROTATOR_FAULT_SEED</c> to repeat a run.</summary>
internal static class FaultSeed
{
    public const string Variable = "ROTATOR_FAULT_SEED";

    public static int Choose(ITestOutputHelper output, string test)
    {
        var fixedSeed = Environment.GetEnvironmentVariable(Variable);
        var seed = int.TryParse(fixedSeed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : Random.Shared.Next();
        output.WriteLine($"{test}: fault seed {seed} ({Variable}={seed} repeats it)");
        return seed;
    }
}
