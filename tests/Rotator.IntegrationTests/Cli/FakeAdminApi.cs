using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rotator.Admin;
using Rotator.Demo;

namespace Rotator.IntegrationTests.Cli;

/// <summary>One request as the admin API saw it.</summary>
internal sealed record AdminRequest(string Method, string Path, string Query, string? ApiKey);

/// <summary>
/// A stand-in for the worker's admin API over real HTTP on 127.0.0.1: answers each "METHOD /path" with a canned status and
/// JSON body, as the contract in <c>Admin/AdminContracts.cs</c> describes, and records every request.
/// </summary>
internal sealed class FakeAdminApi : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (int Status, string Body, string ContentType)> answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AdminRequest> requests = new();
    private WebApplication app = null!;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<AdminRequest> Requests => [.. requests];

    public static async Task<FakeAdminApi> StartAsync()
    {
        var api = new FakeAdminApi();
        (api.app, api.Url) = await LoopbackServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), api.HandleAsync, CancellationToken.None);
        return api;
    }

    public void Answer(string method, string path, int status, string body) =>
        answers[$"{method} {path}"] = (status, body, status >= 400 ? "application/problem+json" : "application/json");

    public ValueTask DisposeAsync() => new(LoopbackServer.StopAsync(app, CancellationToken.None));

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        requests.Enqueue(new AdminRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "",
            request.Headers.TryGetValue(AdminRoutes.ApiKeyHeader, out var key) ? key.ToString() : null));
        if (!answers.TryGetValue($"{request.Method} {request.Path.Value}", out var answer))
        {
            answer = (404, """{"title":"Not found","status":404,"detail":"No such route in the test."}""", "application/problem+json");
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        await context.Response.WriteAsync(answer.Body);
    }
}
