using System.Text.Json;
using Rotator.Issuers.Http;

namespace Rotator.Tests.Issuers.Http;

public sealed class JsonPointerTests
{
    private const string Document = """
        {"a/b": 1, "m~n": "tilde", "arr": [10, {"x": "deep"}], "": "empty", "~1": "literal"}
        """;

    [Theory]
    [InlineData("/a~1b", "1")]
    [InlineData("/m~0n", "tilde")]
    [InlineData("/arr/0", "10")]
    [InlineData("/arr/1/x", "deep")]
    [InlineData("/", "empty")]
    [InlineData("/~01", "literal")]
    public void Resolves_rfc6901_pointers(string pointer, string expected)
    {
        using var document = JsonDocument.Parse(Document);
        Assert.Equal(expected, JsonPointer.GetScalar(document.RootElement, pointer));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("/arr/01")]
    [InlineData("/arr/-")]
    [InlineData("/arr/2")]
    [InlineData("/arr/x")]
    [InlineData("/missing")]
    [InlineData("/a~2b")]
    [InlineData("/a~")]
    [InlineData(null)]
    public void Does_not_resolve_malformed_or_missing_pointers(string? pointer)
    {
        using var document = JsonDocument.Parse(Document);
        Assert.False(JsonPointer.TryResolve(document.RootElement, pointer, out _));
    }

    [Fact]
    public void Empty_pointer_is_the_whole_document()
    {
        using var document = JsonDocument.Parse(Document);
        Assert.True(JsonPointer.TryResolve(document.RootElement, "", out var whole));
        Assert.Equal(JsonValueKind.Object, whole.ValueKind);
    }

    [Theory]
    [InlineData("\"2024-05-01T12:00:00Z\"", 1714564800)]
    [InlineData("\"2024-05-01T14:00:00+02:00\"", 1714564800)]
    [InlineData("\"2024-05-01T12:00:00\"", 1714564800)]
    [InlineData("1714564800", 1714564800)]
    [InlineData("1714564800.0", 1714564800)]
    [InlineData("\"1714564800\"", 1714564800)]
    public void Reads_timestamps_as_iso_or_unix_seconds(string json, long unixSeconds)
    {
        using var document = JsonDocument.Parse($$"""{"t": {{json}}}""");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(unixSeconds), JsonPointer.GetTimestamp(document.RootElement, "/t"));
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("1e300")]
    public void Unreadable_timestamps_are_null(string json)
    {
        using var document = JsonDocument.Parse($$"""{"t": {{json}}}""");
        Assert.Null(JsonPointer.GetTimestamp(document.RootElement, "/t"));
    }
}
