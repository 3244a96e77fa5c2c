using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.IntegrationTests.Admin;
using Rotator.IntegrationTests.Cli;
using Rotator.IntegrationTests.Crash;
using Rotator.IntegrationTests.Rotation;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Security;

/// <summary>
/// Rotations of every kind (scheduled, manual, emergency, an admin key's own), then every output a person or a system
/// sees — logs, metrics, admin API answers, webhook bodies, CLI output — searched for every key that ever existed, in
/// plain and encoded forms and in 12-character pieces.
/// </summary>
public sealed class NoKeyInAnyOutputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rotations_LeaveNoKeyInLogsMetricsApiAnswersWebhookBodiesOrCliOutput()
    {
        var hooks = new ConcurrentQueue<string>();
        var (receiver, hookAddress) = await LoopbackServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            hooks.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
            context.Response.StatusCode = StatusCodes.Status200OK;
        }, CancellationToken.None);
        await using var _ = receiver;
        await using var admin = await AdminWorld.StartAsync(new WorldOptions
        {
            Configure = c =>
            {
                c["Serilog:MinimumLevel:Default"] = "Debug";
                c["Rotator:Webhook:Url"] = new Uri(hookAddress, "hook").ToString();
                // The operator's own key rotates during the test too.
                c["Rotator:Admin:Keys:0:Schedule:Interval"] = "00:00:02";
            },
        });
        var world = admin.World;
        await admin.WaitForBootstrapAsync();

        // A manual and an emergency rotation through the API, with whatever operator key the vault serves now.
        var rotate = await admin.PostAsync("/keys/demo/rotate?reason=audit", await CurrentAsync(world, AdminWorld.OpsSecret));
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Manual }, AdminWorld.Limit, "the manual rotation");
        var emergency = await admin.PostAsync("/keys/demo/rotate?emergency=true&suspect=old&reason=leaked", await CurrentAsync(world, AdminWorld.OpsSecret));
        Assert.Equal(HttpStatusCode.Accepted, emergency.Status);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Emergency }, AdminWorld.Limit, "the emergency rotation");
        await admin.WaitForStatusAsync("admin-ops", s => s.GetProperty("phase").GetString() == "Completed" && s.GetProperty("trigger").GetString() == "Schedule", "a rotation of the operator's admin key");

        // Every kind of answer: status, history, refusals and authentication failures.
        var viewer = await CurrentAsync(world, AdminWorld.ViewSecret);
        foreach (var path in new[] { "/keys", "/keys/demo", "/keys/demo/history", "/keys/admin-ops", "/keys/admin-ops/history", "/keys/nope" })
        {
            await admin.GetAsync(path, viewer);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync("/keys/demo/rotate?reason=x", viewer)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/keys", viewer[..^1])).Status);
        var scrape = await admin.Http.GetStringAsync("/metrics");

        // The CLI, as in the worker's pod: no key at hand, it reads one from the vault through the configuration.
        var config = Path.Combine(world.VaultData, "..", "cli.json");
        await File.WriteAllTextAsync(config, CrashWorld.Nest(new Dictionary<string, string?>
        {
            ["Rotator:Vault:Uri"] = world.Vault.Uri.ToString(),
            ["Rotator:Vault:Credential"] = "LocalVault",
            ["Rotator:Vault:LocalVaultData"] = world.VaultData,
            ["Rotator:Admin:Keys:0:Name"] = "ops",
            ["Rotator:Admin:Keys:0:Role"] = "Operator",
            ["Rotator:Admin:Keys:0:Secret"] = AdminWorld.OpsSecret,
            ["Rotator:Admin:Keys:1:Name"] = "view",
            ["Rotator:Admin:Keys:1:Role"] = "Viewer",
            ["Rotator:Admin:Keys:1:Secret"] = AdminWorld.ViewSecret,
        }).ToJsonString());
        var cli = new List<string>();
        foreach (var command in new[] { new[] { "status" }, ["status", "demo"], ["status", "--json"], ["history", "demo"], ["history", "admin-ops", "--json"], ["pause", "demo"], ["resume", "demo"] })
        {
            using var process = RotatorProcess.Start([.. command, "--url", world.AdminAddress.ToString()], Path.GetDirectoryName(config), new Dictionary<string, string> { ["ROTATOR_CONFIG"] = config });
            var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(1));
            Assert.True(exit == 0, $"{string.Join(' ', command)} exited {exit}:\n{process.Output}");
            cli.Add(process.Output);
        }

        await WaitForWebhooksAsync(hooks, ["completed", "emergency"]);

        var keys = new List<string>(world.KeysInVault);
        foreach (var secret in new[] { AdminWorld.OpsSecret, AdminWorld.ViewSecret, DemoCommand.ManagementSecret })
        {
            keys.AddRange(await AllValuesAsync(world, secret));
        }

        keys.AddRange([admin.OpsSeed, admin.ViewSeed]);
        var outputs = new Dictionary<string, string>
        {
            ["logs"] = world.Logs.Text,
            ["metrics"] = scrape,
            ["admin API answers"] = admin.Bodies,
            ["webhook bodies"] = string.Join('\n', hooks),
            ["CLI output"] = string.Join('\n', cli),
        };
        output.WriteLine($"{keys.Distinct().Count()} keys searched for in {string.Join(", ", outputs.Select(o => $"{o.Key} ({o.Value.Length} characters)"))}");
        // Every kind of key is in the search: the demo key's bootstrap, manual and emergency values, the operator key's seed
        // and at least one rotated value, the viewer's seed and the vendor's management token (how many rotations the
        // operator key has had by now depends on timing, so the count is a floor, not a number).
        Assert.True(world.KeysInVault.Count >= 3, $"the demo key's three values are not all in the search: {world.KeysInVault.Count}");
        Assert.True((await AllValuesAsync(world, AdminWorld.OpsSecret)).Count >= 2, "the operator key's rotated value is not in the search");
        Assert.True(keys.Distinct().Count() >= 7, $"too few keys to prove anything: {keys.Distinct().Count()}");
        foreach (var (what, text) in outputs)
        {
            Assert.False(string.IsNullOrWhiteSpace(text), $"no {what} to search");
            Secrets.AssertAbsent(keys.Distinct(), text);
        }

        // What the outputs do show is the fingerprints: the search looked at the right text.
        var fingerprint = Client.Fingerprint.Of(world.KeysInVault[^1]);
        Assert.Contains(fingerprint, admin.Bodies, StringComparison.Ordinal);
        Assert.Contains(fingerprint, string.Join('\n', cli), StringComparison.Ordinal);
    }

    private static async Task<string> CurrentAsync(RotationWorld world, string secret) => (await world.Secrets.GetSecretAsync(secret)).Value.Value;

    private static async Task<IReadOnlyList<string>> AllValuesAsync(RotationWorld world, string secret)
    {
        var values = new List<string>();
        await foreach (var version in world.Secrets.GetPropertiesOfSecretVersionsAsync(secret))
        {
            values.Add((await world.Secrets.GetSecretAsync(secret, version.Version)).Value.Value);
        }

        return values;
    }

    private static async Task WaitForWebhooksAsync(ConcurrentQueue<string> hooks, IReadOnlyList<string> events)
    {
        using var timeout = new CancellationTokenSource(AdminWorld.Limit);
        while (!events.All(e => hooks.Any(h => JsonDocument.Parse(h).RootElement.GetProperty("event").GetString() == e)))
        {
            Assert.False(timeout.IsCancellationRequested, $"webhooks {string.Join(", ", events)} did not all arrive: {string.Join('\n', hooks)}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }
    }
}
