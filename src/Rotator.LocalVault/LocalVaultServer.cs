using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rotator.LocalVault;

/// <summary>
/// An HTTPS server that speaks the Key Vault secrets REST API closely enough for the unmodified
/// <c>SecretClient</c>: versions, tags, enabled, update properties, list versions, soft delete
/// (delete, recover, purge), per-token permissions, persistence and switchable faults.
/// </summary>
public sealed class LocalVaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly VaultIdentity _identity;
    private readonly VaultStore _store;
    private readonly VaultTokens _tokens;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;

    private LocalVaultServer(WebApplication app, VaultIdentity identity, VaultStore store, VaultTokens tokens, ILogger logger)
    {
        _app = app;
        _identity = identity;
        _store = store;
        _tokens = tokens;
        _logger = logger;
        Certificate = X509CertificateLoader.LoadCertificate(identity.Certificate.RawData);
    }

    /// <summary>The address clients use, with the actual port: <c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri Uri { get; private set; } = null!;

    /// <summary>The main token, allowed everything.</summary>
    public string AccessToken => _identity.Token;

    /// <summary>The server certificate without its private key, for clients to pin.</summary>
    public X509Certificate2 Certificate { get; }

    public LocalVaultFaults Faults { get; } = new();

    /// <summary>Called after a write is committed and persisted, before its response is sent.</summary>
    public Func<LocalVaultWrite, CancellationToken, Task>? AfterCommit { get; set; }

    /// <summary>Names of all secrets that are not deleted, as first spelled.</summary>
    public IReadOnlyCollection<string> SecretNames => _store.SecretNames;

    /// <summary>Names of the secrets in the deleted (recoverable) state, as first spelled.</summary>
    public IReadOnlyCollection<string> DeletedSecretNames => _store.DeletedSecretNames;

    /// <summary>Every version of every secret that is not deleted, values included, in the order they were created.</summary>
    public IReadOnlyList<LocalVaultSecretVersion> Snapshot() => _store.Snapshot();

    /// <summary>Adds (or replaces) a named token that holds only <paramref name="permissions"/>; returns the token.</summary>
    public string AddToken(string name, params LocalVaultPermission[] permissions) => _tokens.Add(name, permissions);

    public static async Task<LocalVaultServer> StartAsync(
        LocalVaultOptions options,
        TimeProvider timeProvider,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        loggerFactory ??= NullLoggerFactory.Instance;
        var (address, reportedHost) = ListenAddress(options.Url);

        if (options.DataDirectory is { } directory)
        {
            SecureFiles.EnsureDirectory(directory);
        }

        var identity = VaultIdentity.LoadOrCreate(options.DataDirectory, timeProvider);
        try
        {
            var store = VaultStore.Open(options.DataDirectory, timeProvider);
            var tokens = new VaultTokens(identity.Token);
            var logger = loggerFactory.CreateLogger<LocalVaultServer>();

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(LocalVaultServer).Assembly.GetName().Name });
            builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
            builder.Services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
            builder.Services.AddRoutingCore();
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
                kestrel.Listen(address, options.Url.Port, listen => listen.UseHttps(identity.Certificate));
            });

            var app = builder.Build();
            var server = new LocalVaultServer(app, identity, store, tokens, logger);
            var handlers = new VaultHandlers(server, store, tokens, timeProvider, logger);
            app.Use(handlers.AuthenticateAsync);
            handlers.Map(app);

            await app.StartAsync(cancellationToken);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Uri = new UriBuilder(Uri.UriSchemeHttps, reportedHost, new Uri(bound).Port, "/").Uri;
            Log.Started(logger, server.Uri, options.DataDirectory ?? "(memory)");
            return server;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        // Injected delays and blocked hooks must not hold up shutdown.
        await _stopping.CancelAsync();
        await _app.StopAsync(ct);
        Log.Stopped(_logger, Uri);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync();
        await _app.DisposeAsync();
        _identity.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Cancelled when the server stops.</summary>
    internal CancellationToken Stopping => _stopping.Token;

    internal Task OnCommittedAsync(LocalVaultWrite write, CancellationToken cancellationToken) =>
        AfterCommit is { } hook ? hook(write, cancellationToken) : Task.CompletedTask;

    /// <summary>The address to bind and the host name to report; any-address binds still report loopback, which the certificate names.</summary>
    private static (IPAddress Address, string ReportedHost) ListenAddress(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"The local vault listens on https only, not {url}.", nameof(url));
        }

        if (string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Kestrel cannot pick a free port for "localhost" (two sockets); bind IPv4 loopback instead.
            return (IPAddress.Loopback, "localhost");
        }

        if (!IPAddress.TryParse(url.DnsSafeHost, out var address))
        {
            throw new ArgumentException($"The local vault binds to an IP address or localhost, not {url.Host}.", nameof(url));
        }

        if (address.Equals(IPAddress.Any))
        {
            return (address, "127.0.0.1");
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return (address, "[::1]");
        }

        return (address, url.Host);
    }
}
