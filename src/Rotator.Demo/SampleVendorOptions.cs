namespace Rotator.Demo;

/// <summary>Where the sample vendor listens and keeps its state.</summary>
public sealed class SampleVendorOptions
{
    /// <summary>Directory for <c>vendor.json</c>; null keeps everything in memory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Loopback address to listen on; port 0 picks any free port.</summary>
    public Uri Url { get; init; } = new("http://127.0.0.1:0");

    /// <summary>Active keys an account may hold at once; real vendors usually allow two.</summary>
    public int MaxActiveKeys { get; init; } = 2;

    /// <summary>Page size when a list request names none; small so that clients must follow cursors.</summary>
    public int DefaultPageSize { get; init; } = 2;
}
