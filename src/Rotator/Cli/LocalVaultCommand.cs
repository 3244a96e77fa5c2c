using Rotator.LocalVault;
using Serilog;
using Serilog.Extensions.Logging;

namespace Rotator.Cli;

/// <summary><c>local-vault</c>: the embedded Key Vault-compatible server on its own, for development and tests.</summary>
internal static class LocalVaultCommand
{
    public static async Task<int> RunAsync(string urls, DirectoryInfo? data, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(urls, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            await Console.Error.WriteLineAsync($"--urls '{urls}' is not an https:// address; the Azure SDK speaks to a vault only over HTTPS. Use, for example, https://127.0.0.1:8443.");
            return WorkerHost.ConfigurationError;
        }

        await using var logger = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Console().CreateLogger();
        using var loggers = new SerilogLoggerFactory(logger);
        await using var server = await LocalVaultServer.StartAsync(
            new LocalVaultOptions { Url = url, DataDirectory = data?.FullName }, TimeProvider.System, loggers, cancellationToken);
        await Console.Out.WriteLineAsync($"local vault listening on {server.Uri}");
        await Console.Out.WriteLineAsync(data is null
            ? "state, certificate and token are in memory only (pass --data DIR to keep them)"
            : $"state, certificate (cert.pem) and access token (token) in {data.FullName}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: stop cleanly.
        }

        return 0;
    }
}
