using Rotator.Cli;
using Rotator.IntegrationTests.Crash;
using Rotator.LocalVault;

namespace Rotator.IntegrationTests.Cli;

/// <summary><c>validate</c> as an operator runs it, against a real local vault, the sample vendor and consumers over HTTP.</summary>
public sealed class ValidateProcessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Validate_AWorkingSetup_PassesAndSaysWritesWereNotChecked()
    {
        await using var around = await Surroundings.StartAsync("validate-ok", generated: false, [new ConsumerSpec(TimeSpan.FromMilliseconds(200))], TimeSpan.FromSeconds(1));

        var config = around.WorkerConfiguration();
        // An admin key, not yet in the vault: the worker will mint it, and its probes are the worker's own.
        config["Rotator:Admin:Keys:0:Name"] = "ops";
        config["Rotator:Admin:Keys:0:Role"] = "Operator";
        config["Rotator:Admin:Keys:0:Secret"] = "rotator-admin-ops";

        using var validate = await StartAsync(around, config);
        var exit = await validate.WaitForExitAsync(Limit);

        Assert.True(exit == 0, validate.Output);
        Assert.Contains("All checks passed.", validate.Lines);
        Assert.Contains(validate.Lines, l => l.StartsWith("Note: Not checked: the set and update (write) permissions", StringComparison.Ordinal));
        Assert.Contains(validate.Lines, l => l.Contains("1 vendor listing(s), 1 probe address(es)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_NoListPermissionADeadProbeAndARefusedCredential_NamesEachAndExitsNonZero()
    {
        await using var around = await Surroundings.StartAsync("validate-bad", generated: false, [new ConsumerSpec(TimeSpan.FromMilliseconds(200))], TimeSpan.FromSeconds(1));
        var goodToken = (await around.Secrets.GetSecretAsync(DemoCommand.ManagementSecret)).Value.Value;
        const string WrongToken = "mgmt_wrong_7fQ2xN9vB4kL1pZ8sR6tW3yH5";
        await around.Secrets.SetSecretAsync(DemoCommand.ManagementSecret, WrongToken);

        // The worker's identity may read secrets but not list their versions.
        var restricted = Directory.CreateDirectory(Path.Combine(around.Folder.FullName, "no-list"));
        await File.WriteAllTextAsync(Path.Combine(restricted.FullName, "token"), around.Vault.AddToken("no-list", LocalVaultPermission.Get, LocalVaultPermission.Set, LocalVaultPermission.Update));
        File.Copy(Path.Combine(around.VaultData, "cert.pem"), Path.Combine(restricted.FullName, "cert.pem"));
        var config = around.WorkerConfiguration();
        config["Rotator:Vault:LocalVaultData"] = restricted.FullName;
        config["Rotator:Keys:0:Consumers:1:Url"] = "http://127.0.0.1:1/rotator/key";

        using var validate = await StartAsync(around, config);
        var exit = await validate.WaitForExitAsync(Limit);

        File.WriteAllText("/tmp/validate-bad.txt", validate.Output);
        Assert.True(exit != 0, validate.Output);
        var problems = validate.Lines.Where(l => l.StartsWith("  - ", StringComparison.Ordinal)).ToList();
        Assert.Contains(problems, p => p.Contains("Keys[demo]", StringComparison.Ordinal) && p.Contains($"refused 'list' on secret '{DemoCommand.Secret}'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[demo]", StringComparison.Ordinal) && p.Contains($"refused 'list' on secret '{DemoCommand.Secret}-rotator'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[demo]", StringComparison.Ordinal) && p.Contains("http://127.0.0.1:1/rotator/key", StringComparison.Ordinal) && p.Contains("did not answer", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[demo]", StringComparison.Ordinal) && p.Contains("List request failed", StringComparison.Ordinal) && p.Contains("401", StringComparison.Ordinal)
            && p.Contains(DemoCommand.ManagementSecret, StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("'get'", StringComparison.Ordinal));
        Assert.Equal(4, problems.Count);
        Secrets.AssertAbsent([goodToken, WrongToken], validate.Output);
    }

    /// <summary>The worker's configuration as a file, and validate run in its own process from a folder of its own.</summary>
    private static async Task<RotatorProcess> StartAsync(Surroundings around, Dictionary<string, string?> config)
    {
        var work = Directory.CreateDirectory(Path.Combine(around.Folder.FullName, "work-" + Guid.NewGuid().ToString("N")[..8]));
        var file = Path.Combine(work.FullName, "rotator.json");
        await File.WriteAllTextAsync(file, CrashWorld.Nest(config).ToJsonString());
        return RotatorProcess.Start(["validate", "--config", file], work.FullName, new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
    }
}
