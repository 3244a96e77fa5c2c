namespace Rotator.LocalVault;

/// <summary>Where the local vault listens and keeps its files.</summary>
public sealed class LocalVaultOptions
{
    /// <summary>Folder for <c>vault.json</c>, <c>token</c>, <c>cert.pem</c> and <c>cert.pfx</c>; null keeps everything in memory.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The https address to listen on; port 0 picks a free port.</summary>
    public Uri Url { get; set; } = new("https://127.0.0.1:0");
}
