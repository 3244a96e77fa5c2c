using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rotator.IntegrationTests.Cli;

namespace Rotator.IntegrationTests.Admin;

/// <summary>The demo as a person runs it: the admin API address and a viewer key it prints work while it runs.</summary>
public sealed partial class DemoAdminProcessTests
{
    [GeneratedRegex(@"^admin API:\s+(http://127\.0\.0\.1:\d+) \(viewer key: ([A-Za-z0-9]+);")]
    private static partial Regex AdminLine();

    [Fact]
    public async Task Demo_PrintsTheAdminApiAndAViewerKeyThatWorks()
    {
        using var demo = RotatorProcess.Start(["demo", "--rotations", "3"]);
        var line = await demo.WaitForLineAsync(l => AdminLine().IsMatch(l), TimeSpan.FromMinutes(1));
        var match = AdminLine().Match(line);
        var address = new Uri(match.Groups[1].Value);
        var viewer = match.Groups[2].Value;
        await demo.WaitForLineAsync(l => l.StartsWith($"metrics:       {match.Groups[1].Value}/metrics", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/keys");
        request.Headers.Add("x-api-key", viewer);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var rotate = new HttpRequestMessage(HttpMethod.Post, "/keys/demo/rotate");
        rotate.Headers.Add("x-api-key", viewer);
        using var refused = await http.SendAsync(rotate);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["demo", "admin-viewer", "admin-operator"], JsonDocument.Parse(body).RootElement.EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.DoesNotContain(demo.Lines, l => l.StartsWith("rotation 4/", StringComparison.Ordinal));
    }
}
