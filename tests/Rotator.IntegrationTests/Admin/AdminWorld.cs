using System.Net;
using System.Text.Json;
using Rotator.Cli;
using Rotator.Configuration;
using Rotator.Issuers.Generated;
using Rotator.IntegrationTests.Rotation;
using Rotator.Rotation;

namespace Rotator.IntegrationTests.Admin;

/// <summary>One answer of the admin API: status, body as text and as JSON, and the headers.</summary>
internal sealed record AdminAnswer(HttpStatusCode Status, string Body, JsonElement Json, HttpResponseMessage Response)
{
    public string? ContentType => Response.Content.Headers.ContentType?.MediaType;

    public string? Text(string property) => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : null;
}

/// <summary>
/// A <see cref="RotationWorld"/> whose worker has two seeded admin keys (<c>ops</c>, an operator, and <c>view</c>, a
/// viewer), spoken to over real HTTP on its admin port. The demo key rotates only when asked.
/// </summary>
internal sealed class AdminWorld : IAsyncDisposable
{
    public const string OpsSecret = "rotator-admin-ops";
    public const string ViewSecret = "rotator-admin-view";
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly List<string> bodies = [];

    private AdminWorld(RotationWorld world, string ops, string view)
    {
        World = world;
        OpsSeed = ops;
        ViewSeed = view;
        Http = new HttpClient { BaseAddress = WorkerHost.Addresses(world.Worker)[0], Timeout = TimeSpan.FromSeconds(30) };
    }

    public RotationWorld World { get; }

    public HttpClient Http { get; }

    public string OpsSeed { get; }

    public string ViewSeed { get; }

    /// <summary>Every body the admin API answered, to be searched for keys.</summary>
    public string Bodies
    {
        get
        {
            lock (bodies)
            {
                return string.Join('\n', bodies);
            }
        }
    }

    public static async Task<AdminWorld> StartAsync(WorldOptions? options = null)
    {
        var generated = new IssuerOptions();
        var ops = KeyGenerator.Generate(generated);
        var view = KeyGenerator.Generate(generated);
        options ??= new WorldOptions();
        var configure = options.Configure;
        var world = await RotationWorld.StartAsync(options with
        {
            Configure = config =>
            {
                config["Rotator:Keys:0:Schedule:Interval"] = "1.00:00:00";
                config["Rotator:Admin:RefreshInterval"] = "00:00:00.200";
                config["Rotator:Admin:Rollout:PollInterval"] = "00:00:00.200";
                config["Rotator:Admin:Rollout:StableFor"] = "00:00:00.500";
                config["Rotator:Admin:Keys:0:Name"] = "ops";
                config["Rotator:Admin:Keys:0:Role"] = "Operator";
                config["Rotator:Admin:Keys:0:Secret"] = OpsSecret;
                config["Rotator:Admin:Keys:0:Seed"] = ops;
                config["Rotator:Admin:Keys:1:Name"] = "view";
                config["Rotator:Admin:Keys:1:Role"] = "Viewer";
                config["Rotator:Admin:Keys:1:Secret"] = ViewSecret;
                config["Rotator:Admin:Keys:1:Seed"] = view;
                configure?.Invoke(config);
            },
        });
        return new AdminWorld(world, ops, view);
    }

    public Task<AdminAnswer> GetAsync(string path, string? key) => SendAsync(HttpMethod.Get, path, key);

    public Task<AdminAnswer> PostAsync(string path, string? key, string? json = null) => SendAsync(HttpMethod.Post, path, key, json);

    public async Task<AdminAnswer> SendAsync(HttpMethod method, string path, string? key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        lock (bodies)
        {
            bodies.Add(body);
        }

        using var document = body.TrimStart() is { Length: > 0 } trimmed && (trimmed[0] == '{' || trimmed[0] == '[') ? JsonDocument.Parse(body) : null;
        return new AdminAnswer(response.StatusCode, body, document?.RootElement.Clone() ?? default, response);
    }

    /// <summary>Polls <c>GET /keys/{name}</c> (as the viewer) until the status satisfies the condition.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string name, Func<JsonElement, bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Limit);
        JsonElement last = default;
        while (!timeout.IsCancellationRequested)
        {
            var answer = await GetAsync($"/keys/{name}", ViewSeed);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            last = answer.Json;
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }

        Assert.Fail($"Waited {Limit} for {what}; last status {last}.\n{string.Join('\n', World.Logs.Lines.TakeLast(30))}");
        return last;
    }

    public async Task WaitForBootstrapAsync() =>
        await World.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the demo key's bootstrap");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await World.DisposeAsync();
    }
}
