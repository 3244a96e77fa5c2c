using Rotator.Admin;
using Rotator.Cli.AdminApi;
using Rotator.Rotation;

namespace Rotator.Tests.Cli;

public sealed class AdminApiPiecesTests
{
    [Theory]
    [InlineData("http://w:8080", "/keys/a b/rotate", "http://w:8080/keys/a%20b/rotate?reason=x%26y%20z&emergency=true")]
    [InlineData("http://w:8080/rotator", "/keys", "http://w:8080/rotator/keys?reason=x%26y%20z&emergency=true")]
    [InlineData("https://w/rotator/", "/pause", "https://w/rotator/pause?reason=x%26y%20z&emergency=true")]
    public void Address_KeepsTheBasePathAndEncodesTheQuery(string baseUrl, string route, string expected) =>
        Assert.Equal(expected, AdminClient.Address(new Uri(baseUrl), route, [("reason", "x&y z"), ("emergency", "true")]).AbsoluteUri);

    [Theory]
    [InlineData("http://opt:1", "http://env:2", "http://opt:1/")]
    [InlineData(null, "http://env:2", "http://env:2/")]
    [InlineData(null, null, "http://127.0.0.1:8080/")]
    [InlineData("ftp://x", null, null)]
    [InlineData("not a url", null, null)]
    public void ResolveUrl_OptionThenEnvironmentThenDefault(string? option, string? variable, string? expected) =>
        Assert.Equal(expected, AdminConnection.ResolveUrl(option, name => name == AdminConnection.UrlVariable ? variable : null)?.AbsoluteUri);

    [Fact]
    public void ReadList_AcceptsAnArrayOrAWrapperObject()
    {
        const string Item = """{"rotationId":"r1","trigger":"Emergency","outcome":"Completed","steps":[{"phase":"RollingOut","at":"2026-03-01T10:00:00Z"}]}""";

        var bare = AdminJson.ReadList<RotationHistoryEntry>($"[{Item}]");
        var wrapped = AdminJson.ReadList<RotationHistoryEntry>($$"""{"key":"billing","rotations":[{{Item}}]}""");

        Assert.Equal(RotationTrigger.Emergency, Assert.Single(bare).Trigger);
        Assert.Equal(Phase.RollingOut, Assert.Single(Assert.Single(wrapped).Steps).Phase);
    }

    [Theory]
    [InlineData("\"12.00:00:00\"")]
    [InlineData("\"P12D\"")]
    [InlineData("1036800")]
    public void Read_DurationsInEitherNotation(string age)
    {
        var status = AdminJson.Read<KeyStatus>($$"""{"name":"b","phase":"Idle","age":{{age}},"paused":false,"probes":[]}""");

        Assert.Equal(TimeSpan.FromDays(12), status!.Age);
    }

    [Fact]
    public void ReadProblem_TakesTitleDetailAndTheRotationId()
    {
        var problem = AdminJson.ReadProblem("""{"type":"about:blank","title":"Conflict","status":409,"detail":"busy","rotationId":"r7"}""");

        Assert.Equal(new AdminProblem("Conflict", "busy", "r7"), problem);
        Assert.Null(AdminJson.ReadProblem("<html>bad gateway</html>"));
    }
}
