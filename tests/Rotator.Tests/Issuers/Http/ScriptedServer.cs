using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Rotator.Tests.Issuers.Http;

/// <summary>One request as the server saw it.</summary>
internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body, string? ContentType)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A real Kestrel server on a loopback address that answers with whatever the test scripts.</summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<RecordedRequest> requests = new();

    private ScriptedServer(WebApplication app, Func<RecordedRequest, HttpContext, Task> handler)
    {
        this.app = app;
        Handler = handler;
    }

    public Func<RecordedRequest, HttpContext, Task> Handler { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    public Uri BaseUrl { get; private set; } = null!;

    public int Port => BaseUrl.Port;

    public static async Task<ScriptedServer> StartAsync(Func<RecordedRequest, HttpContext, Task> handler, IPAddress? address = null, int port = 0)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address ?? IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new ScriptedServer(app, handler);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    public static Task<ScriptedServer> StartAsync(Func<RecordedRequest, Task<(int Status, string Body)>> answer, IPAddress? address = null, int port = 0) =>
        StartAsync(async (request, context) =>
        {
            var (status, body) = await answer(request);
            await WriteAsync(context, status, body);
        }, address, port);

    public static async Task WriteAsync(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        if (body.Length > 0)
        {
            context.Response.ContentType = contentType;
            await context.Response.WriteAsync(body, context.RequestAborted);
        }
    }

    /// <summary>Holds the request open until the client gives up: a vendor that never answers.</summary>
    public static async Task HangAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client went away, which is what the test waits for.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(
            context.Request.Method,
            // The target exactly as sent, before the server decodes any of it.
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            headers,
            body,
            context.Request.ContentType);
        requests.Enqueue(recorded);
        await Handler(recorded, context);
    }
}
