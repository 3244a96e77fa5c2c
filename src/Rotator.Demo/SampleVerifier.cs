using System.Net;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotator.Client;

namespace Rotator.Demo;

/// <summary>
/// An API of the user's own whose key Rotator generates: it accepts callers whose key hashes to an entry of
/// <c>&lt;secret&gt;-accepted</c>, re-read on its own cycle, and reports the fingerprints it accepts.
/// </summary>
public sealed partial class SampleVerifier : IAsyncDisposable
{
    private readonly SecretClient secrets;
    private readonly string acceptedSecret;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private volatile AcceptedKeys accepted = AcceptedKeys.Empty;
    private WebApplication? app;
    private Task? refreshing;
    private long acceptedCalls;
    private long rejectedCalls;

    public SampleVerifier(string name, SecretClient secrets, string managedSecret, TimeSpan refreshInterval, TimeProvider time, ILogger logger)
    {
        Name = name;
        this.secrets = secrets;
        acceptedSecret = managedSecret + "-accepted";
        RefreshInterval = refreshInterval;
        this.time = time;
        this.logger = logger;
    }

    public string Name { get; }

    public TimeSpan RefreshInterval { get; }

    /// <summary>Where callers send requests (<c>GET /v1/account/credits</c> with <c>X-Api-Key</c>).</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The probe endpoint Rotator polls: <c>{"accepts":[…]}</c>.</summary>
    public Uri ProbeUri => new(BaseUri, "rotator/accepts");

    public long AcceptedCalls => Interlocked.Read(ref acceptedCalls);

    public long RejectedCalls => Interlocked.Read(ref rejectedCalls);

    public IReadOnlyList<string> Accepts => [.. accepted.Accept.Select(a => a.Fingerprint)];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Read before serving, so the first callers are not refused for want of a first read.
        await RefreshAsync(cancellationToken);
        (app, BaseUri) = await LoopbackServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), AnswerAsync, cancellationToken);
        refreshing = RefreshLoopAsync(stopping.Token);
    }

    public async Task StopAsync()
    {
        await stopping.CancelAsync();
        if (refreshing is not null)
        {
            await refreshing;
        }

        if (app is not null)
        {
            await LoopbackServer.StopAsync(app, CancellationToken.None);
            app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stopping.Dispose();
    }

    private Task AnswerAsync(HttpContext context)
    {
        if (context.Request.Path == "/rotator/accepts")
        {
            return context.Response.WriteAsJsonAsync(new VerifierReport(Accepts));
        }

        if (context.Request.Path != "/v1/account/credits")
        {
            context.Response.StatusCode = (int)HttpStatusCode.NotFound;
            return Task.CompletedTask;
        }

        var presented = context.Request.Headers["X-Api-Key"].ToString();
        if (presented.Length > 0 && accepted.Accepts(presented))
        {
            Interlocked.Increment(ref acceptedCalls);
            return context.Response.WriteAsJsonAsync(new { email_credit = 1000.0, phone_credit = 500.0 });
        }

        Interlocked.Increment(ref rejectedCalls);
        context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
        return Task.CompletedTask;
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(RefreshInterval, time, cancellationToken);
                await RefreshAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var secret = await secrets.GetSecretAsync(acceptedSecret, cancellationToken: cancellationToken);
            accepted = AcceptedKeys.Parse(secret.Value.Value);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            accepted = AcceptedKeys.Empty;
        }
        catch (Exception e) when (e is RequestFailedException or FormatException or System.Text.Json.JsonException)
        {
            // Keep what it had: a verifier that forgets its keys on a vault hiccup would fail every caller.
            LogRefreshFailed(logger, Name, e.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Verifier {Name} could not re-read its accepted keys ({Error}); keeping the ones it has")]
    private static partial void LogRefreshFailed(ILogger logger, string name, string error);
}
