using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Rotator.Demo;

namespace Rotator.Tests.Demo;

/// <summary>Talks to the sample vendor the way an issuer client would.</summary>
internal sealed class VendorHttp(SampleVendor vendor) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = vendor.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

    public Task<HttpResponseMessage> CreateAsync(string account, string? token, string label) =>
        SendAsync(HttpMethod.Post, $"v1/accounts/{account}/keys", token, JsonContent.Create(new { label }));

    public Task<HttpResponseMessage> ListAsync(string account, string? token, string? query = null) =>
        SendAsync(HttpMethod.Get, $"v1/accounts/{account}/keys{query}", token);

    public Task<HttpResponseMessage> RevokeAsync(string account, string? token, string id) =>
        SendAsync(HttpMethod.Delete, $"v1/accounts/{account}/keys/{id}", token);

    public async Task<HttpResponseMessage> CreditsAsync(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/account/credits");
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await http.SendAsync(request);
    }

    /// <summary>Creates a key through the API and returns (id, value).</summary>
    public async Task<(string Id, string Key)> MintAsync(string account, string token, string label)
    {
        using var response = await CreateAsync(account, token, label);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("id").GetString()!, body.RootElement.GetProperty("key").GetString()!);
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }
}

/// <summary>A vault stand-in: the latest version of one secret, with switchable read failures.</summary>
internal sealed class FakeSecret
{
    private readonly Lock gate = new();
    private int version;
    private string? value;
    private Exception? failure;
    private int reads;

    public int Reads => Volatile.Read(ref reads);

    public string Version
    {
        get { lock (gate) { return $"v{version}"; } }
    }

    public void Set(string newValue)
    {
        lock (gate)
        {
            version++;
            value = newValue;
        }
    }

    public void FailWith(Exception? error)
    {
        lock (gate)
        {
            failure = error;
        }
    }

    public Task<(string Version, string Value)> ReadLatestAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref reads);
        lock (gate)
        {
            if (failure is not null)
            {
                return Task.FromException<(string, string)>(failure);
            }

            return value is null
                ? Task.FromException<(string, string)>(new InvalidOperationException("The secret has no versions."))
                : Task.FromResult(($"v{version}", value));
        }
    }
}

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds, running <paramref name="step"/> between polls; fails after the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, Action? step = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit} waiting for {what}.");
            }

            step?.Invoke();
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
        }
    }
}
