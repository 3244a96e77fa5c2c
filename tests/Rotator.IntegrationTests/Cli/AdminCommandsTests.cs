using System.CommandLine;
using Rotator.Cli;

namespace Rotator.IntegrationTests.Cli;

/// <summary>The admin commands over real HTTP against a server that speaks the admin API's contract.</summary>
public sealed class AdminCommandsTests : IAsyncLifetime
{
    private const string ApiKey = "rk_test_Zq81vLx0PnW4tY7uK2mB9cR5sD3fG6hJ";
    private const string Running = "r20260301100000-abcdef01";

    private const string Status = """
        {"name":"billing","secret":"billing-api-key","issuer":"Http","phase":"RollingOut","rotationId":"r20260301100000-abcdef01",
         "trigger":"Manual","actor":"ops","phaseSince":"2026-03-01T10:00:00+00:00","currentVersion":"v2",
         "currentFingerprint":"0123456789abcdef","age":"12.00:00:00","maxAge":"90.00:00:00","nextRotation":"2026-05-18T10:00:00+00:00",
         "paused":false,"lastCompleted":null,"lastError":null,"note":null,"newFingerprint":"fedcba9876543210","oldFingerprint":"0123456789abcdef",
         "probes":[{"role":"consumer","target":"http://billing:8080/rotator/key","address":"10.0.0.9","fingerprints":["0123456789abcdef"],"switched":false,"error":null}],
         "observedAt":"2026-03-01T10:05:00+00:00"}
        """;

    private FakeAdminApi api = null!;

    public async Task InitializeAsync() => api = await FakeAdminApi.StartAsync();

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task Status_AllKeys_GetsKeysWithTheApiKeyAndPrintsATable()
    {
        api.Answer("GET", "/keys", 200, $"[{Status}]");

        var (exit, output, error) = await RunAsync("status");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        var request = Assert.Single(api.Requests);
        Assert.Equal(new AdminRequest("GET", "/keys", "", ApiKey), request);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("KEY ", lines[0], StringComparison.Ordinal);
        Assert.Contains("billing", lines[1], StringComparison.Ordinal);
        Assert.Contains("12d / 90d", lines[1], StringComparison.Ordinal);
        Assert.Contains(Running, lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OneKey_PrintsTheProbeTable()
    {
        api.Answer("GET", "/keys/billing", 200, Status);

        var (exit, output, _) = await RunAsync("status", "billing");

        Assert.Equal(0, exit);
        Assert.Contains(output.Split('\n'), l => l.Contains("10.0.0.9", StringComparison.Ordinal) && l.Contains("consumer", StringComparison.Ordinal) && l.Contains(" no ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task History_Json_PrintsTheAnswerAsItIs()
    {
        const string History = """[{"rotationId":"r1","trigger":"Schedule","outcome":"Completed","steps":[]}]""";
        api.Answer("GET", "/keys/billing/history", 200, History);

        var (exit, output, _) = await RunAsync("history", "billing", "--json");

        Assert.Equal(0, exit);
        Assert.Equal(History, output.Trim());
    }

    [Theory]
    [InlineData("rotate billing --reason leak", "/keys/billing/rotate", "?reason=leak")]
    [InlineData("rotate billing --reason leaked --emergency --suspect all", "/keys/billing/rotate", "?reason=leaked&emergency=true&suspect=all")]
    [InlineData("abort billing --reason wrong", "/keys/billing/abort", "?reason=wrong")]
    [InlineData("abort billing", "/keys/billing/abort", "")]
    [InlineData("complete billing --force --reason checked", "/keys/billing/complete", "?force=true&reason=checked")]
    [InlineData("pause billing", "/keys/billing/pause", "")]
    [InlineData("resume", "/resume", "")]
    public async Task Actions_PostTheContractsRouteAndPrintTheRotationAndPhase(string command, string path, string query)
    {
        api.Answer("POST", path, 202, $$"""{"key":"billing","action":"act","actor":"ops","rotationId":"{{Running}}","phase":"Intent","message":null}""");

        var (exit, output, error) = await RunAsync(command.Split(' '));

        Assert.True(exit == 0, error);
        Assert.Equal(new AdminRequest("POST", path, query, ApiKey), Assert.Single(api.Requests));
        Assert.Contains($"rotation: {Running}", output, StringComparison.Ordinal);
        Assert.Contains("phase:    Intent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pause_Everything_ListsTheKeysActedOnAndThoseSkipped()
    {
        api.Answer("POST", "/pause", 202, $$"""
            {"action":"pause","actor":"ops","accepted":[{"key":"billing","action":"pause","actor":"ops","rotationId":"{{Running}}","phase":"RollingOut","message":null}],
             "skipped":[{"key":"search","phase":"NeedsAttention","why":"needs attention"}]}
            """);

        var (exit, output, _) = await RunAsync("pause");

        Assert.Equal(0, exit);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("billing", StringComparison.Ordinal) && l.Contains(Running, StringComparison.Ordinal));
        Assert.Contains("skipped search (NeedsAttention): needs attention", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_Conflict_PrintsTheProblemAndTheRunningRotationAndExitsOne()
    {
        api.Answer("POST", "/keys/billing/rotate", 409, $$"""
            {"type":"about:blank","title":"A rotation is in flight","status":409,"detail":"billing is RollingOut; abort it first.","rotationId":"{{Running}}"}
            """);

        var (exit, output, error) = await RunAsync("rotate", "billing", "--reason", "again");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains("A rotation is in flight (409)", error, StringComparison.Ordinal);
        Assert.Contains("billing is RollingOut; abort it first.", error, StringComparison.Ordinal);
        Assert.Contains($"rotation in flight: {Running}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, 3)]
    [InlineData(403, 3)]
    [InlineData(404, 1)]
    [InlineData(500, 5)]
    public async Task Status_ErrorAnswers_ExitWithDistinctCodes(int status, int expected)
    {
        api.Answer("GET", "/keys/billing", status, $$"""{"title":"No","status":{{status}},"detail":"Refused in the test."}""");

        var (exit, _, error) = await RunAsync("status", "billing");

        Assert.Equal(expected, exit);
        Assert.Contains("Refused in the test.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NobodyListening_ExitsFourAndSaysWhere()
    {
        var (exit, _, error) = await RunWithAsync(["status", "--url", "http://127.0.0.1:1", "--api-key", ApiKey]);

        Assert.Equal(4, exit);
        Assert.Contains("cannot reach the worker at http://127.0.0.1:1/", error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("complete billing --reason checked")]
    [InlineData("complete billing --force")]
    [InlineData("rotate billing")]
    [InlineData("rotate billing --reason x --suspect old")]
    public async Task Actions_WithoutTheirConfirmation_AreRefusedBeforeAnyRequest(string command)
    {
        var (exit, _, error) = await RunAsync(command.Split(' '));

        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Empty(api.Requests);
    }

    [Fact]
    public async Task TheApiKey_NeverAppearsInAnyOutput()
    {
        api.Answer("GET", "/keys", 200, $"[{Status}]");
        api.Answer("POST", "/keys/billing/rotate", 409, """{"title":"Conflict","status":409}""");

        var outputs = new List<string>();
        foreach (var command in new[] { "status", "status billing", "rotate billing --reason x", "history billing", "status --json" })
        {
            var (_, output, error) = await RunAsync(command.Split(' '));
            outputs.Add(output + error);
        }

        Secrets.AssertAbsent([ApiKey], string.Join('\n', outputs));
    }

    private Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) =>
        RunWithAsync([.. args, "--url", api.Url.ToString(), "--api-key", ApiKey]);

    private static async Task<(int Exit, string Output, string Error)> RunWithAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RotatorCommands.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
