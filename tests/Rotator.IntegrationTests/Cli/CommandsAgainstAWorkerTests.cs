using System.CommandLine;
using System.Text.Json;
using Rotator.Cli;
using Rotator.IntegrationTests.Admin;
using Rotator.Rotation;

namespace Rotator.IntegrationTests.Cli;

/// <summary>The commands an operator types, against a real worker's admin API: every command once, with the answers it really gives.</summary>
public sealed class CommandsAgainstAWorkerTests
{
    [Fact]
    public async Task EveryCommand_AgainstARunningWorker_DoesWhatItSaysWithTheRightExitCode()
    {
        await using var admin = await AdminWorld.StartAsync();
        await admin.WaitForBootstrapAsync();
        var url = admin.World.AdminAddress.ToString();
        Task<(int Exit, string Output, string Error)> Run(string key, params string[] args) => RunAsync([.. args, "--url", url, "--api-key", key]);

        var rotate = await Run(admin.OpsSeed, "rotate", "demo", "--reason", "quarterly");
        Assert.True(rotate.Exit == 0, rotate.Error);
        var rotation = Assert.Single(rotate.Output.Split('\n'), l => l.StartsWith("rotation: ", StringComparison.Ordinal))["rotation: ".Length..].Trim();
        await admin.World.WaitForAsync(r => r.Completed?.RotationId == rotation, AdminWorld.Limit, "the rotation the CLI started");

        var history = await Run(admin.ViewSeed, "history", "demo");
        Assert.Equal(0, history.Exit);
        Assert.Contains(history.Output.Split('\n'), l => l.Contains(rotation, StringComparison.Ordinal) && l.Contains("ops", StringComparison.Ordinal) && l.Contains("Completed", StringComparison.Ordinal));

        var status = await Run(admin.ViewSeed, "status", "demo", "--json");
        Assert.Equal(0, status.Exit);
        using (var json = JsonDocument.Parse(status.Output))
        {
            Assert.Equal(rotation, json.RootElement.GetProperty("rotationId").GetString());
            Assert.Equal(nameof(Phase.Completed), json.RootElement.GetProperty("phase").GetString());
        }

        // Refusals: nothing to abort (409 → 1), a viewer acting (403 → 3), force without a reason (refused locally → 2).
        Assert.Equal(1, (await Run(admin.OpsSeed, "abort", "demo", "--reason", "nothing runs")).Exit);
        Assert.Equal(3, (await Run(admin.ViewSeed, "rotate", "demo", "--reason", "viewers cannot")).Exit);
        Assert.Equal(2, (await Run(admin.OpsSeed, "complete", "demo", "--force")).Exit);
        Assert.Equal(1, (await Run(admin.OpsSeed, "complete", "demo", "--force", "--reason", "nothing to complete")).Exit);
        Assert.Equal(1, (await Run(admin.ViewSeed, "status", "nope")).Exit);

        var pause = await Run(admin.OpsSeed, "pause", "demo");
        Assert.True(pause.Exit == 0, pause.Error);
        await admin.WaitForStatusAsync("demo", s => s.GetProperty("paused").GetBoolean(), "the pause");
        var resume = await Run(admin.OpsSeed, "resume");
        Assert.True(resume.Exit == 0, resume.Error);
        await admin.WaitForStatusAsync("demo", s => !s.GetProperty("paused").GetBoolean(), "the global resume");

        var emergency = await Run(admin.OpsSeed, "rotate", "demo", "--emergency", "--suspect", "old", "--reason", "leaked");
        Assert.True(emergency.Exit == 0, emergency.Error);
        await admin.World.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Emergency }, AdminWorld.Limit, "the emergency rotation");

        var all = rotate.Output + rotate.Error + history.Output + status.Output + pause.Output + resume.Output + emergency.Output;
        Secrets.AssertAbsent([admin.OpsSeed, admin.ViewSeed, .. admin.World.KeysInVault], all);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RotatorCommands.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
