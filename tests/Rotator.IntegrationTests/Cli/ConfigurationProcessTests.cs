namespace Rotator.IntegrationTests.Cli;

/// <summary>Bad configuration, as an operator meets it: the process refuses to start and says what to fix.</summary>
public sealed class ConfigurationProcessTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("rotator-config-test-");

    public void Dispose() => folder.Delete(recursive: true);

    [Fact]
    public async Task Validate_BadConfiguration_ExitsNonZeroWithOneLinePerProblem()
    {
        var config = Path.Combine(folder.FullName, "bad.json");
        await File.WriteAllTextAsync(config, """
            {"Rotator":{"Vault":{"Uri":"https://v.vault.azure.net/"},"Keys":[
              {"Name":"billing","Secret":"billing_key","Schedule":{"Cron":"0 0 25 * * ?"},"Issuer":{"Type":"Vendor"},"Consumers":[{"Url":"http://b:8080/k"}]},
              {"Name":"BILLING","Secret":"other","Schedule":{"Interval":"00:00:00"},"Issuer":{"Type":"Generated"},"Consumers":[{}],"Verifiers":[{"Url":"http://v:8080/a"}]}]}}
            """);

        using var validate = RotatorProcess.Start(["validate", "--config", config]);
        var exit = await validate.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.NotEqual(0, exit);
        var problems = validate.Lines.Where(l => l.StartsWith("  - ", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("Keys[billing].Secret", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[billing].Schedule.Cron", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[billing].Issuer.Type", StringComparison.Ordinal) && p.Contains("Generated, Http", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[BILLING].Name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[BILLING].Schedule.Interval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys[BILLING].Consumers[0].Url", StringComparison.Ordinal) && p.Contains("missing URL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_InProductionWithoutAVaultUri_RefusesToStartAndNamesTheSetting()
    {
        using var run = RotatorProcess.Start(["run"]);

        var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.NotEqual(0, exit);
        Assert.Contains(run.Lines, l => l.Contains("Vault.Uri", StringComparison.Ordinal) && l.Contains("Rotator:Vault:Uri", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_TheShippedAppsettings_IsRejectedOnlyForItsMissingVault()
    {
        using var validate = RotatorProcess.Start(["validate"]);

        var exit = await validate.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.NotEqual(0, exit);
        Assert.Single(validate.Lines, l => l.StartsWith("  - ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_InDevelopmentWithoutAVaultUri_ServesTheLocalVaultInsteadOfFailing()
    {
        using var run = RotatorProcess.Start(["run"], folder.FullName, new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });

        var line = await run.WaitForLineAsync(l => l.StartsWith("Development: no Rotator:Vault:Uri", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        await run.WaitForLineAsync(l => l.Contains("Quartz", StringComparison.OrdinalIgnoreCase) || l.Contains("started", StringComparison.OrdinalIgnoreCase), TimeSpan.FromMinutes(1));

        Assert.Contains(Path.Combine(folder.FullName, ".rotator", "local-vault"), line, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder.FullName, ".rotator", "local-vault", "token")));
    }
}
