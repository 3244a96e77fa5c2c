using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rotator.Demo;

/// <summary>A bare Kestrel server embedded in a larger process; its owner starts and stops it.</summary>
internal static class LoopbackServer
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(IPEndPoint endpoint, RequestDelegate handler, CancellationToken ct)
    {
        // The empty builder reads no configuration, so ASPNETCORE_URLS and appsettings cannot move the endpoint.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        // The owner logs what matters; the web server's own chatter stays out of its logs.
        builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        // Process signals belong to the owning host, not to each embedded server.
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(endpoint));
        var app = builder.Build();
        app.Run(handler);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address + "/"));
    }

    public static async Task StopAsync(WebApplication app, CancellationToken ct)
    {
        try
        {
            await app.StopAsync(ct);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
