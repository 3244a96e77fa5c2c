using Rotator.Admin;
using Rotator.IntegrationTests.Crash;
using Rotator.LocalVault;

namespace Rotator.IntegrationTests.Cli;

/// <summary>Inside the worker's pod no key is typed: the CLI reads the admin key from the vault with the worker's configuration.</summary>
public sealed class AdminKeyProcessTests : IAsyncLifetime
{
    private const string ViewerKey = "rk_view_Vb7Qm2Xc9Lp4Rt8Ws1Kd6Jh3Nf5Gz0";
    private const string OperatorKey = "rk_oper_Hq4Tn8Zm1Yc6Pv3Lk9Sx2Bw7Dr5Fj0";
    private const string EnvironmentKey = "rk_envi_Mx3Kq7Wz2Rb9Tc5Yh1Pn8Ld4Vs6Gj0";

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("rotator-admin-key-");
    private LocalVaultServer vault = null!;
    private FakeAdminApi api = null!;
    private string config = "";

    public async Task InitializeAsync()
    {
        var data = Path.Combine(folder.FullName, "vault");
        vault = await LocalVaultServer.StartAsync(new LocalVaultOptions { DataDirectory = data }, TimeProvider.System, null, CancellationToken.None);
        var secrets = LocalVaultConnection.CreateClient(vault.Uri, vault.AccessToken, vault.Certificate, TimeSpan.FromSeconds(10));
        await secrets.SetSecretAsync("admin-dash", ViewerKey);
        await secrets.SetSecretAsync("admin-ops", OperatorKey);
        api = await FakeAdminApi.StartAsync();
        api.Answer("GET", "/keys", 200, "[]");
        api.Answer("POST", "/keys/billing/rotate", 202, """{"key":"billing","action":"rotate","actor":"ops","rotationId":"r1","phase":"Intent"}""");
        config = Path.Combine(folder.FullName, "rotator.json");
        await File.WriteAllTextAsync(config, CrashWorld.Nest(new Dictionary<string, string?>
        {
            ["Rotator:Vault:Uri"] = vault.Uri.ToString(),
            ["Rotator:Vault:Credential"] = "LocalVault",
            ["Rotator:Vault:LocalVaultData"] = data,
            ["Rotator:Admin:Keys:0:Name"] = "ops",
            ["Rotator:Admin:Keys:0:Role"] = "Operator",
            ["Rotator:Admin:Keys:0:Secret"] = "admin-ops",
            ["Rotator:Admin:Keys:1:Name"] = "dash",
            ["Rotator:Admin:Keys:1:Role"] = "Viewer",
            ["Rotator:Admin:Keys:1:Secret"] = "admin-dash",
        }).ToJsonString());
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await vault.DisposeAsync();
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task WithoutOptionOrVariable_ReadsUseTheViewerKeyAndActionsTheOperatorKeyFromTheVault()
    {
        // As in the worker's pod: the configuration file and the API's address come from the environment.
        using var status = RotatorProcess.Start(["status"], folder.FullName, new Dictionary<string, string> { ["ROTATOR_URL"] = api.Url.ToString(), ["ROTATOR_CONFIG"] = config });
        Assert.True(await status.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, status.Output);
        using var rotate = RotatorProcess.Start(["rotate", "billing", "--reason", "drill", "--config", config, "--url", api.Url.ToString()], folder.FullName);
        Assert.True(await rotate.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, rotate.Output);

        Assert.Equal(
            [new AdminRequest("GET", "/keys", "", ViewerKey), new AdminRequest("POST", "/keys/billing/rotate", "?reason=drill", OperatorKey)],
            api.Requests);
        Assert.Contains("No managed keys.", status.Lines);
        Assert.Contains("rotation: r1", rotate.Lines);
        Secrets.AssertAbsent([ViewerKey, OperatorKey], status.Output + rotate.Output);
    }

    [Fact]
    public async Task TheEnvironmentVariable_WinsOverTheVault()
    {
        using var status = RotatorProcess.Start(["status", "--config", config, "--url", api.Url.ToString()], folder.FullName,
            new Dictionary<string, string> { ["ROTATOR_API_KEY"] = EnvironmentKey });

        Assert.True(await status.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, status.Output);
        Assert.Equal(EnvironmentKey, Assert.Single(api.Requests).ApiKey);
        Assert.Equal(AdminRoutes.Keys, api.Requests[0].Path);
        Secrets.AssertAbsent([EnvironmentKey], status.Output);
    }
}
