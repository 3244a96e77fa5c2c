using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Rotator.Configuration;

namespace Rotator.Cli;

/// <summary>Builds and runs the worker's host: the scheduler, and the admin API, health and metrics on one port.</summary>
internal static class WorkerHost
{
    public const int ConfigurationError = 2;

    public static WebApplicationBuilder CreateBuilder(FileInfo? config, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        if (config is not null)
        {
            ConfigurationFile.Add(builder, config);
            builder.Configuration.AddEnvironmentVariables();
        }

        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        return builder;
    }

    /// <summary>Builds the worker once <see cref="RotatorHostExtensions.AddRotator"/> has been called: listens on <c>Rotator:Admin:Urls</c> and maps the endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.WebHost.UseUrls(builder.Configuration[$"{RotatorOptions.SectionName}:Admin:Urls"] ?? new AdminOptions().Urls);
        var app = builder.Build();
        app.MapRotator();
        return app;
    }

    /// <summary>The addresses a started worker listens on (port 0 resolved).</summary>
    public static IReadOnlyList<Uri> Addresses(IHost host) =>
        [.. host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)) ?? []];

    public static async Task<int> RunAsync(FileInfo? config, CancellationToken cancellationToken)
    {
        var builder = CreateBuilder(config);
        var development = builder.Environment.IsDevelopment();
        await using var localVault = development && string.IsNullOrEmpty(builder.Configuration["Rotator:Vault:Uri"])
            ? await StartDevelopmentVaultAsync(builder, cancellationToken)
            : null;
        builder.AddRotator(localVaultAllowed: development);
        return await RunHostAsync(Build(builder), cancellationToken);
    }

    /// <summary>
    /// In the Development environment only, a missing vault URI means the local vault, kept in <c>.rotator/local-vault</c>
    /// under the content root. Anywhere else it is a configuration error, never a silent fallback.
    /// </summary>
    private static async Task<LocalVault.LocalVaultServer> StartDevelopmentVaultAsync(WebApplicationBuilder builder, CancellationToken cancellationToken)
    {
        var data = Path.Combine(builder.Environment.ContentRootPath, ".rotator", "local-vault");
        var server = await LocalVault.LocalVaultServer.StartAsync(new LocalVault.LocalVaultOptions { DataDirectory = data }, TimeProvider.System, null, cancellationToken);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotator:Vault:Uri"] = server.Uri.ToString(),
            ["Rotator:Vault:Credential"] = nameof(VaultCredential.LocalVault),
            ["Rotator:Vault:LocalVaultData"] = data,
        });
        await Console.Out.WriteLineAsync($"Development: no Rotator:Vault:Uri, so the local vault serves {server.Uri} with its state in {data}");
        return server;
    }

    /// <summary>Runs a host until stopped; a configuration that fails validation prints one line per problem and exits non-zero.</summary>
    public static async Task<int> RunHostAsync(IHost host, CancellationToken cancellationToken)
    {
        try
        {
            await host.RunAsync(cancellationToken);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await PrintProblemsAsync(e.Failures);
            return ConfigurationError;
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    internal static async Task PrintProblemsAsync(IEnumerable<string> failures, TextWriter? error = null)
    {
        error ??= Console.Error;
        var problems = failures.ToList();
        await error.WriteLineAsync($"Rotator's configuration has {problems.Count} problem(s):");
        foreach (var problem in problems)
        {
            await error.WriteLineAsync("  - " + problem);
        }
    }

    private static async ValueTask DisposeAsync(IHost host)
    {
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }
}
