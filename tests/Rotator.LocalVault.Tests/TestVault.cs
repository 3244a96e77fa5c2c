using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.Security.KeyVault.Secrets;

namespace Rotator.LocalVault.Tests;

/// <summary>A started vault on a free loopback port plus an SDK client pinned to it.</summary>
internal sealed class TestVault : IAsyncDisposable
{
    private TestVault(LocalVaultServer server)
    {
        Server = server;
        Client = LocalVaultConnection.CreateClient(server.Uri, server.AccessToken, server.Certificate, TimeSpan.FromSeconds(30));
    }

    public LocalVaultServer Server { get; }

    public SecretClient Client { get; }

    public static async Task<TestVault> StartAsync(string? dataDirectory = null) =>
        new(await LocalVaultServer.StartAsync(new LocalVaultOptions { DataDirectory = dataDirectory }, TimeProvider.System, null, CancellationToken.None));

    public SecretClient ClientWithToken(string token) =>
        LocalVaultConnection.CreateClient(Server.Uri, token, Server.Certificate, TimeSpan.FromSeconds(30));

    /// <summary>A raw client that trusts only <paramref name="pinned"/>, for looking at the wire directly.</summary>
    public static HttpClient PinnedHttpClient(Uri baseAddress, X509Certificate2 pinned, string? token = null)
    {
        var raw = pinned.RawData;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(raw),
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public HttpClient HttpClient(string? token = null) => PinnedHttpClient(Server.Uri, Server.Certificate, token);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A fresh folder under the system temp folder, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rotator-vault-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
