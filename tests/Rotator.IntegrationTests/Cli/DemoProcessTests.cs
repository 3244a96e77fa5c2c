using System.Text.RegularExpressions;
using Rotator.Client;
using Rotator.Demo;
using Rotator.LocalVault;

namespace Rotator.IntegrationTests.Cli;

/// <summary>The README's demo, run as a person runs it: a separate process, judged by its output and exit code.</summary>
public sealed partial class DemoProcessTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("rotator-demo-test-");

    public void Dispose() => data.Delete(recursive: true);

    [GeneratedRegex(@"^rotations: (\d+), consumer requests: (\d+), failed requests: (\d+)$")]
    private static partial Regex Summary();

    [GeneratedRegex(@"r\d{14}-[0-9a-f]{8}")]
    private static partial Regex RotationId();

    [Fact]
    public async Task Demo_RunsToItsSummaryLineWithNoFailedRequest()
    {
        using var demo = RotatorProcess.Start(["demo", "--rotations", "2", "--data", data.FullName]);

        var exit = await demo.WaitForExitAsync(Limit);

        Assert.True(exit == 0, demo.Output);
        var summary = Summary().Match(demo.Lines.Last());
        Assert.True(summary.Success, $"last line is not the summary: {demo.Lines.Last()}");
        Assert.Matches(@"^memory: peak working set \d+ MiB, managed heap \d+ MiB", demo.Lines[^2]);
        Assert.Equal("2", summary.Groups[1].Value);
        Assert.True(long.Parse(summary.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 100);
        Assert.Equal("0", summary.Groups[3].Value);
        Assert.Contains(demo.Lines, l => l.StartsWith("rotation 2/2 completed", StringComparison.Ordinal));
        Secrets.AssertAbsent(await KeysInVaultAsync(), demo.Output);
    }

    [Fact]
    public async Task Demo_KilledMidRotation_ResumesThatRotationFromTheSameFolder()
    {
        string killed;
        using (var first = RotatorProcess.Start(["demo", "--rotations", "3", "--data", data.FullName]))
        {
            // A scheduled rotation (not the bootstrap) has minted; the key's value exists only in the process being killed.
            var minted = await first.WaitForLineAsync(l => l.Contains("Intent -> Minted", StringComparison.Ordinal) && l.Contains("trigger Schedule", StringComparison.Ordinal), Limit);
            first.Kill();
            killed = RotationId().Match(minted).Value;
        }

        using var second = RotatorProcess.Start(["demo", "--rotations", "1", "--data", data.FullName]);
        var exit = await second.WaitForExitAsync(Limit);

        Assert.True(exit == 0, second.Output);
        Assert.Matches(Summary(), second.Lines.Last());
        Assert.EndsWith("failed requests: 0", second.Lines.Last(), StringComparison.Ordinal);
        Assert.DoesNotContain(second.Lines, l => l.StartsWith("bootstrap:", StringComparison.Ordinal));

        // The killed rotation resumed under its own id. Wherever the kill landed (before or after the store), nothing is
        // lost: one key is active at the vendor, it is the vault's latest, and every other key is revoked.
        Assert.Contains(second.Lines, l => l.StartsWith("rotation 1/1 completed", StringComparison.Ordinal) && l.Contains(killed, StringComparison.Ordinal));
        var keys = await KeysInVaultAsync();
        await using var vendor = await SampleVendor.StartAsync(new SampleVendorOptions { DataDirectory = Path.Combine(data.FullName, "vendor") }, TimeProvider.System, null, default);
        var active = Assert.Single(vendor.Keys("demo"), k => !k.Revoked);
        Assert.Equal(Fingerprint.Of(keys[^1]), active.Fingerprint);
        Assert.Equal(2, keys.Count);
        Secrets.AssertAbsent(keys, second.Output);
    }

    /// <summary>Every version of the demo's managed secret, oldest first, read from the folder the demo left.</summary>
    private async Task<IReadOnlyList<string>> KeysInVaultAsync()
    {
        await using var vault = await LocalVaultServer.StartAsync(new LocalVaultOptions { DataDirectory = Path.Combine(data.FullName, "vault") }, TimeProvider.System, null, default);
        return [.. vault.Snapshot().Where(v => v.Name == "demo-api-key").OrderBy(v => v.Sequence).Select(v => v.Value)];
    }
}
